import pytest
from django.db import connection

from dealers.bench import bench_dealer_import

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmark seeds customers on PostgreSQL"),
]


def test_dealer_import_benchmark_previews_and_commits_every_row_and_reports_cpu_time():
    rows = {name: figure for name, figure, _ in bench_dealer_import(300)}
    assert rows["dealer import, 300-row GBK CSV: rows new / errors"] == "300 / 0"
    own, helper, backend = (float(x) for x in rows["dealer import: commit: CPU time, importing process / cleaning "
                                                    "helper / PostgreSQL backend"].split(" / "))
    assert own >= 0 and helper >= 0 and backend >= 0
    assert "dealer import: dry run: CPU time, importing process / cleaning helper / PostgreSQL backend" in rows
