import pytest
from django.db import connection

from orders.bench import BIG_STATEMENT, bench_orders
from orders.models import Order, OrderLine
from orders.selectors import balance

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the seeding SQL is for PostgreSQL"),
]


def test_order_benchmark_seeds_and_times_every_page():
    rows = bench_orders(n=2_000, lines=60_000, runs=5)
    assert OrderLine.objects.count() == 60_000 and Order.objects.count() == 12_000
    first = Order.objects.order_by("pk").first()
    assert Order.objects.filter(customer_id=first.customer_id).count() >= BIG_STATEMENT
    assert first.total == sum(first.lines.values_list("amount", flat=True))
    # Totals are written with the orders, from the same formula as the lines: every one must agree.
    from django.db.models import F, Sum
    summed = Order.objects.annotate(s=Sum("lines__amount"))
    assert not summed.exclude(total=F("s")).exists()
    paid = summed.filter(status__in=("closed", "paid", "approved"))
    assert not paid.exclude(allocated=F("total")).exists()
    assert not summed.exclude(status__in=("closed", "paid", "approved")).exclude(allocated=0).exists()
    names = {name: figure for name, figure, _ in rows}
    assert "order entry page (rep): p95" in names and "overdue scan: wall time" in names
    suspended = int(names["overdue scan: customers suspended / scanned"].split(" / ")[0].replace(",", ""))
    assert suspended > 0
    assert balance(first.customer_id) <= 0


def test_the_sql_recompute_agrees_with_the_python_one():
    """PostgreSQL recomputes everyone in SQL; the figures must be those `selectors.trade_figures` gives."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from customers.models import Customer
    from orders import selectors, services

    from .factories import ProductFactory, finance_user, place_order, rep_customer

    rep, customer = rep_customer()
    other = rep_customer()[1]
    food, plain = ProductFactory(category="食品"), ProductFactory(category="")
    order = place_order(rep, customer, (food, "3.333", "10.01"), (plain, "1", "5"))
    place_order(rep, other, (food, "1", "1"))  # never paid: no figures
    finance = finance_user()
    payment = services.record_payment(actor=finance, customer=customer, method="wire", amount="38.37",
                                      received_on=timezone.localdate())
    services.confirm_payment(actor=finance, payment_id=payment.pk)
    Customer.objects.filter(pk=other.pk).update(first_trade_on=timezone.localdate() - timedelta(days=3),
                                                cumulative_amount=Decimal("1"))  # stale: to be emptied
    Customer.objects.filter(pk=customer.pk).update(purchase_amount=None, sales_structure=None)
    services.recompute_trade_figures(None)
    expected = selectors.trade_figures([customer.pk], today=timezone.localdate())[customer.pk]
    stored = Customer.objects.filter(pk=customer.pk).values(*expected).get()
    assert stored == expected and order.total == Decimal("38.36")
    assert Customer.objects.filter(pk=other.pk, first_trade_on__isnull=True, cumulative_amount__isnull=True).exists()
    assert services.recompute_trade_figures(None) == 0  # nothing changed: no customer row rewritten
    Customer.objects.filter(pk=customer.pk).update(product_count=99)  # one stale field is enough to rewrite
    assert services.recompute_trade_figures(None) == 1
    assert Customer.objects.filter(pk=customer.pk).values(*expected).get() == expected
