"""`make bench BENCH_ARGS=orders`: customers seeded set-based on PostgreSQL, then orders with five lines
each, payments and a few overdue credit orders; the order entry and queue pages, a 10,000-order
statement, the overdue scan and recomputing every customer's trade figures are timed."""
import resource
import statistics
import sys
import time

from django.db import connection
from django.test import Client
from django.urls import reverse

from crm import roles as r
from customers.bench import seed_customers
from customers.models import Customer

from . import services
from .models import Order, OrderLine, Payment, Product

LINES_PER_ORDER = 5
PRODUCTS = 200
BIG_STATEMENT = 10_000


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: the % of the SQL stays a modulo


def seed_orders(n_customers: int, n_lines: int, creator_id: int) -> float:
    """Orders of five lines over two years, spread over the customers; the first customer gets 10,000.
    Statuses: mostly closed and paid, some waiting for payment, approval or shipping; 0.2 % of the
    customers have a credit order overdue."""
    started = time.perf_counter()
    Product.objects.bulk_create(Product(code=f"B{i:04d}", name=f"产品{i}", category=f"类{i % 12}",
                                        list_price=10 + i % 90, returnable=i % 2 == 0, return_days=30)
                                for i in range(PRODUCTS))
    first_customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    first_product = Product.objects.order_by("pk").values_list("pk", flat=True).first()
    n_orders = n_lines // LINES_PER_ORDER
    # The generated rows are consistent by construction: no per-row foreign-key trigger for 10,000,000 lines.
    _execute("SET session_replication_role = replica")
    try:
        _insert_orders(n_customers, n_orders, first_customer, first_product, creator_id)
    finally:
        _execute("SET session_replication_role = DEFAULT")
    with connection.cursor() as cursor:  # what the skipped triggers would have checked, once, set-based
        cursor.execute(f"""SELECT count(*) FROM {Order._meta.db_table} o LEFT JOIN {Customer._meta.db_table} c
                           ON c.id = o.customer_id WHERE c.id IS NULL""")
        assert cursor.fetchone()[0] == 0, "orders seeded for customers that do not exist"
    with connection.cursor() as cursor:
        for model in (Order, OrderLine, Payment):
            cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM ANALYZE'} {model._meta.db_table}")
    return time.perf_counter() - started


def _insert_orders(n_customers: int, n_orders: int, first_customer: int, first_product: int, creator_id: int) -> None:
    status = ("CASE WHEN g % 100 < 90 THEN 'closed' WHEN g % 100 < 93 THEN 'submitted' WHEN g % 100 < 96 "
              "THEN 'paid' WHEN g % 100 < 99 THEN 'approved' ELSE 'credit' END")
    customer = (f"CASE WHEN g <= {BIG_STATEMENT} THEN {first_customer} "
                f"ELSE {first_customer} + (g::bigint * 7919) % {n_customers} END")
    booked = "current_date - (g % 720)"
    # The ids are drawn first, so each order's total (the sum of the five lines below, a formula of the id) is
    # written with it: no second pass rewriting every order.
    line_qty, line_price = "(1 + (i + k) % 10)", "(10 + (i * 7 + k) % 90)"
    _execute(f"""
        INSERT INTO {Order._meta.db_table} (id, number, customer_id, status, payment_mode, delivery_address, transport,
            destination_station, previous_balance, remittance, notes, total, allocated, returned, created_by_id,
            created_at, updated_at, booked_on, due_on, approved_on, ship_due_on, shipped_on, carrier, waybill,
            delivered_on, cancel_reason)
        SELECT i, 'SB' || lpad(g::text, 10, '0'), {customer}, {status},
            CASE WHEN g % 100 >= 99 THEN 'credit' ELSE 'cash' END, '上海市', 'road', '', 0, 0, '', t,
            CASE WHEN g % 100 < 90 OR g % 100 BETWEEN 93 AND 98 THEN t ELSE 0 END, 0,
            {int(creator_id)}, now() - (g % 720) * interval '1 day', now(),
            CASE WHEN g % 100 BETWEEN 90 AND 92 THEN NULL ELSE {booked} END,
            CASE WHEN g % 100 >= 99 THEN {booked} + 30 END,
            CASE WHEN g % 100 < 90 OR g % 100 BETWEEN 96 AND 98 THEN {booked} END,
            CASE WHEN g % 100 < 90 OR g % 100 BETWEEN 96 AND 98 THEN {booked} + 2 END,
            CASE WHEN g % 100 < 90 THEN {booked} + 1 END, '', '',
            CASE WHEN g % 100 < 90 THEN {booked} + 3 END, ''
        FROM (SELECT g, i, (SELECT sum({line_qty} * {line_price}) FROM generate_series(1, {LINES_PER_ORDER}) AS k) AS t
              FROM (SELECT g, nextval(pg_get_serial_sequence('{Order._meta.db_table}', 'id')) AS i
                    FROM generate_series(1, {int(n_orders)}) AS g) AS drawn) AS numbered""")
    _execute(f"""
        INSERT INTO {OrderLine._meta.db_table} (order_id, product_id, specification, quantity, unit_price, amount,
            returned_quantity)
        SELECT i, {first_product} + (i * 5 + k) % {PRODUCTS}, '', {line_qty}, {line_price}, {line_qty} * {line_price}, 0
        FROM (SELECT id AS i FROM {Order._meta.db_table}) o CROSS JOIN generate_series(1, {LINES_PER_ORDER}) AS k""")
    # Overdue credit orders: 0.2 % of the customers owe on one that fell due last month.
    _execute(f"""
        UPDATE {Order._meta.db_table} SET due_on = current_date - 10
        WHERE status = 'credit' AND customer_id % 500 = 0""")
    _execute(f"""
        INSERT INTO {Payment._meta.db_table} (customer_id, method, amount, discount_interest, received_on, reference,
            payer, status, allocated, created_by_id, created_at, confirmed_at)
        SELECT customer_id, (ARRAY['wire','cash','bank_draft','acceptance_bill'])[1 + id % 4], total, 0, booked_on,
            number, '', 'confirmed', total, {int(creator_id)}, now(), now()
        FROM {Order._meta.db_table} WHERE status IN ('closed', 'paid', 'approved')""")
    _execute(f"""
        INSERT INTO {Payment._meta.db_table} (customer_id, method, amount, discount_interest, received_on, reference,
            payer, status, allocated, created_by_id, created_at)
        SELECT customer_id, 'wire', total, 0, current_date, number, '', 'pending', 0, {int(creator_id)}, now()
        FROM {Order._meta.db_table} WHERE status = 'submitted' AND id % 3 = 0""")


def _timed(client: Client, urls: list[str]) -> list[float]:
    client.get(urls[0])
    times = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return sorted(times)


class ProgressRows(list):
    """The result rows, each also written to stderr as it comes: a full run takes most of an hour."""

    def __init__(self, rows):
        super().__init__()
        for row in rows:
            self.append(row)

    def append(self, row):
        print("| " + " | ".join(row) + " |", file=sys.stderr, flush=True)
        super().append(row)


def bench_orders(n: int = 1_000_000, lines: int = 10_000_000, runs: int = 40) -> list[tuple[str, str, str]]:
    from crm.tests.factories import UserFactory

    units, reps, manager, seed_seconds = seed_customers(n)
    order_seconds = seed_orders(n, lines, manager.pk)
    rows = ProgressRows([(f"seeded customers ({n:,})", f"{seed_seconds:.1f}", "s"),
                         (f"seeded orders ({lines // LINES_PER_ORDER:,}), lines ({lines:,}) and payments",
                          f"{order_seconds:.1f}", "s")])
    clients = {}
    for role in (r.FINANCE, r.GENERAL_MANAGER, r.WAREHOUSE):
        clients[role] = Client()
        clients[role].force_login(UserFactory(username=f"bench_{role}", password=None, roles=[role]))
    rep_client = Client()
    rep = reps[3]
    rep_client.force_login(rep)
    own = list(Customer.objects.filter(account_manager=rep, registration_status="approved")
               .values_list("pk", flat=True)[:runs])
    big = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    cases = {
        "order entry page (rep)": (rep_client, [f"{reverse('orders:new')}?customer={pk}" for pk in own]),
        "product search (rep)": (rep_client, [f"{reverse('orders:products')}?q=B{i % 200:03d}" for i in range(runs)]),
        "orders list (rep)": (rep_client, [reverse("orders:list")] * runs),
        "payments queue (finance)": (clients[r.FINANCE], [reverse("orders:payments")] * runs),
        "approval queue (GM)": (clients[r.GENERAL_MANAGER], [reverse("orders:approvals")] * runs),
        "shipping queue (warehouse)": (clients[r.WAREHOUSE], [reverse("orders:shipping")] * runs),
        f"statement of a customer with {BIG_STATEMENT:,} orders (finance)": (
            clients[r.FINANCE], [reverse("orders:statement", args=[big])] * 10),
    }
    for label, (client, urls) in cases.items():
        times = _timed(client, urls)
        rows.append((f"{label}: p50", f"{statistics.median(times):.1f}", "ms"))
        rows.append((f"{label}: p95", f"{times[max(0, int(len(times) * 0.95) - 1)]:.1f}", "ms"))
    started = time.perf_counter()
    run = services.overdue_scan()
    rows.append(("overdue scan: wall time", f"{time.perf_counter() - started:.1f}", "s"))
    rows.append(("overdue scan: customers suspended / scanned", f"{run.tasks_created:,} / {run.rows_scanned:,}", ""))
    before = _peak_mb()
    started = time.perf_counter()
    written = services.recompute_trade_figures(None)
    rows.append((f"recompute every customer's trade figures ({written:,} customers): wall time",
                 f"{time.perf_counter() - started:.1f}", "s"))
    rows.append(("recompute trade figures: peak RSS of the process (before → after)", f"{before:.0f} → {_peak_mb():.0f}",
                 "MB"))
    return rows


BENCHMARKS = {"orders": bench_orders, "orders-quick": lambda: bench_orders(100_000, 1_000_000)}
