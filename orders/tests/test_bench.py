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
    names = {name: figure for name, figure, _ in rows}
    assert "order entry page (rep): p95" in names and "overdue scan: wall time" in names
    suspended = int(names["overdue scan: customers suspended / scanned"].split(" / ")[0].replace(",", ""))
    assert suspended > 0
    assert balance(first.customer_id) <= 0
