"""The to-do inbox and the roll-ups: everything due for one person, overdue first."""
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from customers.policy import visible_customers

from .models import Complaint, RevisitRule, Visit
from .services import late_complaints, period_of


@dataclass
class TodoItem:
    kind: str
    title: str
    url: str
    due: date | None
    overdue: bool


def _revisit_items(user, on: date, limit: int) -> list[TodoItem]:
    """Set-based for the inbox: the rules this user answers for, customers with no qualifying
    visit this period; overdue when the previous period had none either."""
    items = []
    for rule in RevisitRule.objects.all():
        if rule.who == RevisitRule.Who.OWNER:
            customers = visible_customers(user).filter(account_manager=user)
            by = Q(participants=user)
        elif rule.who == RevisitRule.Who.SALES_MANAGER and r.has_role(user, r.SALES_MANAGER):
            customers, by = visible_customers(user), Q(participants__groups__name=r.SALES_MANAGER)
        elif rule.who == RevisitRule.Who.MARKETING_HEAD and r.has_role(user, r.MARKETING_HEAD):
            customers, by = visible_customers(user), Q(participants__groups__name=r.MARKETING_HEAD)
        else:
            continue
        if rule.tier:
            customers = customers.filter(tier=rule.tier)
        start, end = period_of(on, rule.every_months)
        prev_start, _prev_end = period_of(start - timedelta(days=1), rule.every_months)

        def visited(since, until):
            return Exists(Visit.objects.filter(by, customer=OuterRef("pk"), visited_on__range=(since, until)))

        rows = (
            customers.filter(registration_status="approved").exclude(customer_status="cancelled")
            .annotate(done=visited(start, on), before=visited(prev_start, start - timedelta(days=1)))
            .filter(done=False)
            .values("pk", "name", "before")[:limit]
        )
        for row in rows:
            items.append(TodoItem(
                "revisit", _("Revisit %(name)s (%(who)s)") % {"name": row["name"], "who": rule.get_who_display()},
                f"{reverse('service:visit_new')}?customer={row['pk']}", end, not row["before"],
            ))
    return items


# DOMAIN §2, new retail accounts: which fields must be filled by which working day after approval.
NEW_ACCOUNT_DEADLINES = (
    (2, ("geo_location", "visit_batch", "delivery_route", "delivery_sequence", "invoice_type", "service_staff",
         "order_method", "settlement_method")),
    (3, ("market_type", "retail_format", "business_scale")),
    (10, ("trade_area_type", "display_form")),
    (20, ("importance", "cooperation_level")),
)


def _verification_items(user, on: date, limit: int) -> list[TodoItem]:
    from dateutil.relativedelta import relativedelta

    from customers.services import STATIC_REVIEW_EVERY, VERIFY_EVERY

    items = []
    mine = visible_customers(user).filter(account_manager=user, registration_status="approved").exclude(
        customer_status="cancelled")
    for c in mine.filter(Q(last_verified_on__lte=on - VERIFY_EVERY) | Q(last_verified_on__isnull=True))[:limit]:
        due = c.last_verified_on + VERIFY_EVERY if c.last_verified_on else on
        items.append(TodoItem("verification", _("Verify %(name)s (quarterly)") % {"name": c.name},
                              reverse("customers:detail", args=[c.pk]), due, due < on))
    soon = on - STATIC_REVIEW_EVERY + relativedelta(days=14)
    for c in mine.filter(static_reviewed_on__lte=soon)[:limit]:
        due = c.static_reviewed_on + STATIC_REVIEW_EVERY
        items.append(TodoItem("static_review", _("Review the static fields of %(name)s") % {"name": c.name},
                              reverse("customers:detail", args=[c.pk]), due, due < on))
    return items


def _new_account_items(user, on: date, limit: int) -> list[TodoItem]:
    from crm.workdays import add_working_days
    from customers.models import CustomerEvent

    approvals = (
        CustomerEvent.objects.filter(kind=CustomerEvent.Kind.APPROVED, at__date__gte=on - timedelta(days=45),
                                     customer__in=visible_customers(user).filter(account_manager=user, profile_type="retail"))
        .select_related("customer")[:limit]
    )
    items = []
    for event in approvals:
        approved_on = timezone.localtime(event.at).date()
        for days, fields in NEW_ACCOUNT_DEADLINES:
            missing = [f for f in fields if not event.customer.is_filled(f)]
            if missing:
                due = add_working_days(approved_on, days)
                items.append(TodoItem(
                    "new_account", _("Fill in %(count)d fields of new account %(name)s") % {"count": len(missing), "name": event.customer.name},
                    reverse("customers:edit", args=[event.customer_id]), due, due < on))
                break
    return items


def inbox(user, on: date | None = None, limit: int = 200) -> list[TodoItem]:
    on = on or timezone.localdate()
    items = _revisit_items(user, on, limit) + _verification_items(user, on, limit) + _new_account_items(user, on, limit)
    now = timezone.now()
    late_ids = set(late_complaints(now).values_list("pk", flat=True))
    complaints = Complaint.objects.filter(handler=user, status__in=[Complaint.Status.OPEN, Complaint.Status.RESPONDED])
    if r.has_role(user, r.CS_MANAGER):
        complaints = Complaint.objects.filter(pk__in=late_ids)
    for c in complaints[:limit]:
        items.append(TodoItem("complaint", _("Complaint %(number)s") % {"number": c.number},
                              reverse("service:complaint_detail", args=[c.pk]), c.solution_due, c.pk in late_ids))
    from customers.permissions import can_approve_in_general, can_first_review_in_general
    from customers.selectors import approval_queue

    if can_approve_in_general(user) or can_first_review_in_general(user):
        for c in approval_queue(user)[:limit]:
            items.append(TodoItem("approval", _("Approve the registration of %(name)s") % {"name": c.name},
                                  reverse("customers:detail", args=[c.pk]), None, False))
    from confidentiality.models import Printout
    from confidentiality.selectors import data_request_queue

    from .models import FollowUpTask

    job_kinds = (FollowUpTask.Kind.LICENCE_EXPIRY, FollowUpTask.Kind.ANNUAL_REVIEW)
    tasks = Q(assignee=user, kind__in=job_kinds)
    if r.has_role(user, r.SALES_MANAGER, r.MARKETING_HEAD):
        tasks |= Q(kind=FollowUpTask.Kind.TIER_REVIEW, customer__in=visible_customers(user))
    for task in FollowUpTask.objects.filter(tasks, done_at__isnull=True).select_related("customer")[:limit]:
        items.append(TodoItem("task", f"{task.get_kind_display()}: {task.customer.name}",
                              reverse("customers:detail", args=[task.customer_id]), task.due_on, task.due_on < on))
    for req in data_request_queue(user):
        items.append(TodoItem("data_request", _("Data request %(number)s") % {"number": req.number},
                              reverse("confidentiality:request_detail", args=[req.pk]), None, False))
    for p in Printout.objects.filter(printed_by=user, returned_at__isnull=True).select_related("grant__request"):
        items.append(TodoItem("printout", _("Return the printout of %(number)s") % {"number": p.grant.request.number},
                              reverse("confidentiality:request_detail", args=[p.grant.request_id]), p.return_due,
                              p.return_due < on))
    return sorted(items, key=lambda i: (not i.overdue, i.due or date.max, i.title))


def inbox_count(user) -> int:
    """For the navigation badge; cached a minute per user so every page does not rebuild the inbox."""
    from django.core.cache import cache

    key = f"inbox-count:{user.pk}"
    count = cache.get(key)
    if count is None:
        count = len(inbox(user))
        cache.set(key, count, 60)
    return count


def weekly_visits(user, on: date | None = None):
    """Visits of the user's visible customers in the week of `on` (Monday to Sunday), by rep."""
    on = on or timezone.localdate()
    monday = on - timedelta(days=on.weekday())
    visits = (
        Visit.objects.filter(customer__in=visible_customers(user), visited_on__range=(monday, monday + timedelta(days=6)))
        .select_related("customer", "created_by")
        .order_by("created_by__username", "visited_on")
    )
    return monday, visits
