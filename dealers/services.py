"""Dealer workflows, one verb each: the card, and the franchise lifecycle on the shared workflow helper."""
import math
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import audit
from crm.actor import acting_as
from crm.errors import ActionForbidden, AppError
from crm.workflow import Move, Transition, Workflow
from customers.models import Customer

from . import permissions
from .models import CreditProposal, CreditProposalEvent, Dealer, DealerEvent, FranchiseRules

S = Dealer.Status
ZERO = Decimal("0")
FEN = Decimal("0.01")


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


def print_card(*, actor, dealer: Dealer, request=None) -> tuple[list, str]:
    """The card for paper: masked as on the page, watermarked with the reader, audited as a print."""
    from crm.exports import watermark

    from .selectors import card_sections

    if not permissions.can_view(actor, dealer):
        raise ActionForbidden(None, _("You may not see this dealer."))
    audit.record("print", actor=actor, customers=[dealer.pk], request=request,
                 subject=str(_("Dealer card: %(name)s") % {"name": dealer.customer.name}))
    return card_sections(actor, dealer), watermark(actor, str(_("Dealer card printout")))


def export_dealers(*, actor, dealers, request=None, limit: int = 50_000) -> bytes:
    """The dealers as .xlsx with Chinese headers, each sensitive field masked as the reader's card shows it,
    watermarked and audited."""
    from crm.exports import streamed_workbook, watermark

    from .catalogue import CATALOGUE
    from .choice_labels import choice_label
    from .selectors import card_access, shown

    if not permissions.can_export(actor):
        raise ActionForbidden(None, _("Exports need the marketing head's approval: file a data request."))
    dealers = list(dealers[:limit])
    access = card_access(actor, dealers)
    headers = [_("Customer code"), _("Name"), _("Franchise status")] + [spec.label for spec in CATALOGUE]
    rows = ([d.customer.customer_code or "", d.customer.name, choice_label("franchise_status", d.franchise_status)]
            + [shown(access, d, spec.code) for spec in CATALOGUE] for d in dealers)
    title = str(_("Dealer export"))
    content = streamed_workbook(title=str(_("Dealers")), watermark=watermark(actor, title), headers=headers, rows=rows)
    audit.record("export", actor=actor, customers=[d.pk for d in dealers], request=request, subject=title,
                 detail={"rows": len(dealers)})
    return content


def export_progress(*, actor, month: date, groups, request=None) -> bytes:
    """The sales progress table as .xlsx with Chinese headers and subtotals, watermarked and audited."""
    from crm.exports import streamed_workbook, watermark

    if not permissions.can_export(actor):
        raise ActionForbidden(None, _("Exports need the marketing head's approval: file a data request."))
    headers = [_("Region"), _("Tier"), _("Customer"), _("Last month's actual"), _("This month's plan"),
               _("This month's actual"), _("Completion (%)")]
    rows, ids = [], []
    for group in groups:
        for row in group.rows:
            ids.append(row.dealer.pk)
            rows.append([group.region, group.tier, row.dealer.customer.name, row.last_actual, row.plan, row.actual,
                         row.completion])
        rows.append([group.region, group.tier, str(_("Subtotal")), group.last_actual, group.plan, group.actual,
                     group.completion])
    title = str(_("Sales progress %(month)s") % {"month": f"{month:%Y-%m}"})
    content = streamed_workbook(title=title, watermark=watermark(actor, title), headers=headers, rows=rows)
    audit.record("export", actor=actor, customers=ids, request=request, subject=title, detail={"rows": len(ids)})
    return content


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
    """A franchise decision is an approval in the audit log's terms; the detail says which."""
    audit.record("approve", actor=move.actor, customers=[move.obj.pk], subject=str(_("Franchise: %(verb)s") % {"verb": move.verb}),
                 detail={"what": "franchise", "verb": move.verb, "from": move.source, "to": move.target})


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


def _charge(dealer: Dealer, kind: str, month: date, amount: Decimal, description: str, actor) -> bool:
    """One fee per dealer, kind and month, however often the job runs: the FeeCharge row is the key."""
    from orders.services import add_charge

    from .models import FeeCharge

    amount = amount.quantize(FEN, ROUND_HALF_UP)
    if amount <= 0:
        return False
    with transaction.atomic():
        fee, created = FeeCharge.objects.get_or_create(dealer=dealer, kind=kind, month=month, defaults={"amount": amount})
        if not created:
            return False
        charge = add_charge(dealer.customer, kind=kind, amount=amount, on=month, description=description, actor=actor)
        fee.charge_id = charge.pk
        fee.save(update_fields=["charge_id"])
    return True


def admit(*, actor, dealer_id: int, comment: str = "") -> Dealer:
    """Applicant → active member: only when every qualification and condition of joining holds; the
    non-refundable franchise fee is then charged on the dealer's statement."""
    dealer = Dealer.objects.select_related("customer").get(pk=dealer_id)
    reasons = admission_failures(dealer)
    if reasons:
        raise DealerError("dealer.not_qualified", _("The dealer cannot be admitted: %(reasons)s"), reasons="；".join(reasons))
    with transaction.atomic():
        dealer = FRANCHISE.move(dealer_id, S.ACTIVE, actor=actor, comment=comment)
        today = timezone.localdate()
        _charge(dealer, "franchise_fee", today.replace(day=1), dealer.franchise_fee or ZERO,
                str(_("Franchise fee (non-refundable), contract %(no)s") % {"no": dealer.contract_no}), actor)
    return dealer


def charge_monthly_fees(month: date, *, actor=None, dealer_ids=None) -> tuple[int, int]:
    """Membership fee and operating fee (a share of the month's purchases) of each member for `month`,
    as charges on its statement in orders (seed 002 §13). Returns (dealers scanned, charges made)."""
    from orders.selectors import monthly_purchase_amounts

    month = month.replace(day=1)
    members = Dealer.objects.filter(franchise_status__in=(S.ACTIVE, S.ADVISED)).select_related("customer")
    if dealer_ids is not None:
        members = members.filter(pk__in=dealer_ids)
    members = list(members)
    bought = monthly_purchase_amounts([d.pk for d in members], month)
    made = 0
    label = f"{month:%Y-%m}"
    for dealer in members:
        if dealer.monthly_membership_fee:
            made += _charge(dealer, "membership_fee", month, dealer.monthly_membership_fee,
                            str(_("Membership fee %(month)s") % {"month": label}), actor)
        if dealer.operating_fee_rate and bought.get(dealer.pk):
            made += _charge(dealer, "operating_fee", month, bought[dealer.pk] * dealer.operating_fee_rate / 100,
                            str(_("Operating fee %(month)s: %(rate)s%% of %(amount)s") % {
                                "month": label, "rate": dealer.operating_fee_rate, "amount": bought[dealer.pk]}), actor)
    return len(members), made


def check_hq_share(month: date, *, dealer_ids=None) -> tuple[int, int]:
    """Seed 002 §9: at least the contract's share of goods bought from HQ, checked each month against the
    dealer's monthly purchases (the card's average when nothing else is known); a shortfall proposes a
    correction advice to the franchise deciders. Returns (dealers checked, shortfalls)."""
    from orders.selectors import monthly_purchase_amounts

    from .models import HqShareCheck

    month = month.replace(day=1)
    members = Dealer.objects.filter(franchise_status__in=(S.ACTIVE, S.ADVISED), hq_purchase_share_min__gt=0,
                                    avg_monthly_purchase__gt=0)
    if dealer_ids is not None:
        members = members.filter(pk__in=dealer_ids)
    members = list(members)
    bought = monthly_purchase_amounts([d.pk for d in members], month)
    short = 0
    for dealer in members:
        hq = bought.get(dealer.pk, ZERO)
        total = max(dealer.avg_monthly_purchase, hq)
        share = (hq * 100 / total).quantize(FEN, ROUND_HALF_UP)
        outcome = HqShareCheck.Outcome.SHORT if share < dealer.hq_purchase_share_min else HqShareCheck.Outcome.MET
        _check, created = HqShareCheck.objects.get_or_create(dealer=dealer, month=month, defaults={
            "hq_amount": hq, "total_amount": total, "share": share, "minimum": dealer.hq_purchase_share_min,
            "outcome": outcome})
        short += created and outcome == HqShareCheck.Outcome.SHORT
    return len(members), short


def give_proposed_advice(*, actor, check_id: int, deadline: date) -> Dealer:
    """Turns a shortfall into the written correction advice it proposes."""
    from .models import HqShareCheck

    with transaction.atomic():
        check = HqShareCheck.objects.select_for_update().get(pk=check_id)
        if check.outcome != HqShareCheck.Outcome.SHORT:
            raise DealerError("dealer.check_done", _("This shortfall has been dealt with already."))
        text = str(_("In %(month)s you bought %(share)s%% of your goods from HQ; the contract asks for at least %(min)s%%. "
                     "Please correct this by the deadline.") % {"month": f"{check.month:%Y-%m}", "share": check.share,
                                                                  "min": check.minimum})
        dealer = advise(actor=actor, dealer_id=check.dealer_id, text=text, deadline=deadline)
        check.outcome = HqShareCheck.Outcome.ADVISED
        check.save(update_fields=["outcome"])
    return dealer


def dismiss_proposed_advice(*, actor, check_id: int) -> None:
    from .models import HqShareCheck

    with transaction.atomic():
        check = HqShareCheck.objects.select_for_update().select_related("dealer__customer").get(pk=check_id)
        if not permissions.can_decide_franchise(actor, check.dealer):
            raise ActionForbidden(None, _("You may not decide franchise matters of this dealer."))
        if check.outcome != HqShareCheck.Outcome.SHORT:
            raise DealerError("dealer.check_done", _("This shortfall has been dealt with already."))
        check.outcome = HqShareCheck.Outcome.DISMISSED
        check.save(update_fields=["outcome"])


# --- credit grades -------------------------------------------------------------------------------------

CP = CreditProposal.Status


def _marketing(user, proposal) -> bool:
    return permissions.approves_for_marketing(user) and user.pk != proposal.finance_by_id


def _finance(user, proposal) -> bool:
    return permissions.approves_for_finance(user) and user.pk != proposal.marketing_by_id


def _either(user, proposal) -> bool:
    return permissions.approves_for_marketing(user) or permissions.approves_for_finance(user)


def _audit_credit(move: Move) -> None:
    audit.record("reject" if move.target == CP.REJECTED else "approve", actor=move.actor, customers=[move.obj.dealer_id],
                 subject=str(_("Credit grade %(grade)s") % {"grade": move.obj.grade}),
                 detail={"what": "credit_grade", "verb": move.verb, "from": move.source, "to": move.target})


CREDIT = Workflow(
    model=CreditProposal, event_model=CreditProposalEvent, event_fk="proposal", audit=_audit_credit,
    transitions={
        CP.PROPOSED: {CP.MARKETING_APPROVED: Transition("marketing_approved", _marketing),
                      CP.FINANCE_APPROVED: Transition("finance_approved", _finance),
                      CP.REJECTED: Transition("rejected", _either)},
        CP.MARKETING_APPROVED: {CP.APPROVED: Transition("approved", _finance), CP.REJECTED: Transition("rejected", _finance)},
        CP.FINANCE_APPROVED: {CP.APPROVED: Transition("approved", _marketing), CP.REJECTED: Transition("rejected", _marketing)},
    },
)


def propose_grades(on: date | None = None, *, actor=None, dealer_ids=None) -> tuple[int, int]:
    """Computes every member's grade and proposes those that change the grade, limit or period; a dealer
    with an open proposal is left alone. Returns (dealers scored, proposals made)."""
    from .selectors import credit_scores

    on = on or timezone.localdate()
    dealers = Dealer.objects.filter(franchise_status__in=(S.ACTIVE, S.ADVISED))
    if dealer_ids is not None:
        dealers = dealers.filter(pk__in=dealer_ids)
    dealers = list(dealers.exclude(credit_proposals__status__in=CreditProposal.OPEN))
    made = 0
    for dealer_id, found in credit_scores(dealers, on).items():
        dealer = next(d for d in dealers if d.pk == dealer_id)
        if (dealer.credit_grade, dealer.credit_limit, dealer.credit_days) == (found.grade, found.credit_limit, found.credit_days):
            continue
        try:
            with transaction.atomic():
                CreditProposal.objects.create(
                    dealer=dealer, grade=found.grade, previous_grade=dealer.credit_grade, score=found.score,
                    credit_limit=found.credit_limit, credit_days=found.credit_days, basis=found.basis, proposed_by=actor)
        except IntegrityError:  # a second run (another beat, a retry) proposed it first: one open proposal a dealer
            continue
        made += 1
    return len(dealers), made


def approve_credit(*, actor, proposal_id: int, comment: str = "") -> CreditProposal:
    """One of the two approvals; the second sets the dealer's grade and, in orders, its credit terms."""
    proposal = CreditProposal.objects.get(pk=proposal_id)
    if proposal.status == CP.PROPOSED:
        target = CP.MARKETING_APPROVED if permissions.approves_for_marketing(actor) else CP.FINANCE_APPROVED
    else:
        target = CP.APPROVED

    def record(p):
        field = "finance_by" if target == CP.FINANCE_APPROVED or (target == CP.APPROVED and p.marketing_by_id) else "marketing_by"
        setattr(p, field, actor)
        if target == CP.APPROVED:
            _apply_grade(p, actor)
        return [field]
    return CREDIT.move(proposal_id, target, actor=actor, comment=comment, side_effect=record)


def _apply_grade(proposal: CreditProposal, actor) -> None:
    from orders.services import set_credit_terms

    dealer = Dealer.objects.select_for_update().select_related("customer").get(pk=proposal.dealer_id)
    dealer.credit_grade, dealer.credit_limit, dealer.credit_days = proposal.grade, proposal.credit_limit, proposal.credit_days
    with acting_as(actor):
        dealer.save(update_fields=["credit_grade", "credit_limit", "credit_days"])
    set_credit_terms(dealer.customer, limit=proposal.credit_limit, period_days=proposal.credit_days, source="grade",
                     reference=str(_("Credit grade %(grade)s, proposal %(id)s") % {"grade": proposal.grade, "id": proposal.pk}),
                     actor=actor)


def reject_credit(*, actor, proposal_id: int, comment: str = "") -> CreditProposal:
    return CREDIT.move(proposal_id, CP.REJECTED, actor=actor, comment=comment)


# --- monthly plans ------------------------------------------------------------------------------------

PLAN_DUE_DAY = 5  # seed 003: by the 5th of each month
PLAN_REMINDER_DAY = 3


def plan_due(month: date) -> date:
    return month.replace(day=PLAN_DUE_DAY)


def submit_plan(*, actor, dealer_id: int, month: date, lines: dict) -> "MonthlyPlan":
    """The month's expected quantities per product ({product id: quantity}); entered again, it replaces the
    lines and keeps the first submission's date. After the 5th it is marked late."""
    from .models import MonthlyPlan, PlanLine

    month = month.replace(day=1)
    lines = {pid: Decimal(q) for pid, q in lines.items() if q is not None and Decimal(q) > 0}
    if not lines:
        raise DealerError("dealer.plan_empty", _("Enter a quantity for at least one product."))
    with transaction.atomic(), acting_as(actor):
        dealer = Dealer.objects.select_for_update().select_related("customer").get(pk=dealer_id)
        if not permissions.can_enter_plan(actor, dealer):
            raise ActionForbidden(None, _("You may not enter this dealer's plans."))
        if dealer.franchise_status not in (S.ACTIVE, S.ADVISED):
            raise DealerError("dealer.plan_not_member", _("Only members report monthly plans."))
        now = timezone.now()
        plan, created = MonthlyPlan.objects.get_or_create(
            dealer=dealer, month=month,
            defaults={"submitted_by": actor, "submitted_at": now, "late": timezone.localdate() > plan_due(month)})
        plan.lines.all().delete()
        PlanLine.objects.bulk_create(PlanLine(plan=plan, product_id=pid, quantity=q) for pid, q in lines.items())
        DealerEvent.objects.create(dealer=dealer, kind="plan_submitted", actor=actor, data={"month": month.isoformat(), "late": plan.late})
    return plan


def plan_reminders(on: date) -> tuple[int, int]:
    """On the 3rd: the owner of each member without this month's plan is reminded it is due by the 5th."""
    if on.day != PLAN_REMINDER_DAY:
        return 0, 0
    month = on.replace(day=1)
    members = (Dealer.objects.filter(franchise_status__in=(S.ACTIVE, S.ADVISED)).exclude(plans__month=month)
               .select_related("customer__account_manager"))
    sent = 0
    for dealer in members:
        owner = dealer.customer.account_manager
        if owner is None:
            continue
        sent += _notify_once(owner, str(_("Monthly plan of %(name)s for %(month)s is due by %(due)s") % {
            "name": dealer.customer.name, "month": f"{month:%Y-%m}", "due": plan_due(month).isoformat()}),
            f"/dealers/{dealer.pk}/plan/", since=month)
    return len(members), sent


def _notify_once(user, subject: str, url: str, *, since: date) -> int:
    """A job run twice (two beats, a retry) reminds once: the same reminder since `since` is not sent again."""
    from crm.models import Notification
    from crm.notifications import notify

    if Notification.objects.filter(recipient=user, url=url, subject=subject, created_at__date__gte=since).exists():
        return 0
    return notify([user], subject=subject, url=url)


def registration_check_due(dealer: Dealer, on: date) -> bool:
    """Seed 003: a yearly check of the business registration for dealers who owe HQ money."""
    return dealer.credit_checked_on is None or dealer.credit_checked_on <= on - timedelta(days=365)


def registration_check_reminders(on: date) -> tuple[int, int]:
    """Reminds the owner of each dealer with receivables whose yearly registration check is due."""
    from orders.selectors import balance

    dealers = list(Dealer.objects.select_related("customer__account_manager"))
    sent = 0
    for dealer in dealers:
        owner = dealer.customer.account_manager
        if owner is None or not registration_check_due(dealer, on) or balance(dealer.pk) >= 0:
            continue
        sent += _notify_once(owner, str(_("The yearly business registration check of %(name)s is due") % {
            "name": dealer.customer.name}), f"/dealers/{dealer.pk}/", since=on - timedelta(days=30))
    return len(dealers), sent
