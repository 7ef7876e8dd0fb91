"""`make bench` for the customer archive: seed N customers set-based on PostgreSQL, then time the
list, filters, deep pages, searches and the detail page as a manager and as a rep."""
import random
import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import roles as r
from crm.models import OrgUnit

from .models import Customer

UNITS = 20
REPS = 200

# Expressions for the seeded columns; every other NOT NULL column gets its empty default.
NAME_HEADS = "ARRAY['华联','联华','好德','全家','罗森','世纪','永辉','百联','金鹰','苏果','大润','乐购']"
NAME_TAILS = "ARRAY['超市','便利店','烟酒店','食杂店','贸易公司','商行']"


def _seed_sql(n: int, unit_ids: list[int], rep_ids: list[int], creator_id: int) -> str:
    values = {
        "unit_id": f"(ARRAY{unit_ids}::bigint[])[1 + g % {len(unit_ids)}]",
        "account_manager_id": f"(ARRAY{rep_ids}::bigint[])[1 + (g / 7) % {len(rep_ids)}]",
        "created_by_id": str(int(creator_id)),
        "profile_type": "(ARRAY['none','retail','dealer'])[1 + g % 3]",
        "registration_status": "CASE WHEN g % 50 = 0 THEN 'submitted' ELSE 'approved' END",
        "created_at": "now() - (g % 2000) * interval '1 day'",
        "updated_at": "now() - (g % 100000) * interval '1 minute'",
        "registered_on": "(now() - (g % 2000) * interval '1 day')::date",
        "last_verified_on": "(now() - (g % 200) * interval '1 day')::date",
        "customer_code": "'U' || lpad((1 + g % {u})::text, 2, '0') || '-' || lpad((g / {u} + 1)::text, 6, '0')".format(
            u=len(unit_ids)
        ),
        "name": f"({NAME_HEADS})[1 + g % 12] || ({NAME_TAILS})[1 + (g / 12) % 6] || g::text",
        "customer_nature": "(ARRAY['individual','company','sole_proprietor'])[1 + g % 3]",
        "customer_source": "(ARRAY['walk_in','phone_inquiry','event','referral_by_customer'])[1 + g % 4]",
        "customer_status": "(ARRAY['active','active','active','suspended'])[1 + g % 4]",
        "address": "'上海市黄浦区南京东路' || g::text || '号'",
        "admin_region": "(ARRAY['310101','310104','310105','110105','440604'])[1 + g % 5]",
        "tier": "(ARRAY['A','B','C','C','D','D','D','E','E','E'])[1 + (g / 20) % 10]",
        "confidentiality_level": "'internal'",
        "contact_name": "'联系人' || g::text",
        "mobile": "'13' || lpad(g::text, 9, '0')",
        "id_number": "'1101051949' || lpad(g::text, 8, '0')",
        "id_last4": "right(lpad(g::text, 8, '0'), 4)",
        "retail_format": "(ARRAY['convenience_store','supermarket','grocery',''])[1 + g % 4]",
        "profile_completeness": "40 + g % 60",
    }
    values["name_key"] = values["name"]
    columns, exprs = [], []
    for field in Customer._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in values:
            columns.append(field.column)
            exprs.append(values[field.column])
        elif not field.null:
            columns.append(field.column)
            exprs.append("'{}'::jsonb" if field.get_internal_type() == "JSONField" else "''")
    sql = f"INSERT INTO {Customer._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} FROM generate_series(1, {int(n)}) AS g"
    return sql


def seed_customers(n: int):
    from crm.tests.factories import OrgUnitFactory, UserFactory

    if connection.vendor != "postgresql":
        raise SystemExit("The customer benchmark seeds with generate_series: run it with DATABASE_URL on PostgreSQL.")
    hq = OrgUnitFactory(code="BHQ", kind=OrgUnit.Kind.COMPANY)
    units = [OrgUnitFactory(code=f"U{i + 1:02d}", parent=hq) for i in range(UNITS)]
    reps = [
        UserFactory(username=f"bench_rep{i}", password=None, roles=[r.SALES_REP], units=[units[i % UNITS]])
        for i in range(REPS)
    ]
    manager = UserFactory(username="bench_manager", password=None, roles=[r.SALES_MANAGER], units=[hq])
    sql = _seed_sql(n, [u.pk for u in units], [u.pk for u in reps], manager.pk)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        # Settle the table as a live system would be, so autovacuum does not run during the timings.
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # tests run inside a transaction
        cursor.execute(f"{vacuum} {Customer._meta.db_table}")
        if not connection.in_atomic_block:
            try:  # flush the seeding's dirty pages now, not in the middle of the timings (needs a superuser)
                cursor.execute("CHECKPOINT")
            except Exception:  # noqa: BLE001 - a plain role may not checkpoint; the timings then carry that noise
                pass
    return units, reps, manager, time.perf_counter() - started


def _time(client: Client, urls: list[str]) -> tuple[list[float], int]:
    client.get(urls[0])
    times, queries = [], 0
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = max(queries, len(ctx.captured_queries))
    return sorted(times), queries


def bench_customers(n: int = 1_000_000, runs: int = 40) -> list[tuple[str, str, str]]:
    units, reps, manager, seed_seconds = seed_customers(n)
    rng = random.Random(7)
    manager_client, rep_client = Client(), Client()
    manager_client.force_login(manager)
    rep_client.force_login(reps[3])
    base = reverse("customers:list")
    some_ids = [rng.randint(1, n) for _ in range(runs)]
    first_pk = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
    cases = {
        "list, first page (manager)": (manager_client, [base] * runs),
        "list, first page (rep, own customers)": (rep_client, [base] * runs),
        "filtered page (tier + unit + status)": (
            manager_client,
            [f"{base}?tier={t}&unit={units[i % UNITS].pk}&customer_status=active" for i, t in enumerate("ABCDE" * (runs // 5))],
        ),
        "page 500 (manager)": (manager_client, [f"{base}?page={500 + i % 3}" for i in range(runs)]),
        "mobile search": (manager_client, [f"{base}?q=13{i:09d}" for i in some_ids]),
        # The manager sees these mobiles masked, so its search finds nothing; the rep searches its own customers'.
        "mobile search (rep, own customer)": (
            rep_client, [f"{base}?q=13{7 * (3 + REPS * (i % max(1, n // (7 * REPS)))) + i % 7:09d}" for i in some_ids],
        ),
        "ID last-4 search": (manager_client, [f"{base}?q={i % 10000:04d}" for i in some_ids]),
        "name substring search": (
            manager_client,
            [f"{base}?q={term}" for term in (["超市12", "联华便利", "烟酒店99", "永辉", "罗森食杂店5"] * runs)[:runs]],
        ),
        "detail page": (manager_client, [reverse("customers:detail", args=[first_pk + i - 1]) for i in some_ids]),
    }
    rows = [
        (f"seeded customers ({n:,})", f"{seed_seconds:.1f}", "s"),
    ]
    for label, (client, urls) in cases.items():
        times, queries = _time(client, urls)
        rows.append((f"{label}: p50", f"{statistics.median(times):.1f}", "ms"))
        rows.append((f"{label}: p95", f"{times[int(len(times) * 0.95) - 1]:.1f}", "ms"))
        rows.append((f"{label}: queries per page", str(queries), "queries"))
    return rows


def bench_customers_quick() -> list[tuple[str, str, str]]:
    return bench_customers(n=100_000)


BENCHMARKS = {"customers": bench_customers, "customers-quick": bench_customers_quick}
