"""The daily scans of DOMAIN §7 that create follow-up tasks: set-based, in primary-key batches,
idempotent through FollowUpTask's natural key. Celery tasks in tasks.py only call these."""
from datetime import date, timedelta

from django.db.models import CharField, DateField, DateTimeField, F, Q, Value
from django.utils import timezone

from crm import roles as r
from crm.jobs import insert_select, run_in_batches
from customers.models import Customer

from .models import FollowUpTask, RevisitRule
from .services import contacts_count, period_of

COLUMNS = ["customer_id", "kind", "period", "assignee_id", "due_on", "created_at"]
REMIND_DAYS = 30


def _active():
    return Customer.objects.active()


def _insert(queryset, *, kind: str, period: str, due_on: date, assignee=F("account_manager_id")) -> tuple[int, int]:
    rows = queryset.annotate(
        t_customer=F("pk"), t_kind=Value(kind, CharField()), t_period=Value(period, CharField()),
        t_assignee=assignee, t_due=Value(due_on, DateField()),
        t_created=Value(timezone.now(), DateTimeField()),
    ).values("t_customer", "t_kind", "t_period", "t_assignee", "t_due", "t_created")
    return insert_select(FollowUpTask._meta.db_table, COLUMNS, rows)


def quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def verification_scan(today: date | None = None):
    """Customers not verified for 3 months get one verification task per quarter."""
    today = today or timezone.localdate()

    def step(batch):
        return batch.count(), _insert(batch.verification_due(today), kind=FollowUpTask.Kind.VERIFICATION, period=quarter_label(today), due_on=today)

    return run_in_batches("verification_scan", _active(), step)


def revisit_scan(today: date | None = None):
    """Per rule of the revisit policy: customers without a qualifying visit this period get a task."""
    today = today or timezone.localdate()
    rules = list(RevisitRule.objects.all())

    def step(batch):
        scanned, created = batch.count(), 0
        for rule in rules:
            start, end = period_of(today, rule.period_months)
            customers = batch.filter(tier=rule.tier) if rule.tier else batch
            short = customers.annotate(contacts=contacts_count(rule, start, today)).filter(contacts__lt=rule.required_contacts)
            if rule.who == RevisitRule.Who.OWNER:
                assignee = F("account_manager_id")
            else:
                assignee = Value(None, CharField())
            kind = f"revisit_{rule.who}"
            period = f"{start:%Y%m%d}-{rule.tier or 'all'}"
            created += _insert(short, kind=kind, period=period, due_on=end, assignee=assignee)
        return scanned, created

    return run_in_batches("revisit_scan", _active(), step)


def licence_scan(today: date | None = None):
    """Licences expiring, and annual reviews falling, within 30 days: reminded once per date."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=REMIND_DAYS)

    def step(batch):
        created = 0
        for field, kind in (("licence_valid_until", FollowUpTask.Kind.LICENCE_EXPIRY),
                            ("annual_review_on", FollowUpTask.Kind.ANNUAL_REVIEW)):
            for day in batch.filter(**{f"{field}__range": (today, horizon)}).values_list(field, flat=True).distinct():
                created += _insert(batch.filter(**{field: day}), kind=kind, period=day.isoformat(), due_on=day)
        return batch.count(), created

    return run_in_batches("licence_scan", _active(), step)




def half_label(day: date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def static_review_scan(today: date | None = None):
    """Static fields are reviewed every half year: one task per customer and half-year when overdue."""
    from customers.services import STATIC_REVIEW_EVERY

    today = today or timezone.localdate()
    cutoff = today - STATIC_REVIEW_EVERY

    def step(batch):
        due = batch.filter(Q(static_reviewed_on__lte=cutoff) | Q(static_reviewed_on__isnull=True))
        return batch.count(), _insert(due, kind=FollowUpTask.Kind.STATIC_REVIEW, period=half_label(today), due_on=today)

    return run_in_batches("static_review_scan", _active(), step)


def is_first_working_day_of_quarter(day: date) -> bool:
    from crm.workdays import add_working_days

    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return add_working_days(first - timedelta(days=1), 1) == day


def tier_review_scan(today: date | None = None, *, force: bool = False):
    """On the first working day of each quarter: a proposal for every customer whose purchase
    totals point to a higher tier (DOMAIN §2); managers confirm with "change tier"."""
    from decimal import Decimal

    today = today or timezone.localdate()
    if not force and not is_first_working_day_of_quarter(today):
        return None
    a, b = Decimal("50000000"), Decimal("8000000")
    suggestions = (
        Q(cumulative_amount__gte=a) & ~Q(tier="A"),
        Q(cumulative_amount__gte=b, cumulative_amount__lt=a) & Q(tier__in=["C", "D", "E"]),
        (Q(cumulative_amount__gt=0, cumulative_amount__lt=b) | Q(first_trade_on__isnull=False, cumulative_amount__lt=b)
         | Q(first_trade_on__isnull=False, cumulative_amount__isnull=True)) & Q(tier__in=["D", "E"]),
    )
    condition = suggestions[0] | suggestions[1] | suggestions[2]

    def step(batch):
        return batch.count(), _insert(batch.filter(condition), kind=FollowUpTask.Kind.TIER_REVIEW,
                                      period=quarter_label(today), due_on=today + timedelta(days=14),
                                      assignee=Value(None, CharField()))

    return run_in_batches("tier_review_scan", _active(), step)


def new_account_scan(today: date | None = None):
    """New retail accounts (seed 002): a task per field deadline passed with fields still empty, counted in working
    days from the day the account was created; and, once the allocation quantities are in and before the first
    order, the supervisor's (科长) confirmation of them as a task of its own."""
    from crm.jobs import run_simple
    from crm.workdays import add_working_days

    from .selectors import QUANTITY_FIELDS_DAYS, new_account_deadlines, new_accounts, nearest_role_holders

    today = today or timezone.localdate()
    K = FollowUpTask.Kind

    def work():
        tasks, scanned = [], 0
        customers = new_accounts(today)
        supervisors = nearest_role_holders(set(customers.values_list("unit_id", flat=True).distinct()), r.SALES_SUPERVISOR)
        for customer in customers.iterator(chunk_size=1000):
            scanned += 1
            for days, deadline, missing in new_account_deadlines(customer):
                if deadline < today and missing:
                    tasks.append(FollowUpTask(customer=customer, kind=K.NEW_ACCOUNT, period=f"day{days}",
                                              assignee_id=customer.account_manager_id, due_on=deadline))
                if days == QUANTITY_FIELDS_DAYS and not missing and customer.first_trade_on is None:
                    chief = supervisors.get(customer.unit_id) or [None]
                    created_on = timezone.localtime(customer.created_at).date()
                    tasks.append(FollowUpTask(customer=customer, kind=K.ALLOCATION_CONFIRMATION, period="first_order",
                                              assignee=chief[0], due_on=add_working_days(created_on, days + 1)))
        kinds = (K.NEW_ACCOUNT, K.ALLOCATION_CONFIRMATION)
        existing = FollowUpTask.objects.filter(kind__in=kinds).count()
        FollowUpTask.objects.bulk_create(tasks, ignore_conflicts=True)
        return scanned, FollowUpTask.objects.filter(kind__in=kinds).count() - existing

    return run_simple("new_account_scan", work)


def escalate_overdue_tasks(today: date | None = None):
    """Daily: each overdue verification or revisit task (due < today, work not done) is escalated once to the
    owner's sales manager, in-app and by e-mail when enabled (the marketing head for secret records, which no
    sales manager sees). `escalated_at` is set by a guarded update, so a rerun or a second worker sends nothing
    twice."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from crm.jobs import run_simple
    from crm.notifications import notify
    from customers.policy import SECRET

    from .selectors import nearest_role_holders, overdue_tasks

    today = today or timezone.localdate()
    now = timezone.now()

    def work():
        scanned = escalated = 0
        heads = list(get_user_model().objects.filter(groups__name=r.MARKETING_HEAD, is_active=True))
        pending = overdue_tasks(today).filter(escalated_at__isnull=True).select_related("customer")
        while batch := list(pending.order_by("pk")[:1000]):
            managers = nearest_role_holders({task.customer.unit_id for task in batch}, r.SALES_MANAGER)
            for task in batch:
                scanned += 1
                customer = task.customer
                to = heads if customer.confidentiality_level == SECRET else managers.get(customer.unit_id, [])
                with transaction.atomic():
                    if not FollowUpTask.objects.filter(pk=task.pk, escalated_at__isnull=True).update(escalated_at=now):
                        continue  # another worker took it
                    days = (today - task.due_on).days
                    notify(to, subject=_("Overdue: %(task)s for %(name)s, %(days)d days") % {
                        "task": FollowUpTask.Kind(task.kind).label, "name": customer.name, "days": days},
                        url=reverse("customers:detail", args=[customer.pk]))
                    escalated += 1
        return scanned, escalated

    return run_simple("overdue_task_escalation", work)
