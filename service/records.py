"""The inquiries log with its weekly and monthly roll-ups, and opportunities with per-rep figures."""
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.errors import AppError
from crm.workflow import Transition, Workflow
from customers.policy import is_visible, own_unit_ids, visible_customers

from . import permissions
from .models import Inquiry, Opportunity, OpportunityEvent, OpportunityFollowUp


class RecordError(AppError):
    code = "service.records"


def inquiries_seen_by(user):
    """Reps their own entries; supervisors, CS and sales managers and the general manager their units' (and
    below, as their customers); the marketing head and CS manager all."""
    qs = Inquiry.objects.select_related("rep", "unit")
    if user.is_superuser or r.has_role(user, r.MARKETING_HEAD, r.CS_MANAGER):
        return qs
    if r.has_role(user, r.SALES_SUPERVISOR, r.CS_SPECIALIST, r.SALES_MANAGER, r.GENERAL_MANAGER):
        return qs.filter(Q(unit_id__in=own_unit_ids(user)) | Q(rep=user))
    return qs.filter(rep=user)


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, first + relativedelta(months=1) - timedelta(days=1)


def rollup(user, start: date, end: date):
    """Per rep: calls, walk-ins, visitors (with companions) and trials between two dates."""
    return (
        inquiries_seen_by(user).filter(arrived_at__date__range=(start, end))
        .values("rep__username", "rep__last_name", "rep__first_name")
        .annotate(
            phone=Count("pk", filter=Q(how=Inquiry.How.PHONE)),
            walk_in=Count("pk", filter=Q(how=Inquiry.How.WALK_IN)),
            trials=Count("pk", filter=Q(trial=True)),
            total=Count("pk"),
        )
        .order_by("rep__username")
    )


def log_inquiry(*, actor, how: str, name: str, summary: str, companions: int = 0, product: str = "", source: str = "",
                trial: bool = False) -> Inquiry:
    """The inquiry is logged in the rep's first unit, where the roll-ups count it."""
    unit = actor.staff_profile.units.first()
    if unit is None:
        raise RecordError(_("You belong to no unit; ask your administrator."))
    if how not in Inquiry.How.values:
        raise RecordError(_("Choose phone call or walk-in."))
    if not (name or "").strip() or not (summary or "").strip():
        raise RecordError(_("Give the visitor's name and a summary."))
    return Inquiry.objects.create(unit=unit, rep=actor, how=how, name=name.strip(), companions=companions,
                                  product=product, source=source, summary=summary.strip(), trial=trial)


@transaction.atomic
def open_opportunity(*, actor, customer, title: str, content: str, deadline: date,
                     amount: Decimal = Decimal(0)) -> Opportunity:
    if not is_visible(actor, customer):
        raise RecordError(_("You cannot open an opportunity for this customer."))
    if not (title or "").strip() or not (content or "").strip():
        raise RecordError(_("Give the opportunity a title and describe the business."))
    if deadline < timezone.localdate():
        raise RecordError(_("The deadline lies in the past."))
    if amount is None or amount < 0:
        raise RecordError(_("The expected amount cannot be negative."))
    return Opportunity.objects.create(customer=customer, owner=actor, title=title.strip(), content=content.strip(),
                                      deadline=deadline, amount=amount)


@transaction.atomic
def follow_up(*, actor, opportunity_id: int, note: str) -> OpportunityFollowUp:
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity_id)
    if opportunity.result != Opportunity.Result.OPEN:
        raise RecordError(_("This opportunity is closed."))
    return OpportunityFollowUp.objects.create(opportunity=opportunity, by=actor, note=note.strip())


@transaction.atomic
def close_opportunity(*, actor, opportunity_id: int, result: str, reason: str) -> Opportunity:
    opportunity = Opportunity.objects.select_for_update().get(pk=opportunity_id)
    if opportunity.result != Opportunity.Result.OPEN:
        raise RecordError(_("This opportunity is closed."))
    if result not in (Opportunity.Result.WON, Opportunity.Result.LOST):
        raise RecordError(_("Choose won or lost."))
    if result == Opportunity.Result.LOST and not (reason or "").strip():
        raise RecordError(_("Say why it was lost."))
    opportunity.result, opportunity.reason, opportunity.closed_at = result, (reason or "").strip(), timezone.now()
    opportunity.save(update_fields=["result", "reason", "closed_at"])
    return opportunity


def monthly_figures(user, month: date):
    """Per rep (shown by name): opportunities found and won in the month, of the customers `user` may see."""
    from crm.models import display_name

    start, end = month_of(month)
    seen = Opportunity.objects.filter(customer__in=visible_customers(user)).select_related("owner")
    found, won, reps = {}, {}, {}
    for opportunity in seen.filter(Q(created_at__date__range=(start, end))
                                   | Q(result=Opportunity.Result.WON, closed_at__date__range=(start, end))):
        reps[opportunity.owner_id] = opportunity.owner
        if start <= timezone.localtime(opportunity.created_at).date() <= end:
            found[opportunity.owner_id] = found.get(opportunity.owner_id, 0) + 1
        if opportunity.result == Opportunity.Result.WON and opportunity.closed_at \
                and start <= timezone.localtime(opportunity.closed_at).date() <= end:
            won[opportunity.owner_id] = won.get(opportunity.owner_id, 0) + 1
    rows = [(display_name(rep), found.get(pk, 0), won.get(pk, 0)) for pk, rep in reps.items()]
    return sorted(rows, key=lambda row: row[0])


# The pipeline: an open opportunity moves one stage forward or back (the board's buttons and drag).
_STAGES = list(Opportunity.Stage.values)
PIPELINE = Workflow(
    model=Opportunity,
    field="stage",
    event_model=OpportunityEvent,
    event_fk="opportunity",
    transitions={
        stage: {
            **({_STAGES[i + 1]: Transition("advanced", permissions.can_move_opportunity)} if i + 1 < len(_STAGES) else {}),
            **({_STAGES[i - 1]: Transition("moved_back", permissions.can_move_opportunity)} if i > 0 else {}),
        }
        for i, stage in enumerate(_STAGES)
    },
)


def move_opportunity(*, actor, opportunity_id: int, stage: str) -> Opportunity:
    """One stage forward or back; a closed opportunity stays where it was closed."""
    opportunity = Opportunity.objects.select_related("customer").get(pk=opportunity_id)
    if opportunity.result != Opportunity.Result.OPEN:
        raise RecordError(_("This opportunity is closed."))
    return PIPELINE.move(opportunity, stage, actor=actor)


def pipeline(user, opportunities) -> list[dict]:
    """The board: per stage of the open opportunities, then won and lost, its count, total amount and first cards
    (each marked `movable` when this user may move it)."""
    from django.db.models import Sum

    others = permissions.can_move_others_opportunities(user)

    open_ones = opportunities.filter(result=Opportunity.Result.OPEN)
    totals = {row["stage"]: row for row in open_ones.order_by().values("stage").annotate(n=Count("pk"), total=Sum("amount"))}
    closed = {row["result"]: row for row in opportunities.exclude(result=Opportunity.Result.OPEN).order_by()
              .values("result").annotate(n=Count("pk"), total=Sum("amount"))}
    columns = []
    for i, (stage, label) in enumerate(Opportunity.Stage.choices):
        row = totals.get(stage, {})
        columns.append({"key": stage, "label": label, "count": row.get("n", 0), "total": row.get("total") or Decimal(0),
                        "cards": [_movable(card, user, others) for card in open_ones.filter(stage=stage).order_by("deadline", "pk")[:BOARD_CARDS]],
                        "previous": _STAGES[i - 1] if i > 0 else "", "next": _STAGES[i + 1] if i + 1 < len(_STAGES) else ""})
    for result in (Opportunity.Result.WON, Opportunity.Result.LOST):
        row = closed.get(result, {})
        columns.append({"key": result, "label": result.label, "count": row.get("n", 0), "total": row.get("total") or Decimal(0),
                        "cards": list(opportunities.filter(result=result).order_by("-closed_at", "-pk")[:BOARD_CARDS]),
                        "closed": True})
    return columns


def _movable(card: Opportunity, user, others: bool) -> Opportunity:
    card.movable = others or card.owner_id == user.pk
    return card


BOARD_CARDS = 30  # cards shown per column; the count and total cover them all
