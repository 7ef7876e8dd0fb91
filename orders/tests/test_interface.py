"""The interface the dealers app builds on: credit terms, charges and the monthly figures."""
from datetime import date
from decimal import Decimal

import pytest

from customers.tests.factories import CustomerFactory
from orders import selectors, services
from orders.models import Charge, CreditTerms, Order, Payment

from .factories import ProductFactory, finance_user, rep_customer

pytestmark = pytest.mark.django_db


def test_set_credit_terms_creates_then_replaces():
    customer = CustomerFactory()
    terms = services.set_credit_terms(customer, limit="1000.005", period_days=30, source="grade", reference="B", actor=None)
    assert terms.limit == Decimal("1000.01") and terms.source == CreditTerms.Source.GRADE
    again = services.set_credit_terms(customer, limit=500, period_days=15, source="manual", reference="", actor=None)
    assert again.pk == terms.pk and CreditTerms.objects.get(customer=customer).limit == Decimal("500.00")


def test_set_credit_terms_refuses_unknown_source():
    with pytest.raises(services.OrderError):
        services.set_credit_terms(CustomerFactory(), limit=1, period_days=1, source="gossip", reference="", actor=None)


def test_charge_lowers_the_balance_and_is_on_the_statement():
    customer = CustomerFactory()
    services.add_charge(customer, kind="franchise_fee", amount="20000", on=date(2026, 3, 1), description="加盟费",
                        actor=None)
    assert selectors.balance(customer.pk) == Decimal("-20000.00")
    opening, rows = selectors.statement(customer.pk, date(2026, 3, 1), date(2026, 3, 31))
    assert opening == 0 and rows[0].debit == Decimal("20000.00") and rows[0].balance == Decimal("-20000.00")
    with pytest.raises(services.OrderError):
        services.add_charge(customer, kind="franchise_fee", amount="0", on=date(2026, 3, 1), actor=None)
    with pytest.raises(services.OrderError):
        services.add_charge(customer, kind="bribe", amount="1", on=date(2026, 3, 1), actor=None)
    assert Charge.objects.count() == 1


def test_monthly_figures():
    rep, customer = rep_customer()
    product = ProductFactory()
    Order.objects.create(number="X1", customer=customer, created_by=rep, delivery_address="a", status="approved",
                         booked_on=date(2026, 3, 10), total=Decimal("300.00"))
    order = Order.objects.get(number="X1")
    order.lines.create(product=product, quantity=Decimal("3"), unit_price=Decimal("100"), amount=Decimal("300.00"))
    finance = finance_user()
    for method, amount, on in (("wire", "100.00", date(2026, 3, 2)), ("cash", "300.00", date(2026, 3, 20)),
                               ("wire", "50.00", date(2026, 4, 1))):
        Payment.objects.create(customer=customer, method=method, amount=Decimal(amount), received_on=on,
                               status="confirmed", created_by=finance)
    Payment.objects.create(customer=customer, method="cash", amount=Decimal("999"), received_on=date(2026, 3, 3),
                           created_by=finance)  # pending: not counted
    assert selectors.monthly_payments([customer.pk], date(2026, 3, 1), date(2026, 4, 30)) == {
        (customer.pk, date(2026, 3, 1)): Decimal("400.00"), (customer.pk, date(2026, 4, 1)): Decimal("50.00")}
    assert selectors.payment_method_shares([customer.pk], date(2026, 3, 1), date(2026, 3, 31)) == {
        customer.pk: {"wire": Decimal("0.2500"), "cash": Decimal("0.7500")}}
    assert selectors.monthly_quantities([customer.pk], date(2026, 3, 15)) == {(customer.pk, product.pk): Decimal("3")}
    assert selectors.monthly_purchase_amounts([customer.pk], date(2026, 3, 1)) == {customer.pk: Decimal("300.00")}
    assert selectors.monthly_purchase_amounts([customer.pk], date(2026, 4, 1)) == {}
