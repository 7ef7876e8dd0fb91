"""The to-do inbox and the roll-ups: everything due for one person, overdue first."""
from datetime import date, timedelta

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import registry
from crm import roles as r
from customers.models import Customer
from customers.policy import own_unit_ids, visible_customers

from .models import Complaint, Opportunity, RevisitRule, Visit
from .services import contacts_count, late_complaints, period_of, revisit_visits

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
        prev_start, prev_end = period_of(start - timedelta(days=1), rule.period_months)
        need = rule.required_contacts
        rows = (
            customers.active()
            .annotate(done=contacts_count(rule, start, on), before=contacts_count(rule, prev_start, start - timedelta(days=1)))
            .filter(done__lt=need)
            .values("pk", "name", "done", "before", "registered_on")[:limit]
        )
        for row in rows:
            title = (_("Revisit %(name)s (%(who)s)") if need == 1 else
                     _("Contact %(name)s (%(who)s): %(done)d of %(need)d contacts")) % {
                "name": row["name"], "who": rule.get_who_display(), "done": row["done"], "need": need}
            # Missed (due at the previous period's end) only if it was a customer then, as on its page (revisit_status).
            missed = row["before"] < need and row["registered_on"] is not None and row["registered_on"] <= prev_end
            items.append(TodoItem(
                "revisit", title, f"{reverse('service:visit_new')}?customer={row['pk']}", prev_end if missed else end,
            ))
    return items


# Seed 002 第七条 (DOMAIN §2), new retail accounts: which fields must be filled by which working day after the
# day the account was created (not approved). Every other field people type is due within 15 working days.
NEW_ACCOUNT_DEADLINES = (
    (2, ("geo_location", "visit_batch", "delivery_route", "delivery_sequence", "invoice_type", "service_staff",
         "order_method", "settlement_method")),
    (3, ("market_type", "retail_format", "business_scale")),
    (10, ("trade_area_type", "display_form")),
    (20, ("importance", "cooperation_level")),
)
REMAINING_FIELDS_DAYS = 15
QUANTITY_FIELDS_DAYS = 3  # the supervisor (科长) confirms these allocation quantities before the first order
NEW_ACCOUNT_WINDOW = timedelta(days=60)  # 20 working days, with the longest holidays, fit well inside


def new_account_deadlines(customer) -> list[tuple[int, date, list[str]]]:
    """(working days, deadline, fields still empty) for each deadline of a new retail account, in date order;
    the 15-day group is every required or important field it applies to that no other deadline names."""
    from crm.workdays import add_working_days
    from customers.catalogue import CATALOGUE

    named = {f for _days, fields in NEW_ACCOUNT_DEADLINES for f in fields}
    remaining = tuple(spec.code for spec in CATALOGUE.counted_for_completeness(customer.kinds) if spec.code not in named)
    created_on = timezone.localtime(customer.created_at).date()
    groups = sorted((*NEW_ACCOUNT_DEADLINES, (REMAINING_FIELDS_DAYS, remaining)))
    return [(days, add_working_days(created_on, days), [f for f in fields if not customer.is_filled(f)])
            for days, fields in groups]


def new_accounts(on: date):
    """Retail accounts created within the window before `on` and not cancelled."""
    return Customer.objects.filter(profile_type="retail", created_at__date__gte=on - NEW_ACCOUNT_WINDOW,
                                   created_at__date__lte=on).exclude(customer_status="cancelled")


def _verification_items(user, on: date, limit: int) -> list[TodoItem]:
    from dateutil.relativedelta import relativedelta

    from customers.models import next_verification_due, verification_state
    from customers.services import STATIC_REVIEW_EVERY

    items = []
    mine = visible_customers(user).filter(account_manager=user).active()
    for c in mine.verification_due(on)[:limit]:
        due = next_verification_due(c.last_verified_on)  # None: never verified, overdue without a due day
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
    """The owner's next deadline with fields still empty, per new account."""
    items = []
    mine = new_accounts(on).filter(pk__in=visible_customers(user).filter(account_manager=user).values("pk"))
    for customer in mine.order_by("created_at")[:limit]:
        for _days, due, missing in new_account_deadlines(customer):
            if missing:
                items.append(TodoItem(
                    "new_account", _("Fill in %(count)d fields of new account %(name)s") % {"count": len(missing), "name": customer.name},
                    reverse("customers:edit", args=[customer.pk]), due, due < on))
                break
    return items


def nearest_role_holders(unit_ids, role: str) -> dict[int, list]:
    """For each unit, the active holders of `role` nearest above it (its own unit's first, else the next unit up):
    "the owner's sales manager" of DOMAIN §7, the supervisor (科长) of seed 002."""
    from django.contrib.auth import get_user_model

    from crm.models import OrgUnit, StaffProfile

    placed: dict[int, set[int]] = {}
    for user_id, unit_id in StaffProfile.units.through.objects.filter(
        staffprofile__user__groups__name=role, staffprofile__user__is_active=True,
    ).values_list("staffprofile__user_id", "orgunit_id"):
        placed.setdefault(unit_id, set()).add(user_id)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={pk for ids in placed.values() for pk in ids})}
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    found = {}
    for unit_id in set(unit_ids):
        here = unit_id
        while here is not None and here not in placed:
            here = parents.get(here)
        found[unit_id] = sorted((users[pk] for pk in placed.get(here, ())), key=lambda u: u.pk)
    return found


def complaint_items(user, on: date, limit: int) -> list[TodoItem]:
    late_ids = set(late_complaints(timezone.now()).values_list("pk", flat=True))
    complaints = Complaint.objects.filter(handler=user, status__in=[Complaint.Status.OPEN, Complaint.Status.RESPONDED])
    if r.has_role(user, r.CS_MANAGER):
        complaints = Complaint.objects.filter(pk__in=late_ids)
    return [
        TodoItem("complaint", _("Complaint %(number)s") % {"number": c.number},
                 reverse("service:complaint_detail", args=[c.pk]),
                 c.response_due if c.status == Complaint.Status.OPEN else c.solution_due, c.pk in late_ids)
        for c in complaints[:limit]
    ]


def _task_scope(user) -> Q:
    """Which open job tasks are this user's to close: its licence and review reminders, the tier proposals of the
    customers a tier decider sees, the allocation confirmations of a supervisor's units."""
    from .models import FollowUpTask

    K = FollowUpTask.Kind
    tasks = Q(assignee=user, kind__in=(K.LICENCE_EXPIRY, K.ANNUAL_REVIEW))
    if r.has_role(user, r.SALES_MANAGER, r.MARKETING_HEAD):
        tasks |= Q(kind=K.TIER_REVIEW, customer__in=visible_customers(user))
    if r.has_role(user, r.SALES_SUPERVISOR):
        tasks |= Q(kind=K.ALLOCATION_CONFIRMATION, customer__in=visible_customers(user).filter(unit_id__in=own_unit_ids(user)))
    return tasks


def closable_tasks(user, customer) -> list:
    from .models import FollowUpTask

    return list(FollowUpTask.objects.filter(_task_scope(user), customer=customer, done_at__isnull=True).order_by("due_on"))


def task_items(user, on: date, limit: int) -> list[TodoItem]:
    from .models import FollowUpTask

    tasks = _task_scope(user)
    return [
        TodoItem("task", f"{task.get_kind_display()}: {task.customer.name}",
                 reverse("customers:detail", args=[task.customer_id]), task.due_on, task.due_on < on)
        for task in FollowUpTask.objects.filter(tasks, done_at__isnull=True).select_related("customer")[:limit]
    ]


# --- escalations (DOMAIN §7: overdue verification and revisit tasks escalate) ------------------------

ESCALATED_KINDS = ("verification", "revisit_owner", "revisit_sales_manager", "revisit_marketing_head")


def overdue_tasks(on: date):
    """Verification and revisit tasks past their due day (due < `on`) whose work is still not done: the customer
    not verified since the task fell due, or no visit that counts for the rule in the task's period."""
    from .models import FollowUpTask

    open_tasks = FollowUpTask.objects.filter(done_at__isnull=True, due_on__lt=on, kind__in=ESCALATED_KINDS,
                                             customer__in=Customer.objects.active())
    outstanding = Q(kind="verification") & (
        Q(customer__last_verified_on__isnull=True) | Q(customer__last_verified_on__lt=F("due_on")))
    for rule in RevisitRule.objects.all():
        tasks = open_tasks.filter(kind=f"revisit_{rule.who}", period__endswith=f"-{rule.tier or 'all'}")
        for due in tasks.order_by().values_list("due_on", flat=True).distinct():
            start, _end = period_of(due, rule.period_months)
            short = Customer.objects.annotate(n=contacts_count(rule, start, due)).filter(n__lt=rule.required_contacts)
            outstanding |= Q(pk__in=tasks.filter(due_on=due, customer__in=short.values("pk")).values("pk"))
    return open_tasks.filter(outstanding)


def escalation_items(user, on: date, limit: int) -> list[TodoItem]:
    """Escalated overdue verifications and revisits of the customers a sales manager (or, for secret records, the
    marketing head) sees, with the customer and the days overdue; gone once the work is done."""
    from .models import FollowUpTask

    from customers.policy import SECRET

    if r.has_role(user, r.SALES_MANAGER):
        customers = visible_customers(user)
    elif r.has_role(user, r.MARKETING_HEAD):  # the escalations sent to her: secret records, which no sales manager sees
        customers = visible_customers(user).filter(confidentiality_level=SECRET)
    else:
        return []
    tasks = (overdue_tasks(on).filter(escalated_at__isnull=False, customer__in=customers)
             .select_related("customer").order_by("due_on", "pk")[:limit])
    return [
        TodoItem("escalation", _("Escalated: %(task)s for %(name)s, %(days)d days overdue") % {
            "task": FollowUpTask.Kind(task.kind).label, "name": task.customer.name, "days": (on - task.due_on).days},
            reverse("customers:detail", args=[task.customer_id]), task.due_on, True)
        for task in tasks
    ]


# The inbox sources this app registers (service/contributions.py); other apps register their own.
INBOX_SOURCES = {
    "revisits": _revisit_items,
    "verifications": _verification_items,
    "new_accounts": _new_account_items,
    "complaints": complaint_items,
    "tasks": task_items,
    "escalations": escalation_items,
}


def inbox(user, on: date | None = None, limit: int = 200) -> list[TodoItem]:
    """Everything due for the user, from every app's registered sources (`crm.registry.inbox_for`)."""
    return registry.inbox_for(user, on, limit)


def inbox_counts(user) -> tuple[int, int]:
    """(items, overdue) for the navigation badge; cached a minute per user so every page does not rebuild the inbox."""
    from django.core.cache import cache

    key = f"inbox-counts:{user.pk}"
    counts = cache.get(key)
    if counts is None:
        items = registry.inbox_for(user)
        counts = (len(items), sum(item.overdue for item in items))
        cache.set(key, counts, 60)
    return counts


def inbox_count(user) -> int:
    return inbox_counts(user)[0]


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


def complaints_seen_by(user):
    """Complaints of the customers the user may see, newest first."""
    return Complaint.objects.filter(customer__in=visible_customers(user)).order_by("-received_at", "-pk")


def opportunities_seen_by(user):
    """Opportunities of the customers the user may see, nearest deadline first."""
    return Opportunity.objects.filter(customer__in=visible_customers(user)).order_by("deadline", "pk")
