import pytest

from crm.bench import bench_pages

pytestmark = pytest.mark.django_db


def test_page_benchmark_measures_every_page():
    rows = bench_pages(n=3)
    assert [name for name, _, _ in rows][:2] == ["sign-in page: median", "sign-in page: p95"]
    assert len(rows) == 6 and all(float(figure) > 0 for _, figure, _ in rows)
