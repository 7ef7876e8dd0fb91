"""Transaction records are kept 10 years, then destroyed by the retention command; the balance survives."""
from datetime import date, datetime, timezone as tz
from decimal import Decimal

import pytest
from django.utils import timezone

from confidentiality import retention
from crm import roles as r
from crm.tests.factories import UserFactory
from orders import selectors, services
from orders.models import Charge, Order, Payment

from .factories import ProductFactory, finance_user, place_order, rep_customer

pytestmark = pytest.mark.django_db


def test_records_over_ten_years_old_are_destroyed_after_approval_and_the_balance_is_kept(monkeypatch):
    rep, customer = rep_customer()
    product = ProductFactory()
    old = place_order(rep, customer, (product, "1", "100"))
    services.cancel_order(actor=rep, order_id=old.pk, reason="改单")
    Order.objects.filter(pk=old.pk).update(created_at=datetime(2014, 3, 1, tzinfo=tz.utc))
    finance = finance_user()
    payment = services.record_payment(actor=finance, customer=customer, method="cash", amount="80",
                                      received_on=date(2014, 3, 2))
    services.confirm_payment(actor=finance, payment_id=payment.pk)
    services.add_charge(customer, kind="membership_fee", amount="30", on=date(2014, 4, 1), actor=None)
    recent = place_order(rep, customer, (product, "1", "10"))
    before = selectors.balance(customer.pk)
    assert before == Decimal("50.00")

    today = timezone.localdate()  # the destruction counts ten years back from the day it is approved
    due = {d.rule: d for d in retention.everything_due(today)}["transactions_10y"]
    assert due.customer_ids == [customer.pk]
    destruction = retention.propose(actor=UserFactory(roles=[r.GENERAL_MANAGER]), due=due)
    with pytest.raises(retention.RetentionError):
        retention.approve_and_destroy(actor=destruction.proposed_by, destruction_id=destruction.pk)
    retention.approve_and_destroy(actor=UserFactory(roles=[r.MARKETING_HEAD]), destruction_id=destruction.pk)
    assert not Order.objects.filter(pk=old.pk).exists() and not Payment.objects.filter(pk=payment.pk).exists()
    assert Order.objects.filter(pk=recent.pk).exists()
    assert selectors.balance(customer.pk) == before
    carried = Charge.objects.get(customer=customer)
    from orders.retention import cutoff

    assert carried.amount == Decimal("-50.00") and carried.on == cutoff(today)
    assert retention.everything_due(timezone.localdate())[-1].customer_ids == []
