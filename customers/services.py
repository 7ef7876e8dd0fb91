"""Write side of the customer archive: one function per verb, each in one transaction that locks
the customer row; registration and status moves go through the REGISTRATION and CUSTOMER_STATUS
workflows (crm.workflow: map, permission, save, one timeline event, audit)."""
import itertools
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import audit, exports
from crm.actor import acting_as
from crm.errors import DomainError
from crm.models import OrgUnit, StaffProfile, display_name
from crm.workflow import Move, Transition, Workflow, default_event

from . import models, permissions, selectors, signals
from .models import (
    CONFIDENTIALITY_RANK,
    TIER_CONFIDENTIALITY,
    Customer,
    CustomerChange,
    CustomerCodeSequence,
    CustomerEvent,
    HandoverNotice,
    HandoverRequest,
    VERIFY_EVERY,  # noqa: F401 - re-exported: callers read the period from the services
    LevelChangeRequest,
    Verification,
    lowers_confidentiality,
)
from .selectors import DuplicateHit, capped_count, filter_customers, find_duplicates

R = Customer.Registration
ACTIVE = "active"


def _audit_registration(move: Move) -> None:
    """Approvals and rejections are audited (DOMAIN §6); submitting and the first review are not."""
    if move.verb == CustomerEvent.Kind.APPROVED:
        audit.record("approve", actor=move.actor, customers=[move.obj], subject=move.obj.customer_code or f"#{move.obj.pk}",
                     reason=move.comment, detail={"what": "registration"})
    elif move.verb == CustomerEvent.Kind.REJECTED:
        audit.record("reject", actor=move.actor, customers=[move.obj], subject=move.obj.name,
                     reason=move.comment, detail={"what": "registration"})


def _registration_event(workflow: Workflow, move: Move) -> CustomerEvent:
    event = default_event(workflow, move)
    if move.verb == CustomerEvent.Kind.APPROVED:
        event.data["customer_code"] = move.obj.customer_code
    return event


_SUBMIT = Transition(CustomerEvent.Kind.SUBMITTED, permissions.can_submit)
REGISTRATION = Workflow(
    model=Customer,
    field="registration_status",
    event_model=CustomerEvent,
    event_fk="customer",
    transitions={
        R.DRAFT: {R.SUBMITTED: _SUBMIT},
        R.REJECTED: {R.SUBMITTED: _SUBMIT},
        R.SUBMITTED: {
            R.REVIEWED: Transition(CustomerEvent.Kind.REVIEWED, permissions.can_first_review),
            R.APPROVED: Transition(CustomerEvent.Kind.APPROVED, permissions.can_approve),
            R.REJECTED: Transition(CustomerEvent.Kind.REJECTED, permissions.can_reject),
        },
        R.REVIEWED: {
            R.APPROVED: Transition(CustomerEvent.Kind.APPROVED, permissions.can_approve),
            R.REJECTED: Transition(CustomerEvent.Kind.REJECTED, permissions.can_reject),
        },
        R.APPROVED: {},
    },
    build_event=_registration_event,
    audit=_audit_registration,
)


def _status_event(workflow: Workflow, move: Move) -> CustomerEvent:
    """Status events keep their old/new data shape, which the timeline shows."""
    return CustomerEvent(customer=move.obj, kind=move.verb, actor=move.actor, at=move.at, comment=move.comment,
                         data={"old": move.source, "new": move.target})


def _status_step(verb: str) -> Transition:
    return Transition(verb, permissions.can_change_status)


_REACTIVATE, _SUSPEND, _CANCEL = (
    _status_step(CustomerEvent.Kind.REACTIVATED), _status_step(CustomerEvent.Kind.SUSPENDED),
    _status_step(CustomerEvent.Kind.CANCELLED),
)
CUSTOMER_STATUS = Workflow(
    model=Customer,
    field="customer_status",
    event_model=CustomerEvent,
    event_fk="customer",
    transitions={
        ACTIVE: {"suspended": _SUSPEND, "closed_temporarily": _SUSPEND, "cancelled": _CANCEL},
        "suspended": {ACTIVE: _REACTIVATE, "cancelled": _CANCEL},
        "closed_temporarily": {ACTIVE: _REACTIVATE, "cancelled": _CANCEL},
        "cancelled": {},
    },
    build_event=_status_event,
)
# The same status field moved by the settlement rules (DOMAIN §5) rather than by a manager: the
# overdue scan suspends, the covering payment lifts. Same event and history rows as a manual change.
SETTLEMENT_STATUS = Workflow(
    model=Customer,
    field="customer_status",
    event_model=CustomerEvent,
    event_fk="customer",
    transitions={
        ACTIVE: {"suspended": Transition(CustomerEvent.Kind.SUSPENDED)},
        "suspended": {ACTIVE: Transition(CustomerEvent.Kind.REACTIVATED)},
    },
    build_event=_status_event,
)
# Kept for callers that only need the map's shape (the status form's choices).
ALLOWED_TRANSITIONS = {source: set(targets) for source, targets in REGISTRATION.transitions.items()}
STATUS_TRANSITIONS = {source: set(targets) for source, targets in CUSTOMER_STATUS.transitions.items()}
# A direct export larger than this is refused: narrow the filter, or ask for it in parts.
EXPORT_ROW_CAP = 200_000
STATIC_REVIEW_EVERY = relativedelta(months=6)
CODE_DIGITS = 6


class CustomerError(DomainError):
    """A refused action: `CustomerError("customer.<what>", _("message"), **params)`.

    Call sites not converted yet pass only the (already formatted) message; it is kept as the message."""

    code = "customer.refused"

    def __init__(self, code=None, message=None, **params):
        if message is None and code is not None and not re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", str(code)):
            code, message = None, code
        super().__init__(code, message, **params)

    code = "customers.refused"


class DuplicatesNeedAcknowledgement(CustomerError):
    def __init__(self, hits: list[DuplicateHit]):
        self.hits = hits
        super().__init__(
            "customer.possible_duplicates",
            _("This customer may already exist. Check the possible duplicates and confirm to submit."),
        )


def approval_values(today: date) -> dict:
    """What approval sets besides the code; the importer's "directly active" rows get the same values
    (it builds its INSERT from this), so an imported and an approved customer look alike."""
    return {
        "registration_status": R.APPROVED,
        "customer_status": ACTIVE,
        "last_verified_on": today,
        "static_reviewed_on": today,
    }


def reserve_codes(unit: OrgUnit, count: int = 1) -> tuple[str, int]:
    """Takes `count` serials of the unit's code sequence (locked); returns the prefix and the last serial
    before them. Codes are prefix + serial padded to CODE_DIGITS (see `customer_code`)."""
    sequence, _created = CustomerCodeSequence.objects.select_for_update().get_or_create(unit=unit)
    base = sequence.last_serial
    sequence.last_serial += count
    sequence.save(update_fields=["last_serial"])
    return f"{unit.code}-", base


def customer_code(prefix: str, serial: int) -> str:
    return f"{prefix}{serial:0{CODE_DIGITS}d}"


def _locked(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().select_related("unit").get(pk=customer_id)


def _event(customer: Customer, kind: str, actor, comment: str = "", **data) -> CustomerEvent:
    return CustomerEvent.objects.create(customer=customer, kind=kind, actor=actor, comment=comment, data=data)


def _check_move(customer: Customer, target: str) -> None:
    """The map's verdict with the message users know; REGISTRATION.move checks the same map again."""
    if target not in REGISTRATION.transitions.get(customer.registration_status, {}):
        if customer.registration_status == R.APPROVED:
            last = customer.events.filter(kind=CustomerEvent.Kind.APPROVED).select_related("actor").first()
            who = display_name(last.actor) if last else ""
            raise CustomerError("customer.already_approved",
                                _("This registration has already been approved by %(who)s."), who=who)
        raise CustomerError(
            "customer.transition_not_allowed",
            _("This registration is %(state)s and cannot be moved to %(target)s."),
            state=customer.get_registration_status_display(), target=R(target).label,
        )


@transaction.atomic
def register_customer(*, actor, unit: OrgUnit, customer: Customer) -> Customer:
    """Saves a new draft (from a validated form instance); the registering rep owns it."""
    with acting_as(actor):
        customer.unit = unit
        customer.created_by = actor
        customer.account_manager = customer.account_manager or actor
        customer.registration_status = R.DRAFT
        customer.save()
        _event(customer, CustomerEvent.Kind.CREATED, actor)
    return customer


@transaction.atomic
def submit_registration(*, actor, customer_id: int, acknowledge_duplicates: bool = False, comment: str = "") -> Customer:
    customer = _locked(customer_id)
    if not permissions.can_submit(actor, customer):
        raise CustomerError("customer.cannot_submit", _("You cannot submit this registration."))
    missing = customer.missing_fields("required")
    if missing:
        raise CustomerError(
            "customer.missing_fields", _("Fill in the required fields first: %(fields)s"),
            fields="、".join(s.label for s in missing),
        )
    hits = find_duplicates(actor, customer)
    if hits and not acknowledge_duplicates:
        raise DuplicatesNeedAcknowledgement(hits)
    if hits:
        with acting_as(actor):
            _event(
                customer,
                CustomerEvent.Kind.DUPLICATE_ACKNOWLEDGED,
                actor,
                data_ids=[h.customer.pk for h in hits],
                reasons=[h.reason for h in hits],
            )
    return REGISTRATION.move(customer, R.SUBMITTED, actor=actor, comment=comment)


@transaction.atomic
def first_review_registration(*, actor, customer_id: int, comment: str = "") -> Customer:
    customer = _locked(customer_id)
    if customer.registration_status == R.SUBMITTED and not permissions.can_first_review(actor, customer):
        raise CustomerError("customer.cannot_review", _("You cannot review this registration."))
    _check_move(customer, R.REVIEWED)
    return REGISTRATION.move(customer, R.REVIEWED, actor=actor, comment=comment)


def _next_code(unit: OrgUnit) -> str:
    prefix, base = reserve_codes(unit)
    return customer_code(prefix, base + 1)


def _approve(customer: Customer) -> list[str]:
    """The approval side effect: a code from the unit's sequence and `approval_values`; dates already
    set (a verification before approval) are kept."""
    customer.customer_code = _next_code(customer.unit)
    values = approval_values(timezone.localdate())
    for name, value in values.items():
        if name in ("last_verified_on", "static_reviewed_on") and getattr(customer, name):
            continue
        setattr(customer, name, value)
    return ["customer_code", *values]


@transaction.atomic
def approve_registration(*, actor, customer_id: int, comment: str = "") -> Customer:
    """Approval assigns the customer code and puts the record on the customer list."""
    customer = _locked(customer_id)
    if customer.registration_status not in (R.APPROVED,) and not permissions.can_approve(actor, customer):
        if customer.registration_status in (R.SUBMITTED,) and customer.unit.requires_first_review:
            raise CustomerError(
                "customer.needs_first_review", _("This registration needs the supervisor's first review before approval.")
            )
        raise CustomerError("customer.cannot_approve", _("You cannot approve this registration."))
    _check_move(customer, R.APPROVED)
    customer = REGISTRATION.move(customer, R.APPROVED, actor=actor, comment=comment, side_effect=_approve)
    return customer


@transaction.atomic
def reject_registration(*, actor, customer_id: int, reason: str) -> Customer:
    if not (reason or "").strip():
        raise CustomerError("customer.reason_required", _("Give a reason for the rejection."))
    customer = _locked(customer_id)
    if customer.registration_status != R.APPROVED and not permissions.can_reject(actor, customer):
        raise CustomerError("customer.cannot_reject", _("You cannot reject this registration."))
    _check_move(customer, R.REJECTED)
    return REGISTRATION.move(customer, R.REJECTED, actor=actor, comment=reason.strip())


@transaction.atomic
def change_customer_status(*, actor, customer_id: int, status: str, reason: str) -> Customer:
    """Suspend, close, reactivate or cancel an approved customer; cancelled is final."""
    if not (reason or "").strip():
        raise CustomerError("customer.reason_required", _("Give a reason for the status change."))
    customer = _locked(customer_id)
    if not permissions.can_change_status(actor, customer):
        raise CustomerError("customer.cannot_change_status", _("You cannot change the status of this customer."))
    if status not in CUSTOMER_STATUS.transitions.get(customer.customer_status, {}):
        raise CustomerError("customer.status_not_allowed", _("A customer in this status cannot be moved there."))
    return CUSTOMER_STATUS.move(customer, status, actor=actor, comment=reason.strip())


def settlement_status(*, customer_id: int, suspend: bool, reason: str, actor=None) -> Customer | None:
    """Suspends an active customer for an overdue payment, or reactivates one so suspended; None when the
    customer is not in the status this applies to (closed, cancelled, or already there)."""
    source, target = (ACTIVE, "suspended") if suspend else ("suspended", ACTIVE)
    with transaction.atomic():
        customer = _locked(customer_id)
        if customer.customer_status != source:
            return None
        return SETTLEMENT_STATUS.move(customer, target, actor=actor, comment=reason)


def settlement_suspend_many(*, customer_ids: Sequence[int], reason: str, actor=None) -> list[int]:
    """`settlement_status(suspend=True)` for many customers at once (the overdue scan): the active ones among the
    ids are suspended by one UPDATE, each with the same history row and timeline event the one-at-a-time move
    writes (SETTLEMENT_STATUS's transition and event builder). Returns the ids it suspended."""
    step = SETTLEMENT_STATUS.transitions[ACTIVE]["suspended"]
    with transaction.atomic(), acting_as(actor):
        ids = list(Customer.objects.select_for_update().filter(pk__in=list(customer_ids), customer_status=ACTIVE)
                   .order_by("pk").values_list("pk", flat=True))
        if not ids:
            return []
        now = timezone.now()
        # A plain queryset: the customers' own update() would write BULK history rows, not the move's.
        QuerySet(model=Customer).filter(pk__in=ids).update(customer_status="suspended", updated_at=now)
        CustomerChange.objects.bulk_create(itertools.chain.from_iterable(
            CustomerChange.rows_for(pk, {"customer_status": ACTIVE}, {"customer_status": "suspended"},
                                    ["customer_status"]) for pk in ids), batch_size=1_000)
        CustomerEvent.objects.bulk_create((
            SETTLEMENT_STATUS.build_event(SETTLEMENT_STATUS, Move(Customer(pk=pk), ACTIVE, "suspended", step.verb,
                                                                  actor, now, reason))
            for pk in ids), batch_size=1_000)
    return ids


@transaction.atomic
def change_tier(*, actor, customer_id: int, tier: str, reason: str) -> Customer:
    """A tier change needs a reason. The level follows the tier only while it still holds the old tier's
    default; a level set by hand stays (issue 14 item 4)."""
    if not (reason or "").strip():
        raise CustomerError(_("Give a reason for the tier change."))
    if tier not in "ABCDE" or len(tier) != 1:
        raise CustomerError(_("Choose a tier from A to E."))
    customer = _locked(customer_id)
    if not permissions.can_change_tier(actor, customer):
        raise CustomerError(_("You cannot change the tier of this customer."))
    if customer.tier == tier:
        raise CustomerError(_("The customer is already in this tier."))
    default_level = TIER_CONFIDENTIALITY.get(tier, "internal")
    follows_tier = customer.confidentiality_level == TIER_CONFIDENTIALITY.get(customer.tier, "internal")
    if not follows_tier:
        default_level = customer.confidentiality_level
    # A lower tier's default level is only proposed: lowering goes through change_confidentiality.
    lowering = lowers_confidentiality(customer.confidentiality_level, default_level)
    with acting_as(actor):
        old = customer.tier
        customer.tier = tier
        if not lowering:
            customer.confidentiality_level = default_level
        customer.save(update_fields=["tier", "confidentiality_level"])
        _event(customer, CustomerEvent.Kind.TIER_CHANGED, actor, reason.strip(), old=old, new=tier)
    if lowering:
        change_confidentiality(actor=actor, customer_id=customer.pk, level=default_level, reason=reason.strip())
    signals.tier_changed.send(sender=Customer, customer=customer, actor=actor, old=old, new=tier)
    return customer


RENEWAL_FIELDS = ("licence_valid_until", "annual_review_on")


@transaction.atomic
def record_renewal_date(*, actor, customer_id: int, field: str, new_date: date) -> Customer:
    """A licence renewed or an annual review passed: the new date, later than the one on record (issue 14 item 4).
    Saved like any edit, so the change history has who, when, old and new."""
    if field not in RENEWAL_FIELDS:
        raise CustomerError(_("Only the licence expiry or the annual review date is recorded here."))
    customer = _locked(customer_id)
    if not permissions.can_edit(actor, customer):
        raise CustomerError(_("You cannot change this customer."))
    old = getattr(customer, field)
    if new_date is None or (old is not None and new_date <= old):
        raise CustomerError(_("The new date must be later than the one on record (%(old)s).") % {"old": old})
    if field == "licence_valid_until" and customer.licence_issued_on and new_date <= customer.licence_issued_on:
        raise CustomerError(_("The licence must expire after its issue date."))
    with acting_as(actor):
        setattr(customer, field, new_date)
        customer.save(update_fields=[field])
    return customer


def _set_level(customer: Customer, level: str, actor, reason: str, request: LevelChangeRequest | None = None) -> None:
    old = customer.confidentiality_level
    with acting_as(actor):
        customer.confidentiality_level = level
        customer.save(update_fields=["confidentiality_level"])
        _event(customer, CustomerEvent.Kind.LEVEL_CHANGED, actor, reason, old=old, new=level)
    if lowers_confidentiality(old, level):
        detail = {"old": old, "new": level}
        if request is not None:
            detail.update(request=request.pk, requested_by=request.requester_id)
        audit.record("level_lowered", actor=actor, customers=[customer], subject=customer.customer_code or f"#{customer.pk}",
                     reason=reason, detail=detail)


@transaction.atomic
def change_confidentiality(*, actor, customer_id: int, level: str, reason: str = "") -> LevelChangeRequest | None:
    """Raising applies at once; lowering applies at once only for the marketing head, anyone else's
    becomes a request for her approval (returned). Every path that changes the level comes here."""
    if level not in CONFIDENTIALITY_RANK:
        raise CustomerError(_("Choose a confidentiality level: internal, confidential or secret."))
    customer = _locked(customer_id)
    if not permissions.can_change_confidentiality(actor, customer):
        raise CustomerError(_("You cannot change the confidentiality level of this customer."))
    if level == customer.confidentiality_level:
        return None
    if lowers_confidentiality(customer.confidentiality_level, level) and not permissions.can_lower_confidentiality(actor):
        if LevelChangeRequest.objects.filter(customer=customer, status=LevelChangeRequest.Status.PENDING).exists():
            raise CustomerError(_("A request to lower this customer's confidentiality level is already waiting for approval."))
        return LevelChangeRequest.objects.create(
            customer=customer, old_level=customer.confidentiality_level, new_level=level, requester=actor, reason=reason
        )
    _set_level(customer, level, actor, reason)
    return None


def _locked_level_request(request_id: int, actor) -> LevelChangeRequest:
    request = LevelChangeRequest.objects.select_for_update().get(pk=request_id)
    if request.status != LevelChangeRequest.Status.PENDING:
        raise CustomerError(_("This request has already been decided."))
    if not permissions.can_lower_confidentiality(actor) or actor.pk == request.requester_id:
        raise CustomerError(_("Only the marketing head approves lowering a confidentiality level."))
    return request


@transaction.atomic
def approve_level_change(*, actor, request_id: int, comment: str = "") -> LevelChangeRequest:
    request = _locked_level_request(request_id, actor)
    customer = _locked(request.customer_id)
    if customer.confidentiality_level != request.old_level:
        raise CustomerError(_("The customer's level has changed since the request; ask again."))
    reason = "；".join(part for part in (request.reason, comment.strip()) if part)
    _set_level(customer, request.new_level, actor, reason, request=request)
    request.status, request.approver, request.decided_at = LevelChangeRequest.Status.APPROVED, actor, timezone.now()
    request.comment = comment.strip()
    request.save(update_fields=["status", "approver", "decided_at", "comment"])
    return request


@transaction.atomic
def reject_level_change(*, actor, request_id: int, comment: str = "") -> LevelChangeRequest:
    request = _locked_level_request(request_id, actor)
    request.status, request.approver, request.decided_at = LevelChangeRequest.Status.REJECTED, actor, timezone.now()
    request.comment = comment.strip()
    request.save(update_fields=["status", "approver", "decided_at", "comment"])
    return request


@transaction.atomic
def verify_customer(
    *, actor, customer_id: int, channel: str, result: str, static_reviewed: bool = False, note: str = ""
) -> Verification:
    if channel not in Verification.Channel.values or result not in Verification.Result.values:
        raise CustomerError(_("Choose the channel and the result from the lists."))
    customer = _locked(customer_id)
    if not permissions.can_verify(actor, customer):
        raise CustomerError(_("You cannot verify this customer."))
    today = timezone.localdate()
    verification = Verification.objects.create(
        customer=customer, channel=channel, result=result, static_reviewed=static_reviewed, verifier=actor, note=note
    )
    with acting_as(actor):
        customer.last_verified_on = today
        fields = ["last_verified_on"]
        if static_reviewed:
            customer.static_reviewed_on = today
            fields.append("static_reviewed_on")
        customer.save(update_fields=fields)
        _event(customer, CustomerEvent.Kind.VERIFIED, actor, note, channel=channel, result=result)
    return verification


# Fields the customer list sets on many customers at once (issue 13 §3): what an import leaves empty.
SETTABLE_FIELDS = ("admin_region", "customer_nature", "customer_source", "tier")


@transaction.atomic
def set_customer_field(*, actor, customer_id: int, field: str, value: str, reason: str = "") -> bool:
    """One field of one customer, by the rules of the form: whoever may edit the customer sets it; an
    approved customer's tier changes only through `change_tier` (tier deciders, with a reason). Written
    to the field history. Returns whether anything changed."""
    if field not in SETTABLE_FIELDS:
        raise CustomerError("customer.field_not_settable", _("This field cannot be set here."))
    customer = _locked(customer_id)
    if field == "tier" and customer.registration_status == R.APPROVED:
        if customer.tier == value:
            return False
        change_tier(actor=actor, customer_id=customer.pk, tier=value, reason=reason)
        return True
    if not permissions.can_edit(actor, customer):
        raise CustomerError("customer.cannot_edit", _("You may not edit this customer."))
    model_field = Customer._meta.get_field(field)
    try:
        value = model_field.clean(value, customer)
    except ValidationError as exc:
        raise CustomerError("customer.invalid_value", "；".join(exc.messages)) from exc
    if getattr(customer, field) == value:
        return False
    changed = [field]
    setattr(customer, field, value)
    if field == "tier":
        default_level = TIER_CONFIDENTIALITY.get(value, "internal")
        if not lowers_confidentiality(customer.confidentiality_level, default_level):  # lowering needs approval
            customer.confidentiality_level = default_level
            changed.append("confidentiality_level")
    with acting_as(actor):
        customer.save(update_fields=changed)
    return True


@transaction.atomic
def assign_owner(*, actor, customer_id: int, owner) -> bool:
    """Gives one customer an account manager (an imported one that has none, or another): the handover's
    rules, i.e. a manager of the customer's unit, to active sales staff of that unit or a unit above it.
    Returns whether the owner changed."""
    customer = _locked(customer_id)
    if not permissions.can_hand_over(actor, customer):
        raise CustomerError("customer.cannot_assign", _("You may not change this customer's account manager."))
    _check_heirs([owner], {customer.unit_id})
    return bool(change_owner([customer.pk], owner, actor=actor, via="assign"))


TIER_THRESHOLDS = ((Decimal("50000000"), "A"), (Decimal("8000000"), "B"))


def suggest_tier(customer: Customer) -> str | None:
    """The tier the purchase figures point to (DOMAIN §2); None when they say nothing new.
    A and B also come from judgement (villa buyers, officials), so a lower figure never demotes them."""
    amount = customer.cumulative_amount or Decimal(0)
    for threshold, tier in TIER_THRESHOLDS:
        if amount >= threshold:
            suggested = tier
            break
    else:
        suggested = "C" if amount > 0 or customer.first_trade_on else None
    if suggested is None or customer.tier and customer.tier <= suggested:
        return None
    return suggested


def next_verification_due(customer: Customer) -> date | None:
    return models.next_verification_due(customer.last_verified_on)


def next_static_review_due(customer: Customer) -> date | None:
    return customer.static_reviewed_on + STATIC_REVIEW_EVERY if customer.static_reviewed_on else None


OWNER_CHANGE_PATHS = ("handover", "pool_claim", "pool_return", "import", "assign")


def change_owner(customers, new_owner, *, actor, via: str, reason: str = "") -> list[int]:
    """The one way a customer's account manager changes (handover, pool claim and return, import), so
    every path leaves the same per-field history and the same `owner_changed` timeline event; only rows
    whose owner really changes move. `customers` is a queryset (its filter is the guard, e.g. "still in
    the pool") or ids; `new_owner` a user, an id or None (the pool). Returns the ids that moved."""
    if via not in OWNER_CHANGE_PATHS:
        raise ValueError(f"unknown owner change path {via!r}")
    new_id = getattr(new_owner, "pk", new_owner)
    scope = customers.values("pk") if hasattr(customers, "values") else list(customers)
    with transaction.atomic(savepoint=False), acting_as(actor):
        rows = list(
            Customer.objects.filter(pk__in=scope).select_for_update().order_by("pk").values_list("pk", "account_manager_id")
        )
        old_of = {pk: old for pk, old in rows if old != new_id}
        if not old_of:
            return []
        now = timezone.now()
        Customer.objects.filter(pk__in=old_of).update(account_manager=new_id, updated_at=now)
        CustomerEvent.objects.bulk_create(
            CustomerEvent(
                customer_id=pk, kind=CustomerEvent.Kind.OWNER_CHANGED, actor=actor, at=now, comment=reason,
                data={"old": old, "new": new_id, "via": via},
            )
            for pk, old in old_of.items()
        )
    return list(old_of)


def _handover_scope(actor, from_user, customer_ids: Sequence[int] | None) -> tuple[list[int], set[int]]:
    """Locks and returns the from_user's customers the actor may hand over (ids, their units); others stay put."""
    scope = selectors.handoverable_customers(actor).filter(account_manager=from_user)
    if customer_ids is not None:
        scope = scope.filter(pk__in=customer_ids)
    rows = list(
        Customer.objects.filter(pk__in=scope.values("pk"))
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "unit_id")
    )
    return [pk for pk, _unit in rows], {unit for _pk, unit in rows}


def _check_heirs(targets: Sequence, unit_ids: set[int]) -> None:
    """Customers go only to active sales staff of their own unit or a unit above it (three queries in all)."""
    sales = set(
        get_user_model().objects.filter(pk__in=[t.pk for t in targets], groups__name__in=permissions.SALES_STAFF)
        .values_list("pk", flat=True)
    )
    works_in: dict[int, set[int]] = {}
    for user_id, unit_id in StaffProfile.units.through.objects.filter(
        staffprofile__user__in=[t.pk for t in targets]
    ).values_list("staffprofile__user_id", "orgunit_id"):
        works_in.setdefault(user_id, set()).add(unit_id)
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))

    def reaches(units: set[int], unit_id: int) -> bool:
        while unit_id is not None and unit_id not in units:
            unit_id = parents.get(unit_id)
        return unit_id is not None

    for target in targets:
        if not target.is_active or target.pk not in sales:
            raise CustomerError(
                _("%(name)s is not active sales staff and cannot take over customers.") % {"name": display_name(target)}
            )
        if not all(reaches(works_in.get(target.pk, set()), unit_id) for unit_id in unit_ids):
            raise CustomerError(
                _("%(name)s does not work in these customers' unit or a unit above it.") % {"name": display_name(target)}
            )


def send_handover_notices(*, from_user, target, customer_ids: Sequence[int]) -> int:
    """Issue 14 item 8: the notices of one handover go out through the notification path and their sent time is
    recorded: the new account manager is told in-app (and by e-mail when enabled) which customers it now has, and
    each customer with an e-mail address gets its own notice when e-mail is enabled."""
    from crm.notifications import email_each, notify

    notices = HandoverNotice.objects.filter(previous_owner=from_user, new_owner=target, sent_at__isnull=True)
    for start in range(0, len(customer_ids), 1000):  # read only when e-mail is on
        email_each((email, _("Your account manager has changed"), message) for email, message in notices.filter(
            customer_id__in=customer_ids[start : start + 1000]).exclude(customer__email="").values_list("customer__email", "message"))
    sent = notices.update(sent_at=timezone.now())
    if sent:
        notify([target], subject=_("%(count)d customers of %(name)s are now yours") % {
            "count": sent, "name": display_name(from_user)},
            url=f"/customers/?owner={target.pk}",
            body=_("Contact them: each has been told that you are its account manager now."))
    return sent


def _transfer(*, actor, from_user, targets: Sequence, ids: list[int], reason: str, request=None) -> None:
    """Moves the customers evenly to the targets: owner history, a timeline event, a notice per customer sent
    through the notification path, and one audit row for the whole handover."""
    with acting_as(actor):
        for i, target in enumerate(targets):
            share = ids[i :: len(targets)]
            for start in range(0, len(share), 1000):
                batch = share[start : start + 1000]
                change_owner(batch, target, actor=actor, via="handover", reason=reason)
                now = timezone.now()
                message = _("Your account manager is now %(name)s.") % {"name": display_name(target)}
                HandoverNotice.objects.bulk_create(
                    HandoverNotice(
                        customer_id=pk,
                        previous_owner=from_user,
                        new_owner=target,
                        handed_over_by=actor,
                        created_at=now,
                        message=message,
                    )
                    for pk in batch
                )
            send_handover_notices(from_user=from_user, target=target, customer_ids=share)
        Customer.co_owners.through.objects.filter(user=from_user, customer_id__in=ids).delete()
    detail = {"from": from_user.pk, "to": [t.pk for t in targets], "count": len(ids)}
    if request is not None:
        detail.update(request=request.pk, requested_by=request.requester_id)
    audit.record(
        "handover",
        actor=actor,
        customers=ids,
        subject=f"{display_name(from_user)} → {'、'.join(display_name(t) for t in targets)}",
        reason=reason,
        detail=detail,
    )


@transaction.atomic
def handover_customers(
    *,
    actor,
    from_user,
    to_users: Sequence,
    customer_ids: Sequence[int] | None = None,
    deactivate: bool = False,
    reason: str = "",
) -> int:
    """Moves a rep's customers (all, or the chosen ones) to others, spread evenly, in one transaction:
    owner history, a timeline event and a notification record per customer; optionally the rep departs.
    Only customers the actor may see and manage move, only to sales staff of their unit (or above);
    handing them to oneself goes through `request_self_handover`."""
    if not permissions.can_hand_over(actor):
        raise CustomerError(_("You cannot hand over customers."))
    targets = [u for u in to_users if u.pk != from_user.pk]
    if not targets:
        raise CustomerError(_("Choose at least one colleague to take over the customers."))
    if any(u.pk == actor.pk for u in targets):
        raise CustomerError(
            _("You cannot hand customers to yourself directly: ask for it alone, and another sales manager confirms it.")
        )
    if any(not u.is_active for u in targets):
        raise CustomerError(_("Customers can only be handed to active staff."))
    ids, unit_ids = _handover_scope(actor, from_user, customer_ids)
    _check_heirs(targets, unit_ids)
    User = get_user_model()
    _transfer(actor=actor, from_user=from_user, targets=targets, ids=ids, reason=reason)
    if deactivate:
        if Customer.objects.filter(account_manager=from_user).exists():
            raise CustomerError(_("The rep still owns customers; hand all of them over before deactivating."))
        StaffProfile.objects.filter(user=from_user).update(
            status=StaffProfile.Status.DEPARTED, departed_on=timezone.localdate()
        )
        User.objects.filter(pk=from_user.pk).update(is_active=False)
    return len(ids)


@transaction.atomic
def request_self_handover(*, actor, from_user, customer_ids: Sequence[int] | None = None, reason: str = "") -> HandoverRequest:
    """A manager taking customers over himself: nothing moves until a second approver confirms."""
    if not permissions.can_hand_over(actor):
        raise CustomerError(_("You cannot hand over customers."))
    if from_user.pk == actor.pk:
        raise CustomerError(_("These customers are already yours."))
    ids, unit_ids = _handover_scope(actor, from_user, customer_ids)
    if not ids:
        raise CustomerError(_("There are no customers of this rep that you may hand over."))
    _check_heirs([actor], unit_ids)
    return HandoverRequest.objects.create(requester=actor, from_user=from_user, customer_ids=ids, reason=reason)


def _locked_handover_request(request_id: int) -> HandoverRequest:
    request = HandoverRequest.objects.select_for_update().select_related("requester", "from_user").get(pk=request_id)
    if request.status != HandoverRequest.Status.PENDING:
        raise CustomerError(_("This handover request has already been decided."))
    return request


@transaction.atomic
def approve_handover_request(*, actor, request_id: int, comment: str = "") -> int:
    """The second approver confirms: the customers still owned by the rep and still the requester's to
    manage move to the requester now."""
    request = _locked_handover_request(request_id)
    if not permissions.can_confirm_handover(actor, request):
        raise CustomerError(_("You cannot confirm this handover."))
    ids, unit_ids = _handover_scope(request.requester, request.from_user, request.customer_ids)
    _check_heirs([request.requester], unit_ids)
    reason = "；".join(part for part in (request.reason, comment.strip()) if part)
    _transfer(actor=actor, from_user=request.from_user, targets=[request.requester], ids=ids, reason=reason, request=request)
    request.status, request.approver, request.decided_at = HandoverRequest.Status.APPROVED, actor, timezone.now()
    request.comment = comment.strip()
    request.save(update_fields=["status", "approver", "decided_at", "comment"])
    return len(ids)


@transaction.atomic
def reject_handover_request(*, actor, request_id: int, comment: str = "") -> HandoverRequest:
    request = _locked_handover_request(request_id)
    if not permissions.can_confirm_handover(actor, request):
        raise CustomerError(_("You cannot confirm this handover."))
    request.status, request.approver, request.decided_at = HandoverRequest.Status.REJECTED, actor, timezone.now()
    request.comment = comment.strip()
    request.save(update_fields=["status", "approver", "decided_at", "comment"])
    return request


def export_customers(*, actor, params, request=None, queryset=None, selected_fields=None) -> tuple[bytes, str, int]:
    """The customer list as filtered by `params`, as a watermarked .xlsx: only for those who may export
    directly (DOMAIN §6), at most EXPORT_ROW_CAP rows, one audit row per export. The admin passes its
    changelist as `queryset` instead; rows and masking still come from the policy either way."""
    from .resources import CustomerExportResource

    if not permissions.can_export_directly(actor):
        raise CustomerError(_("Exports need the marketing head's approval. File a data request for the customers you need."))
    resource = CustomerExportResource(user=actor)
    rows = filter_customers(actor, params) if queryset is None else queryset
    _count, too_many = capped_count(resource.filter_export(rows), cap=EXPORT_ROW_CAP)
    if too_many:
        raise CustomerError(
            _("More than %(cap)s customers match. Narrow the filter and export in parts.") % {"cap": f"{EXPORT_ROW_CAP:,}"}
        )
    now = timezone.localtime()
    watermark = exports.watermark(actor, _("customer export · internal use only"))
    filename = f"customers-{now:%Y%m%d-%H%M%S}.xlsx"
    content = resource.export_xlsx(
        rows, title=str(Customer._meta.verbose_name_plural), watermark=watermark, selected_fields=selected_fields
    )
    count = len(resource.exported_ids)
    audit.record(
        "export",
        actor=actor,
        customers=resource.exported_ids,
        request=request,
        subject=filename,
        detail={"rows": count, "filter": {key: value for key, value in params.items() if value}},
    )
    return content, filename, count


def write_grant_rows(*, user, customer_ids, grant_id: int, fields, expires_at) -> int:
    """The guardian rows a data request's grant gives: one per customer, carrying what the grant unmasks
    and when it ends, so that `policy` reads visibility and masking from this table alone."""
    from django.contrib.auth.models import Permission

    from .models import CustomerUserObjectPermission

    permission = Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    rows = CustomerUserObjectPermission.objects.bulk_create(
        (
            CustomerUserObjectPermission(
                user=user, permission=permission, content_object_id=pk, grant_id=grant_id, fields=list(fields),
                expires_at=expires_at,
            )
            for pk in customer_ids
        ),
        batch_size=2000,
    )
    return len(rows)


def delete_grant_rows(grant_id: int, *, batch_size: int = 5000) -> None:
    """A revoked grant loses all its rows, in batches so that a grant over a million customers does not hold
    one huge delete; the policy reads only these rows, so a grant is over when they are gone."""
    from .models import CustomerUserObjectPermission

    rows = CustomerUserObjectPermission.objects.filter(grant_id=grant_id)
    while pks := list(rows.values_list("pk", flat=True)[:batch_size]):
        CustomerUserObjectPermission.objects.filter(pk__in=pks).delete()
