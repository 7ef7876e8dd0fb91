import pytest
from django.db import connection

from customers.bench import bench_customers
from customers.models import Customer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the seeding SQL is for PostgreSQL"),
]


def test_customer_benchmark_seeds_and_times_every_page():
    rows = bench_customers(n=400, runs=5)
    assert Customer.objects.count() == 400
    assert len(set(Customer.objects.values_list("customer_code", flat=True))) == 400
    names = [name for name, _, _ in rows]
    assert "mobile search: p95" in names and "page 500 (manager): queries per page" in names
    queries = {name: int(figure) for name, figure, _ in rows if name.endswith("queries per page")}
    # A fixed small number per page, whatever the data: no N+1. The detail page lists every registered
    # timeline source and panel (customers, service, confidentiality, orders, dealers, and the test app's 4);
    # the visibility found by the page is kept for the request, the field access read once, the orders panel's
    # balance and credit terms one query, each revisit rule's two periods one count: 30 (33 on the base of this change).
    detail = queries.pop("detail page: queries per page")
    assert max(queries.values()) <= 32 and detail <= 30
