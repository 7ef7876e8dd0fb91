"""Dealer workflows, one verb each: the card, and the franchise lifecycle on the shared workflow helper."""
import math
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import audit
from crm.actor import acting_as
from crm.errors import ActionForbidden, AppError
from crm.workflow import Move, Transition, Workflow
from customers.models import Customer

from . import permissions
from .models import Dealer, DealerEvent, FranchiseRules

S = Dealer.Status


class DealerError(AppError):
    code = "dealer.refused"


# --- the card -----------------------------------------------------------------------------------------

def create_card(*, actor, customer_id: int) -> Dealer:
    """Makes a customer a dealer: an empty card (applicant), the customer's profile set to dealer."""
    with transaction.atomic(), acting_as(actor):
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if not permissions.can_create_card(actor, customer):
            raise ActionForbidden(None, _("You may not open a dealer card for this customer."))
        dealer, created = Dealer.objects.get_or_create(customer=customer)
        if customer.profile_type != Customer.Profile.DEALER:
            customer.profile_type = Customer.Profile.DEALER
            customer.save(update_fields=["profile_type"])
        if created:
            DealerEvent.objects.create(dealer=dealer, kind="card_opened", actor=actor)
            audit.record("dealer.card_opened", actor=actor, customers=[customer])
    return dealer


def save_card(*, actor, dealer_id: int, values: dict) -> Dealer:
    """Writes the fields the form let the user edit (history per field in `Dealer.save`)."""
    with transaction.atomic(), acting_as(actor):
        dealer = Dealer.objects.select_for_update().select_related("customer").get(pk=dealer_id)
        if not permissions.can_edit_card(actor, dealer):
            raise ActionForbidden(None, _("You may not edit this dealer card."))
        for name, value in values.items():
            setattr(dealer, name, value)
        dealer.save(update_fields=list(values))
    return dealer


# --- qualification -----------------------------------------------------------------------------------

def _km(a: str, b: str) -> float | None:
    """Great-circle distance between two `lat,lng` strings."""
    try:
        (lat1, lng1), (lat2, lng2) = (map(float, a.split(",")), map(float, b.split(",")))
    except (ValueError, AttributeError):
        return None
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lng2 - lng1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def nearest_member(dealer: Dealer) -> tuple[Dealer, float] | None:
    """The closest active member in the dealer's administrative region, with its distance in km."""
    here = dealer.customer.geo_location
    if not here:
        return None
    members = (Dealer.objects.filter(franchise_status__in=(S.ACTIVE, S.ADVISED),
                                     customer__admin_region=dealer.customer.admin_region)
               .exclude(pk=dealer.pk).exclude(customer__geo_location="").select_related("customer"))
    found = [(m, _km(here, m.customer.geo_location)) for m in members]
    found = [(m, d) for m, d in found if d is not None]
    return min(found, key=lambda pair: pair[1]) if found else None


def qualification_failures(dealer: Dealer, rules: FranchiseRules | None = None) -> list[str]:
    """Every reason the dealer does not qualify (seed 002 §4), each one said; empty when it does."""
    rules = rules or FranchiseRules.current()
    reasons = []
    if dealer.min_floor_area is None:
        reasons.append(str(_("The floor area is not recorded.")))
    elif dealer.min_floor_area < rules.min_floor_area:
        reasons.append(str(_("The floor area is %(have)s m², below the minimum of %(min)s m².")
                           % {"have": dealer.min_floor_area, "min": rules.min_floor_area}))
    if dealer.min_monthly_revenue is None:
        reasons.append(str(_("The monthly revenue is not recorded.")))
    elif dealer.min_monthly_revenue < rules.min_monthly_revenue:
        reasons.append(str(_("The monthly revenue is %(have)s (CNY 10k), below the minimum of %(min)s.")
                           % {"have": dealer.min_monthly_revenue, "min": rules.min_monthly_revenue}))
    if not dealer.customer.geo_location:
        reasons.append(str(_("The customer's geographic location is not recorded, so the distance to other members cannot be checked.")))
    else:
        near = nearest_member(dealer)
        if near is not None and Decimal(str(round(near[1], 2))) < rules.min_distance_km:
            reasons.append(str(_("Member %(name)s is %(km).2f km away in the same region; the minimum is %(min)s km.")
                               % {"name": near[0].customer.name, "km": near[1], "min": rules.min_distance_km}))
    return reasons


def admission_failures(dealer: Dealer) -> list[str]:
    """Qualification plus the conditions of joining (seed 002 §5): contract, fee, training."""
    reasons = qualification_failures(dealer)
    if not dealer.contract_no or not dealer.contract_signed_on:
        reasons.append(str(_("The franchise contract number and signing date are missing.")))
    if dealer.franchise_fee is None:
        reasons.append(str(_("The franchise fee is not recorded.")))
    if not dealer.training_completed:
        reasons.append(str(_("The HQ training is not completed.")))
    return reasons


# --- the franchise lifecycle ---------------------------------------------------------------------------

TERMINATION_REASONS = {
    "ignored_advice": _("Correction advice ignored"),
    "losses": _("Losses for six months or more"),
    "bankruptcy": _("Bankruptcy or enforcement"),
    "debts": _("Unpaid debts to HQ"),
}
EXPULSION_REASONS = {
    "serious_breach": _("Serious breach of the rules"),
    "damaged_credit": _("Damage to the chain's name or credit"),
    "disrupted_operations": _("Disruption of the chain's operations"),
}


def _decider(user, dealer) -> bool:
    return permissions.can_decide_franchise(user, dealer)


def _audit(move: Move) -> None:
    audit.record(f"dealer.{move.verb}", actor=move.actor, customers=[move.obj.pk], detail={"from": move.source, "to": move.target})


FRANCHISE = Workflow(
    model=Dealer, field="franchise_status", event_model=DealerEvent, event_fk="dealer", audit=_audit,
    also_save=("updated_at", "completeness"),
    transitions={
        S.APPLICANT: {S.ACTIVE: Transition("admitted", _decider)},
        S.ACTIVE: {S.ADVISED: Transition("advised", _decider), S.TERMINATED: Transition("terminated", _decider),
                   S.EXPELLED: Transition("expelled", _decider), S.WITHDRAWN: Transition("withdrew", _decider)},
        S.ADVISED: {S.ACTIVE: Transition("advice_complied", _decider), S.TERMINATED: Transition("terminated", _decider),
                    S.EXPELLED: Transition("expelled", _decider), S.WITHDRAWN: Transition("withdrew", _decider)},
    },
)


def admit(*, actor, dealer_id: int, comment: str = "") -> Dealer:
    """Applicant → active member: only when every qualification and condition of joining holds."""
    dealer = Dealer.objects.select_related("customer").get(pk=dealer_id)
    reasons = admission_failures(dealer)
    if reasons:
        raise DealerError("dealer.not_qualified", _("The dealer cannot be admitted: %(reasons)s"), reasons="；".join(reasons))
    return FRANCHISE.move(dealer_id, S.ACTIVE, actor=actor, comment=comment)


def advise(*, actor, dealer_id: int, text: str, deadline: date) -> Dealer:
    """A written correction advice (seed 002 §17), with the date it must be complied with."""
    if deadline <= timezone.localdate():
        raise DealerError("dealer.deadline_past", _("The deadline must be after today."))

    def record(dealer):
        dealer.advice_text, dealer.advice_deadline = text, deadline
        return ["advice_text", "advice_deadline"]
    return FRANCHISE.move(dealer_id, S.ADVISED, actor=actor, comment=text, side_effect=record,
                          deadline=deadline.isoformat())


def clear_advice(*, actor, dealer_id: int, comment: str = "") -> Dealer:
    """The advice was complied with: back to active."""
    def record(dealer):
        dealer.advice_text, dealer.advice_deadline = "", None
        return ["advice_text", "advice_deadline"]
    return FRANCHISE.move(dealer_id, S.ACTIVE, actor=actor, comment=comment, side_effect=record)


def terminate(*, actor, dealer_id: int, reason: str, comment: str = "") -> Dealer:
    """HQ ends the contract (seed 002 §18); "ignored advice" only once an advice's deadline has passed."""
    if reason not in TERMINATION_REASONS:
        raise DealerError("dealer.reason", _("Choose one of the reasons for termination."))
    if reason == "ignored_advice":
        dealer = Dealer.objects.get(pk=dealer_id)
        if dealer.franchise_status != S.ADVISED or not dealer.advice_deadline or dealer.advice_deadline >= timezone.localdate():
            raise DealerError("dealer.advice_pending", _("“Correction advice ignored” needs an advice whose deadline has passed."))

    def record(dealer):
        dealer.end_reason = reason
        return ["end_reason"]
    return FRANCHISE.move(dealer_id, S.TERMINATED, actor=actor, comment=comment, side_effect=record, reason=reason)


def expel(*, actor, dealer_id: int, reason: str, comment: str = "") -> Dealer:
    """HQ expels the member (seed 002 §19)."""
    if reason not in EXPULSION_REASONS:
        raise DealerError("dealer.reason", _("Choose one of the reasons for expulsion."))

    def record(dealer):
        dealer.end_reason = reason
        return ["end_reason"]
    return FRANCHISE.move(dealer_id, S.EXPELLED, actor=actor, comment=comment, side_effect=record, reason=reason)


def earliest_end(notice_on: date, rules: FranchiseRules | None = None) -> date:
    return notice_on + timedelta(days=(rules or FranchiseRules.current()).notice_days)


def withdraw(*, actor, dealer_id: int, notice_on: date, leaves_on: date, comment: str = "") -> Dealer:
    """The member leaves (seed 002 §20): written notice at least 30 days before the end date."""
    today = timezone.localdate()
    if notice_on > today:
        raise DealerError("dealer.notice_future", _("The notice date cannot be in the future."))
    earliest = earliest_end(notice_on)
    if leaves_on < earliest:
        raise DealerError("dealer.notice_short", _(
            "Withdrawal needs written notice %(days)s days ahead: with notice given on %(notice)s the membership "
            "can end on %(earliest)s at the earliest."),
            days=(earliest - notice_on).days, notice=notice_on.isoformat(), earliest=earliest.isoformat())

    def record(dealer):
        dealer.notice_given_on, dealer.leaves_on = notice_on, leaves_on
        return ["notice_given_on", "leaves_on"]
    return FRANCHISE.move(dealer_id, S.WITHDRAWN, actor=actor, comment=comment, side_effect=record,
                          notice_on=notice_on.isoformat(), leaves_on=leaves_on.isoformat())
