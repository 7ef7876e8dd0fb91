"""The daily scans of DOMAIN §7 that create follow-up tasks: set-based, in primary-key batches,
idempotent through FollowUpTask's natural key. Celery tasks in tasks.py only call these."""
from datetime import date, timedelta

from django.db.models import CharField, DateField, DateTimeField, Exists, F, OuterRef, Q, Value
from django.utils import timezone

from crm import roles as r
from crm.jobs import insert_select, run_in_batches
from customers.models import Customer
from customers.services import VERIFY_EVERY

from .models import FollowUpTask, RevisitRule, Visit
from .services import period_of

COLUMNS = ["customer_id", "kind", "period", "assignee_id", "due_on", "created_at"]
REMIND_DAYS = 30


def _active():
    return Customer.objects.filter(registration_status="approved").exclude(customer_status="cancelled")


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
    cutoff = today - VERIFY_EVERY

    def step(batch):
        due = batch.filter(Q(last_verified_on__lte=cutoff) | Q(last_verified_on__isnull=True))
        return batch.count(), _insert(due, kind=FollowUpTask.Kind.VERIFICATION, period=quarter_label(today), due_on=today)

    return run_in_batches("verification_scan", _active(), step)


def revisit_scan(today: date | None = None):
    """Per rule of the revisit policy: customers without a qualifying visit this period get a task."""
    today = today or timezone.localdate()
    rules = list(RevisitRule.objects.all())

    def step(batch):
        scanned, created = batch.count(), 0
        for rule in rules:
            start, end = period_of(today, rule.every_months)
            customers = batch.filter(tier=rule.tier) if rule.tier else batch
            visits = Visit.objects.filter(customer=OuterRef("pk"), visited_on__range=(start, today))
            if rule.who == RevisitRule.Who.OWNER:
                visits = visits.filter(participants=OuterRef("account_manager_id"))
                assignee = F("account_manager_id")
            else:
                role = r.SALES_MANAGER if rule.who == RevisitRule.Who.SALES_MANAGER else r.MARKETING_HEAD
                visits = visits.filter(participants__groups__name=role)
                assignee = Value(None, CharField())
            kind = f"revisit_{rule.who}"
            period = f"{start:%Y%m%d}-{rule.tier or 'all'}"
            created += _insert(customers.filter(~Exists(visits)), kind=kind, period=period, due_on=end, assignee=assignee)
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


