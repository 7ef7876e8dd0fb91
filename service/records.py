"""The inquiries log with its weekly and monthly roll-ups, and opportunities with per-rep figures."""
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.errors import AppError
from customers.policy import is_visible, own_unit_ids

from .models import Inquiry, Opportunity, OpportunityFollowUp


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
def open_opportunity(*, actor, customer, title: str, content: str, deadline: date) -> Opportunity:
    if not is_visible(actor, customer):
        raise RecordError(_("You cannot open an opportunity for this customer."))
    if not (title or "").strip() or not (content or "").strip():
        raise RecordError(_("Give the opportunity a title and describe the business."))
    if deadline < timezone.localdate():
        raise RecordError(_("The deadline lies in the past."))
    return Opportunity.objects.create(customer=customer, owner=actor, title=title.strip(), content=content.strip(),
                                      deadline=deadline)


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


def monthly_figures(month: date):
    """Per rep: opportunities found in the month and opportunities won in it."""
    start, end = month_of(month)
    found = dict(Opportunity.objects.filter(created_at__date__range=(start, end)).values_list("owner__username")
                 .annotate(n=Count("pk")).values_list("owner__username", "n"))
    won = dict(Opportunity.objects.filter(result=Opportunity.Result.WON, closed_at__date__range=(start, end))
               .values_list("owner__username").annotate(n=Count("pk")).values_list("owner__username", "n"))
    return [(rep, found.get(rep, 0), won.get(rep, 0)) for rep in sorted(set(found) | set(won))]
