"""The to-do inbox and the roll-ups: everything due for one person, overdue first."""
from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import registry
from crm import roles as r
from customers.policy import visible_customers

from .models import Complaint, RevisitRule, Visit
from .services import contacts_count, late_complaints, period_of

TodoItem = registry.InboxItem  # (kind, title, url, due, overdue): the registry's own item


def _revisit_items(user, on: date, limit: int) -> list[TodoItem]:
    """Set-based for the inbox: the rules this user answers for, customers with no qualifying
    visit this period; overdue when the previous period had none either."""
    items = []
    for rule in RevisitRule.objects.all():
        if rule.who == RevisitRule.Who.OWNER:
            customers = visible_customers(user).filter(account_manager=user)
        elif rule.who == RevisitRule.Who.SALES_MANAGER and r.has_role(user, r.SALES_MANAGER):
            customers = visible_customers(user)
        elif rule.who == RevisitRule.Who.MARKETING_HEAD and r.has_role(user, r.MARKETING_HEAD):
            customers = visible_customers(user)
        else:
            continue
        if rule.tier:
            customers = customers.filter(tier=rule.tier)
        start, end = period_of(on, rule.period_months)
        prev_start, _prev_end = period_of(start - timedelta(days=1), rule.period_months)
        need = rule.required_contacts
        rows = (
            customers.active()
            .annotate(done=contacts_count(rule, start, on), before=contacts_count(rule, prev_start, start - timedelta(days=1)))
            .filter(done__lt=need)
            .values("pk", "name", "done", "before")[:limit]
        )
        for row in rows:
            title = (_("Revisit %(name)s (%(who)s)") if need == 1 else
                     _("Contact %(name)s (%(who)s): %(done)d of %(need)d contacts")) % {
                "name": row["name"], "who": rule.get_who_display(), "done": row["done"], "need": need}
            items.append(TodoItem(
                "revisit", title, f"{reverse('service:visit_new')}?customer={row['pk']}", end, row["before"] < need,
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

    from customers.models import next_verification_due, verification_state
    from customers.services import STATIC_REVIEW_EVERY

    items = []
    mine = visible_customers(user).filter(account_manager=user).active()
    for c in mine.verification_due(on)[:limit]:
        due = next_verification_due(c.last_verified_on) or on
        items.append(TodoItem("verification", _("Verify %(name)s (quarterly)") % {"name": c.name},
                              reverse("customers:detail", args=[c.pk]), due,
                              verification_state(c.last_verified_on, on) == "overdue"))
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


def complaint_items(user, on: date, limit: int) -> list[TodoItem]:
    late_ids = set(late_complaints(timezone.now()).values_list("pk", flat=True))
    complaints = Complaint.objects.filter(handler=user, status__in=[Complaint.Status.OPEN, Complaint.Status.RESPONDED])
    if r.has_role(user, r.CS_MANAGER):
        complaints = Complaint.objects.filter(pk__in=late_ids)
    return [
        TodoItem("complaint", _("Complaint %(number)s") % {"number": c.number},
                 reverse("service:complaint_detail", args=[c.pk]), c.solution_due, c.pk in late_ids)
        for c in complaints[:limit]
    ]


def task_items(user, on: date, limit: int) -> list[TodoItem]:
    from .models import FollowUpTask

    job_kinds = (FollowUpTask.Kind.LICENCE_EXPIRY, FollowUpTask.Kind.ANNUAL_REVIEW)
    tasks = Q(assignee=user, kind__in=job_kinds)
    if r.has_role(user, r.SALES_MANAGER, r.MARKETING_HEAD):
        tasks |= Q(kind=FollowUpTask.Kind.TIER_REVIEW, customer__in=visible_customers(user))
    return [
        TodoItem("task", f"{task.get_kind_display()}: {task.customer.name}",
                 reverse("customers:detail", args=[task.customer_id]), task.due_on, task.due_on < on)
        for task in FollowUpTask.objects.filter(tasks, done_at__isnull=True).select_related("customer")[:limit]
    ]


# The inbox sources this app registers (service/contributions.py); other apps register their own.
INBOX_SOURCES = {
    "revisits": _revisit_items,
    "verifications": _verification_items,
    "new_accounts": _new_account_items,
    "complaints": complaint_items,
    "tasks": task_items,
}


def inbox(user, on: date | None = None, limit: int = 200) -> list[TodoItem]:
    """Everything due for the user, from every app's registered sources (`crm.registry.inbox_for`)."""
    return registry.inbox_for(user, on, limit)


def inbox_count(user) -> int:
    """For the navigation badge; cached a minute per user so every page does not rebuild the inbox."""
    from django.core.cache import cache

    key = f"inbox-count:{user.pk}"
    count = cache.get(key)
    if count is None:
        count = len(registry.inbox_for(user))
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
