import pytest
from django.db import connection

from customers.models import Customer
from imports.bench import bench_imports

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the import benchmark runs on PostgreSQL"),
]


def test_import_benchmark_imports_both_sizes_and_the_plain_resource():
    rows = {name: figure for name, figure, _ in bench_imports(big=300, n=200)}
    assert rows["300 rows: new / duplicates / errors"] == "300 / 0 / 0"
    assert rows["200 rows: new / duplicates / errors"] == "200 / 0 / 0"
    assert rows["200 rows imported again: new / duplicates / errors"] == "0 / 200 / 0"
    assert "speed-up over plain ModelResource: dry run" in rows
    assert "speed-up over ModelResource with bulk settings: commit" in rows
    assert "ModelResource with use_bulk, batch_size=1000, skip_diff: commit rate" in rows
    # 300 + 200 by the bulk path, 200 more by the plain ModelResource and 200 by the one with bulk
    # settings (neither has a duplicate check)
    assert Customer.objects.count() == 900
    assert Customer.objects.filter(unit__code="PLAINB").count() == 200
