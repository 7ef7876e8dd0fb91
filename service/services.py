"""Service workflows: visits, the revisit policy's due/done/overdue, complaint numbers and deadlines."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from crm import roles as r
from crm.errors import AppError
from crm.workflow import Transition, Workflow
from crm.workdays import add_working_days
from customers.models import Customer, CustomerChange
from customers.policy import is_visible

from . import permissions
from .models import Complaint, ComplaintEvent, ComplaintSequence, RevisitRule, Visit

FIRST_RESPONSE = timedelta(hours=24)
SOLUTION_WORKING_DAYS = 2
QUALITY_REQUIRED = ("order_number", "product", "quantity", "delivered_on", "defect_count")
QUALITY_FIELDS = (*QUALITY_REQUIRED, "batch_number", "production_date", "responsible_department", "shift", "sample_kept")
C = Complaint.Status
_RESPOND = Transition(ComplaintEvent.Kind.RESPONDED, permissions.can_handle_complaint)
_RESOLVE = Transition(ComplaintEvent.Kind.RESOLVED, permissions.can_handle_complaint)
COMPLAINT = Workflow(
    model=Complaint,
    event_model=ComplaintEvent,
    event_fk="complaint",
    transitions={
        C.OPEN: {C.RESPONDED: _RESPOND, C.RESOLVED: _RESOLVE},
        C.RESPONDED: {C.RESOLVED: _RESOLVE},
        C.RESOLVED: {C.CONFIRMED: Transition(ComplaintEvent.Kind.CONFIRMED, permissions.can_confirm_complaint)},
        C.CONFIRMED: {},
    },
)


class ServiceError(AppError):
    """A refused action: `ServiceError("service.<what>", _("message"), **params)`."""

    code = "service.refused"

    code = "service.refused"


# --- visits -------------------------------------------------------------------------------------

@transaction.atomic
def log_visit(*, actor, customer: Customer, channel: str, content: str, participants=(), visited_on: date | None = None,
              feedback: str = "", next_plan: str = "", next_on: date | None = None) -> Visit:
    """A new customer's first visit in person needs two reps (DOMAIN §2; a call does not); the actor always takes part."""
    if not is_visible(actor, customer):
        raise ServiceError("service.cannot_log_visit", _("You cannot log a visit for this customer."))
    if not (content or "").strip():
        raise ServiceError("service.content_required", _("Write what was discussed."))
    people = {actor, *participants}
    if needs_two_reps(customer, channel) and len(people) < 2:
        raise ServiceError("service.first_visit_needs_two", FIRST_VISIT_RULE)
    visit = Visit.objects.create(
        customer=customer, visited_on=visited_on or timezone.localdate(), channel=channel, content=content.strip(),
        feedback=feedback, next_plan=next_plan, next_on=next_on, created_by=actor,
    )
    visit.participants.set(people)
    return visit


FIRST_VISIT_RULE = _lazy("A new customer's first visit in person needs two reps: choose the colleague who comes along. "
                         "A phone call or message needs no second rep.")


def first_visit_in_person(customer: Customer) -> bool:
    """Whether nobody has visited the customer in person yet (calls and messages do not count)."""
    return not customer.visits.filter(channel=Visit.Channel.VISIT).exists()


def needs_two_reps(customer: Customer, channel: str) -> bool:
    return channel == Visit.Channel.VISIT and first_visit_in_person(customer)


# --- revisit policy -----------------------------------------------------------------------------

@dataclass
class Revisit:
    rule: RevisitRule
    period_start: date
    period_end: date
    status: str  # "done", "due" or "overdue"
    visit: Visit | None = None

    @property
    def due(self) -> date:
        """Overdue: it was due at the end of the missed period; otherwise by the end of this one."""
        return self.period_start - timedelta(days=1) if self.status == "overdue" else self.period_end

    @property
    def badge(self) -> str:
        """"done", or the one due rule's state (crm.registry.due_state): "overdue", "due_soon" or "open"."""
        from crm.registry import due_state

        return "done" if self.status == "done" else due_state(self.due, timezone.localdate())


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


def revisit_visits(rule: RevisitRule):
    """The visits that count for `rule` (DOMAIN §3): for the owner rule, one the customer's account manager
    of the visit day took part in (a handover does not undo a done revisit); for the others, one a sales
    manager or the marketing head took part in. The detail page, the inbox and the scan all ask this."""
    visits = Visit.objects.all()
    if rule.who == RevisitRule.Who.OWNER:
        later = CustomerChange.objects.filter(
            customer_id=OuterRef("customer_id"), field="account_manager", at__date__gt=OuterRef("visited_on")
        ).order_by("at", "id")
        owner_then = Case(
            When(Exists(later), then=Cast(NullIf(Subquery(later.values("old_value")[:1]), Value("")), IntegerField())),
            default=F("customer__account_manager_id"),
            output_field=IntegerField(),
        )
        visits = visits.annotate(owner_then=owner_then)
        if rule.per_month is None:
            return visits.filter(participants=F("owner_then"))
        # A contacts-a-month rule counts the owner's and the co-owners' contacts together (seed 001).
        co_owners = Customer.co_owners.through.objects.filter(customer_id=OuterRef("customer_id")).values("user_id")
        return visits.filter(Q(participants=F("owner_then")) | Q(participants__in=co_owners))
    role = r.SALES_MANAGER if rule.who == RevisitRule.Who.SALES_MANAGER else r.MARKETING_HEAD
    return visits.filter(participants__groups__name=role)


def contacts_count(rule: RevisitRule, since: date, until: date):
    """An expression for a customer queryset: the visits that count for `rule` between two days, each once."""
    visits = revisit_visits(rule).filter(customer=OuterRef("pk"), visited_on__range=(since, until))
    counted = visits.order_by().values("customer").annotate(n=Count("pk", distinct=True)).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def rules_for(customer: Customer):
    return [rule for rule in RevisitRule.objects.all() if rule.tier in ("", customer.tier)]


def revisit_status(customer: Customer, on: date | None = None) -> list[Revisit]:
    """For each rule that applies: done this period, due by its end, or overdue (the previous
    period went without a qualifying visit and none has come since)."""
    on = on or timezone.localdate()
    result = []
    for rule in rules_for(customer):
        start, end = period_of(on, rule.period_months)
        prev_start, prev_end = period_of(start - timedelta(days=1), rule.period_months)
        counted = revisit_visits(rule).filter(customer=customer).order_by("-visited_on", "-id")
        # This period's and the previous one's contacts in one query (the customer page asks on every view);
        # each visit once, as `met` counts them.
        found = counted.filter(visited_on__range=(prev_start, on)).order_by().aggregate(
            now=Count("pk", filter=Q(visited_on__gte=start), distinct=True),
            before=Count("pk", filter=Q(visited_on__lte=prev_end), distinct=True))
        if found["now"] >= rule.required_contacts:
            result.append(Revisit(rule, start, end, "done", counted.filter(visited_on__range=(start, on)).first()))
            continue
        existed = customer.registered_on is not None and customer.registered_on <= prev_end
        missed = existed and found["before"] < rule.required_contacts
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
def register_complaint(*, actor, customer: Customer, category: str, description: str, channel: str = "",
                       received_at: datetime | None = None, **quality) -> Complaint:
    """Numbers restart each month with no gaps or repeats. A quality complaint opens its recall at once and
    notifies the quality managers (seed 003 第八条); the others get the 24-hour first response and the
    solution 2 working days after receipt by the Chinese calendar."""
    from .recalls import open_recall

    if not is_visible(actor, customer):
        raise ServiceError("service.cannot_register_complaint", _("You cannot register a complaint for this customer."))
    if not (description or "").strip():
        raise ServiceError("service.description_required", _("Describe the complaint."))
    if channel and channel not in Complaint.Channel.values:
        raise ServiceError("service.channel_unknown", _("Choose how the complaint was received."))
    is_quality = category == Complaint.Category.QUALITY
    if is_quality:
        _check_quality_fields(quality)
    received_at = received_at or timezone.now()
    complaint = Complaint.objects.create(
        number=_next_number(received_at), customer=customer, category=category, channel=channel,
        description=description.strip(), received_at=received_at, handler=actor,
        response_due=None if is_quality else received_at + FIRST_RESPONSE,
        solution_due=None if is_quality else add_working_days(timezone.localtime(received_at).date(), SOLUTION_WORKING_DAYS),
        **{k: v for k, v in quality.items() if k in QUALITY_FIELDS and v is not None},
    )
    ComplaintEvent.objects.create(complaint=complaint, kind=ComplaintEvent.Kind.REGISTERED, actor=actor,
                                  data={"to": complaint.status})
    if is_quality:
        open_recall(complaint, actor=actor)
    return complaint


def _check_quality_fields(quality: dict) -> None:
    if any(quality.get(f) in (None, "") for f in QUALITY_REQUIRED):
        raise ServiceError("service.quality_fields_required", _("A quality complaint needs the order number, product, quantity, delivery date and defect count."))
    if not (quality.get("batch_number") or quality.get("production_date")):
        raise ServiceError("service.quality_batch_required", _("A quality complaint needs the batch number or the production date."))
    if quality.get("sample_kept") is None:
        raise ServiceError("service.quality_sample_required", _("Say whether a defective sample was kept."))


def _locked_complaint(complaint_id: int) -> Complaint:
    return Complaint.objects.select_for_update().select_related("customer").get(pk=complaint_id)


def _complaint_move(actor, complaint: Complaint, target: str, refused: str, **kwargs) -> Complaint:
    """The map decides the move; this gives its refusals the messages users know."""
    if target not in COMPLAINT.transitions.get(complaint.status, {}):
        raise ServiceError("service.complaint_step_done", refused)
    if not COMPLAINT.transitions[complaint.status][target].permission(actor, complaint):
        raise ServiceError("service.complaint_not_yours", _("This complaint is not yours to handle."))
    return COMPLAINT.move(complaint, target, actor=actor, **kwargs)


@transaction.atomic
def respond_to_complaint(*, actor, complaint_id: int, note: str = "") -> Complaint:
    def respond(complaint):
        complaint.responded_at = timezone.now()
        complaint.handler = complaint.handler or actor
        return ["responded_at", "handler"]

    return _complaint_move(actor, _locked_complaint(complaint_id), C.RESPONDED, _("This complaint was already answered."),
                           comment=(note or "").strip(), side_effect=respond)


@transaction.atomic
def resolve_complaint(*, actor, complaint_id: int, resolution: str) -> Complaint:
    if not (resolution or "").strip():
        raise ServiceError("service.resolution_required", _("Describe the solution."))

    def resolve(complaint):
        now = timezone.now()
        complaint.responded_at = complaint.responded_at or now
        complaint.resolved_at, complaint.resolution = now, resolution.strip()
        return ["responded_at", "resolved_at", "resolution"]

    return _complaint_move(actor, _locked_complaint(complaint_id), C.RESOLVED, _("This complaint is already resolved."),
                           comment=resolution.strip(), side_effect=resolve)


@transaction.atomic
def confirm_complaint(*, actor, complaint_id: int) -> Complaint:
    def confirm(complaint):
        complaint.confirmed_at = timezone.now()
        return ["confirmed_at"]

    return _complaint_move(actor, _locked_complaint(complaint_id), C.CONFIRMED,
                           _("Only a resolved complaint can be confirmed by the customer."), side_effect=confirm)


def late_complaints(now: datetime | None = None):
    """Open complaints past their first-response time, or unresolved past their solution day; quality
    complaints have no such clock (their recall starts at once)."""
    now = now or timezone.now()
    return Complaint.objects.exclude(category=Complaint.Category.QUALITY).filter(
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
        raise ServiceError("service.cannot_change_greetings", _("You cannot change this customer's greetings."))
    if opt_out:
        CareOptOut.objects.get_or_create(customer=customer, defaults={"recorded_by": actor})
    else:
        CareOptOut.objects.filter(customer=customer).delete()


# --- closing the tasks the jobs open (issue 14 items 4, 5) -----------------------------------------

def _open_task(actor, task_id: int, kinds, may) -> "FollowUpTask":
    """The open task, locked; one the actor may not see is refused like one that does not exist."""
    from .models import FollowUpTask

    task = FollowUpTask.objects.select_for_update().filter(pk=task_id, kind__in=kinds).select_related("customer").first()
    if task is None or not is_visible(actor, task.customer):
        raise ServiceError("service.task_not_found", _("This task does not exist."))
    if task.done_at is not None:
        raise ServiceError("service.task_done", _("This task is already done."))
    if not may(actor, task):
        raise ServiceError("service.task_not_yours", _("You cannot close this task."))
    return task


def _close(task, actor, outcome: str) -> "FollowUpTask":
    task.done_at, task.done_by, task.outcome = timezone.now(), actor, outcome
    task.save(update_fields=["done_at", "done_by", "outcome"])
    return task


@transaction.atomic
def dismiss_tier_review(*, actor, task_id: int, reason: str):
    """"Keep the tier": a tier-review proposal closed without a change, with the reason on record."""
    from .models import FollowUpTask

    if not (reason or "").strip():
        raise ServiceError("service.reason_required", _("Give a reason for keeping the tier."))
    task = _open_task(actor, task_id, [FollowUpTask.Kind.TIER_REVIEW], permissions.can_decide_tier_review)
    return _close(task, actor, reason.strip())


@transaction.atomic
def complete_renewal(*, actor, task_id: int, new_date: date):
    """A licence or annual-review reminder is done when the new licence expiry or review date is recorded."""
    from customers.services import record_renewal_date

    from .models import FollowUpTask

    K = FollowUpTask.Kind
    task = _open_task(actor, task_id, [K.LICENCE_EXPIRY, K.ANNUAL_REVIEW], permissions.can_record_renewal)
    field = "licence_valid_until" if task.kind == K.LICENCE_EXPIRY else "annual_review_on"
    record_renewal_date(actor=actor, customer_id=task.customer_id, field=field, new_date=new_date)
    return _close(task, actor, new_date.isoformat())


@transaction.atomic
def confirm_allocation(*, actor, task_id: int, comment: str = ""):
    """The supervisor (科长) confirms the new account's allocation quantities before its first order (seed 002)."""
    from .models import FollowUpTask

    task = _open_task(actor, task_id, [FollowUpTask.Kind.ALLOCATION_CONFIRMATION], permissions.can_confirm_allocation)
    return _close(task, actor, (comment or "").strip())
