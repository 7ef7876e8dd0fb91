"""The public pool (公海): neglected customers go back to their unit's pool after one warning to
the owner; reps claim from it up to a cap. Rules per tier live in PoolRule; every step is a PoolEvent."""
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.errors import AppError
from crm.notifications import notify
from customers.models import Customer
from customers.policy import visible_customers
from customers.services import change_owner

from .models import PoolEvent, PoolRule, Visit

CLAIM_WINDOW_DAYS = 30


class PoolError(AppError):
    code = "service.pool"


def claim_cap() -> int:
    return getattr(settings, "CRM_POOL_CLAIM_CAP", 20)


def _owned_with_last_activity(tier: str):
    last_visit = Visit.objects.filter(customer=OuterRef("pk")).values("customer").annotate(m=Max("visited_on")).values("m")
    return (
        Customer.objects.active().filter(tier=tier, account_manager__isnull=False)
        .annotate(last_follow_up=Coalesce(Subquery(last_visit), "registered_on"),
                  last_deal=Coalesce("last_trade_on", "registered_on"))
    )


def _quiet_since(customer, rule: PoolRule, today: date) -> tuple[date, date] | None:
    """(quiet since, return day) by whichever rule bites first: no follow-up, or no deal."""
    candidates = [(customer.last_follow_up, customer.last_follow_up + timedelta(days=rule.no_followup_days))]
    if rule.no_deal_days:
        candidates.append((customer.last_deal, customer.last_deal + timedelta(days=rule.no_deal_days)))
    since, return_day = min(candidates, key=lambda c: c[1])
    if today < return_day - timedelta(days=rule.warn_days_before):
        return None
    return since, return_day


def sweep(today: date | None = None) -> dict[str, int]:
    """Daily: warn owners a few days before the limit, return warned customers past it. Idempotent:
    one warning per quiet spell (keyed by the last follow-up date), one return."""
    today = today or timezone.localdate()
    warned = returned = 0
    for rule in PoolRule.objects.filter(exempt=False):
        warn_cutoff = today - timedelta(days=rule.no_followup_days - rule.warn_days_before)
        quiet = _owned_with_last_activity(rule.tier).filter(last_follow_up__lte=warn_cutoff)
        if rule.no_deal_days:
            deal_cutoff = today - timedelta(days=rule.no_deal_days - rule.warn_days_before)
            quiet = _owned_with_last_activity(rule.tier).filter(
                Q(last_follow_up__lte=warn_cutoff) | Q(last_deal__lte=deal_cutoff))
        for customer in quiet.iterator(chunk_size=2000):
            found = _quiet_since(customer, rule, today)
            if found is None:
                continue
            since, return_day = found
            warning = PoolEvent.objects.filter(customer=customer, kind=PoolEvent.Kind.WARNED, idle_since=since).first()
            if warning is None:
                try:
                    with transaction.atomic():
                        PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.WARNED,
                                                 user_id=customer.account_manager_id, idle_since=since, at=timezone.now())
                except IntegrityError:
                    continue  # another sweep warned at the same moment
                notify([customer.account_manager],
                       subject=_("%(name)s returns to the public pool on %(day)s without a follow-up") % {
                           "name": customer.name, "day": return_day},
                       url=f"/customers/{customer.pk}/")
                warned += 1
            elif today >= return_day and warning.at.date() < today:
                with transaction.atomic():
                    moved = change_owner(
                        Customer.objects.filter(pk=customer.pk, account_manager_id=customer.account_manager_id), None,
                        actor=None, via="pool_return",
                    )
                    if not moved:
                        continue  # another sweep returned it already
                    PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.RETURNED, at=timezone.now(),
                                             user_id=customer.account_manager_id, idle_since=since)
                returned += 1
    return {"warned": warned, "returned": returned}


def pool(user):
    """The pool as this user may see it (through the policy)."""
    return visible_customers(user).active().filter(account_manager__isnull=True)


@transaction.atomic
def claim(*, actor, customer_id: int) -> Customer:
    if not r.has_role(actor, r.SALES_REP):
        raise PoolError(_("Only sales reps claim customers from the pool."))
    recent = PoolEvent.objects.filter(kind=PoolEvent.Kind.CLAIMED, user=actor,
                                      at__gte=timezone.now() - timedelta(days=CLAIM_WINDOW_DAYS)).count()
    if recent >= claim_cap():
        raise PoolError(_("You have claimed %(n)d customers in the last 30 days, the most allowed.") % {"n": recent})
    customer = pool(actor).select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise PoolError(_("This customer is no longer in your unit's pool."))
    change_owner(Customer.objects.filter(pk=customer.pk, account_manager__isnull=True), actor, actor=actor,
                 via="pool_claim")
    PoolEvent.objects.create(customer=customer, kind=PoolEvent.Kind.CLAIMED, user=actor, at=timezone.now())
    customer.refresh_from_db()
    return customer
