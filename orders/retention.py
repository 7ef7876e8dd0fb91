"""Transaction records are kept 10 years (DOMAIN §6), then destroyed through the retention command's
proposal and approval. What a customer owed or had in credit survives as one carried-forward line."""
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from confidentiality.retention import Due

from . import selectors
from .models import Allocation, Charge, Order, Payment, Return, TransitClaim

RULE = "transactions_10y"
TRANSACTION_YEARS = 10
FINISHED = (Order.Status.CLOSED, Order.Status.CANCELLED)


def cutoff(today: date) -> date:
    return today - relativedelta(years=TRANSACTION_YEARS)


def _old_orders(before: date):
    return Order.objects.filter(status__in=FINISHED, created_at__date__lt=before)


def _old_payments(before: date):
    """Dealt-with payments older than the cutoff that settle nothing still kept."""
    kept_orders = Order.objects.exclude(pk__in=_old_orders(before).values("pk"))
    return (Payment.objects.filter(received_on__lt=before).exclude(status=Payment.Status.PENDING)
            .exclude(pk__in=Allocation.objects.filter(order__in=kept_orders).values("payment_id")))


def transactions_due(today: date | None = None) -> Due:
    from django.utils import timezone

    before = cutoff(today or timezone.localdate())
    ids = set(_old_orders(before).values_list("customer_id", flat=True).distinct())
    ids |= set(_old_payments(before).values_list("customer_id", flat=True).distinct())
    ids |= set(Charge.objects.filter(on__lt=before).values_list("customer_id", flat=True).distinct())
    return Due(RULE, _("Orders, payments, returns and charges older than %(years)s years (before %(date)s)")
               % {"years": TRANSACTION_YEARS, "date": before}, sorted(ids))


@transaction.atomic
def destroy_transactions(customer_ids: list[int], today: date) -> None:
    before = cutoff(today)
    for customer_id in customer_ids:
        kept = selectors.balance(customer_id)
        orders = _old_orders(before).filter(customer_id=customer_id)
        for claim in TransitClaim.objects.filter(order__in=orders):
            claim.evidence.delete(save=False)
        TransitClaim.objects.filter(order__in=orders).delete()
        Return.objects.filter(order__in=orders).delete()
        payments = list(_old_payments(before).filter(customer_id=customer_id).values_list("pk", flat=True))
        Allocation.objects.filter(Q(order__in=orders) | Q(payment_id__in=payments)).delete()
        orders.delete()
        Payment.objects.filter(pk__in=payments).delete()
        Charge.objects.filter(customer_id=customer_id, on__lt=before).delete()
        drift = selectors.balance(customer_id) - kept
        if drift:
            Charge.objects.create(customer_id=customer_id, on=before, kind=Charge.Kind.OTHER, amount=drift,
                                  description=_("Balance carried forward (records over 10 years old destroyed)"))
