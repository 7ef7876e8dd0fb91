"""Service workflows: visits, the revisit policy's due/done/overdue, complaint numbers and deadlines."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.workdays import add_working_days
from customers.models import Customer, CustomerChange
from customers.policy import is_visible

from .models import Complaint, ComplaintSequence, RevisitRule, Visit

FIRST_RESPONSE = timedelta(hours=24)
SOLUTION_WORKING_DAYS = 2
QUALITY_FIELDS = ("order_number", "product", "quantity", "delivered_on", "defect_count")


class ServiceError(Exception):
    """A refused action, with a message for the user in the active language."""


# --- visits -------------------------------------------------------------------------------------

@transaction.atomic
def log_visit(*, actor, customer: Customer, channel: str, content: str, participants=(), visited_on: date | None = None,
              feedback: str = "", next_plan: str = "", next_on: date | None = None) -> Visit:
    """A new customer's first visit needs two reps (DOMAIN §2); the actor always takes part."""
    if not is_visible(actor, customer):
        raise ServiceError(_("You cannot log a visit for this customer."))
    if not (content or "").strip():
        raise ServiceError(_("Write what was discussed."))
    people = {actor, *participants}
    if not customer.visits.exists() and len(people) < 2:
        raise ServiceError(_("A new customer's first visit needs two reps."))
    visit = Visit.objects.create(
        customer=customer, visited_on=visited_on or timezone.localdate(), channel=channel, content=content.strip(),
        feedback=feedback, next_plan=next_plan, next_on=next_on, created_by=actor,
    )
    visit.participants.set(people)
    return visit


# --- revisit policy -----------------------------------------------------------------------------

@dataclass
class Revisit:
    rule: RevisitRule
    period_start: date
    period_end: date
    status: str  # "done", "due" or "overdue"
    visit: Visit | None = None


def period_of(day: date, months: int) -> tuple[date, date]:
    """Calendar periods: quarters for 3 months, halves for 6."""
    start = date(day.year, (day.month - 1) // months * months + 1, 1)
    return start, start + relativedelta(months=months) - timedelta(days=1)


def owner_on(customer: Customer, day: date) -> int | None:
    """Who owned the customer at the end of `day`, from the per-field history of account_manager."""
    later = (
        CustomerChange.objects.filter(customer=customer, field="account_manager", at__date__gt=day)
        .order_by("at", "id")
        .values_list("old_value", flat=True)
        .first()
    )
    if later is None:
        return customer.account_manager_id
    return int(later) if later.isdigit() else None


def _qualifies(rule: RevisitRule, visit: Visit, customer: Customer) -> bool:
    people = list(visit.participants.all())
    if rule.who == RevisitRule.Who.OWNER:
        owner = owner_on(customer, visit.visited_on)
        return any(p.pk == owner for p in people)
    role = r.SALES_MANAGER if rule.who == RevisitRule.Who.SALES_MANAGER else r.MARKETING_HEAD
    return any(r.has_role(p, role) for p in people)


def rules_for(customer: Customer):
    return [rule for rule in RevisitRule.objects.all() if rule.tier in ("", customer.tier)]


def revisit_status(customer: Customer, on: date | None = None) -> list[Revisit]:
    """For each rule that applies: done this period, due by its end, or overdue (the previous
    period went without a qualifying visit and none has come since)."""
    on = on or timezone.localdate()
    visits = list(customer.visits.filter(visited_on__lte=on).prefetch_related("participants__groups"))
    result = []
    for rule in rules_for(customer):
        start, end = period_of(on, rule.every_months)
        done = next((v for v in visits if start <= v.visited_on <= on and _qualifies(rule, v, customer)), None)
        if done:
            result.append(Revisit(rule, start, end, "done", done))
            continue
        prev_start, prev_end = period_of(start - timedelta(days=1), rule.every_months)
        existed = customer.registered_on is not None and customer.registered_on <= prev_end
        missed = existed and not any(prev_start <= v.visited_on <= prev_end and _qualifies(rule, v, customer) for v in visits)
        result.append(Revisit(rule, start, end, "overdue" if missed else "due"))
    return result


# --- complaints ---------------------------------------------------------------------------------

def _next_number(received_at: datetime) -> str:
    month = timezone.localtime(received_at).strftime("%Y%m")
    ComplaintSequence.objects.bulk_create([ComplaintSequence(month=month)], ignore_conflicts=True)
    sequence = ComplaintSequence.objects.select_for_update().get(month=month)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"KS-{month}-{sequence.last:04d}"


@transaction.atomic
def register_complaint(*, actor, customer: Customer, category: str, description: str,
                       received_at: datetime | None = None, **quality) -> Complaint:
    """Numbers restart each month with no gaps or repeats; the solution is due 2 working days
    after receipt by the Chinese calendar; the first response 24 hours after it."""
    if not is_visible(actor, customer):
        raise ServiceError(_("You cannot register a complaint for this customer."))
    if not (description or "").strip():
        raise ServiceError(_("Describe the complaint."))
    if category == Complaint.Category.QUALITY and any(quality.get(f) in (None, "") for f in QUALITY_FIELDS):
        raise ServiceError(_("A quality complaint needs the order number, product, quantity, delivery date and defect count."))
    received_at = received_at or timezone.now()
    return Complaint.objects.create(
        number=_next_number(received_at), customer=customer, category=category, description=description.strip(),
        received_at=received_at, handler=actor, response_due=received_at + FIRST_RESPONSE,
        solution_due=add_working_days(timezone.localtime(received_at).date(), SOLUTION_WORKING_DAYS),
        **{k: v for k, v in quality.items() if k in QUALITY_FIELDS},
    )


@transaction.atomic
def respond_to_complaint(*, actor, complaint_id: int, note: str = "") -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    if complaint.status != Complaint.Status.OPEN:
        raise ServiceError(_("This complaint was already answered."))
    complaint.status, complaint.responded_at = Complaint.Status.RESPONDED, timezone.now()
    complaint.handler = complaint.handler or actor
    complaint.save(update_fields=["status", "responded_at", "handler"])
    return complaint


@transaction.atomic
def resolve_complaint(*, actor, complaint_id: int, resolution: str) -> Complaint:
    if not (resolution or "").strip():
        raise ServiceError(_("Describe the solution."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    if complaint.status not in (Complaint.Status.OPEN, Complaint.Status.RESPONDED):
        raise ServiceError(_("This complaint is already resolved."))
    now = timezone.now()
    complaint.responded_at = complaint.responded_at or now
    complaint.status, complaint.resolved_at, complaint.resolution = Complaint.Status.RESOLVED, now, resolution.strip()
    complaint.save(update_fields=["status", "responded_at", "resolved_at", "resolution"])
    return complaint


@transaction.atomic
def confirm_complaint(*, actor, complaint_id: int) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    if complaint.status != Complaint.Status.RESOLVED:
        raise ServiceError(_("Only a resolved complaint can be confirmed by the customer."))
    complaint.status, complaint.confirmed_at = Complaint.Status.CONFIRMED, timezone.now()
    complaint.save(update_fields=["status", "confirmed_at"])
    return complaint


def late_complaints(now: datetime | None = None):
    """Open complaints past their first-response time, or unresolved past their solution day."""
    from django.db.models import Q

    now = now or timezone.now()
    return Complaint.objects.filter(
        Q(status=Complaint.Status.OPEN, response_due__lt=now)
        | Q(status__in=[Complaint.Status.OPEN, Complaint.Status.RESPONDED], solution_due__lt=timezone.localtime(now).date())
    )


def escalate_late_complaints(now: datetime | None = None) -> int:
    """Hourly: each late complaint is escalated once to every CS manager (idempotent)."""
    from django.contrib.auth import get_user_model

    from crm.notifications import notify

    now = now or timezone.now()
    managers = list(get_user_model().objects.filter(groups__name=r.CS_MANAGER, is_active=True))
    escalated = 0
    for complaint in late_complaints(now).filter(escalated_at__isnull=True).select_related("customer"):
        with transaction.atomic():
            if not Complaint.objects.filter(pk=complaint.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue  # another worker took it
            notify(managers, subject=_("Complaint %(number)s is late") % {"number": complaint.number},
                   url=f"/service/complaints/{complaint.pk}/")
            escalated += 1
    return escalated


def set_care_opt_out(*, actor, customer: Customer, opt_out: bool) -> None:
    """The customer's wish about greetings, recorded (or withdrawn) by someone who may see the customer."""
    from .models import CareOptOut

    if not is_visible(actor, customer):
        raise ServiceError(_("You cannot change this customer's greetings."))
    if opt_out:
        CareOptOut.objects.get_or_create(customer=customer, defaults={"recorded_by": actor})
    else:
        CareOptOut.objects.filter(customer=customer).delete()
