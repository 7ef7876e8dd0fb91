"""`python manage.py import_products`: the product import from the command line, preview and commit."""
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from crm import roles as r
from imports.models import ImportJob
from orders.models import Product

from .factories import ProductFactory

pytestmark = pytest.mark.django_db
CSV = ("产品编码,产品名称,单位,单价\r\n"
       "C1,大米,袋,55.5\r\n"
       "C2,面粉,袋,-3\r\n"
       "C3,食用油,桶,89.90\r\n")


def _file(tmp_path, text=CSV, name="products.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("gbk"))
    return path


def _run(*args) -> str:
    out = StringIO()
    call_command("import_products", *map(str, args), stdout=out)
    return out.getvalue()


def test_dry_run_then_import_with_a_report(tmp_path, make_user):
    admin = make_user(r.ADMIN, username="admin1")
    ProductFactory(code="C3", name="食用油", unit="桶", list_price=Decimal("80.00"))
    path = _file(tmp_path)
    counts = json.loads(_run(path, "--dry-run", "--json", "--user", "admin1"))
    assert (counts["new"], counts["updated"], counts["errors"], counts["committed"]) == (1, 1, 1, False)
    assert Product.objects.count() == 1

    report = tmp_path / "report.xlsx"
    out = _run(path, "--user", admin.username, "--report", report)
    assert "D3" in out and "负数" in out  # the bad price, on its cell
    assert Product.objects.get(code="C1").list_price == Decimal("55.50")
    assert Product.objects.get(code="C3").list_price == Decimal("89.90")
    assert not Product.objects.filter(code="C2").exists()
    assert ImportJob.objects.filter(resource="products", status="committed").count() == 1
    rows = [row for ws in load_workbook(report).worksheets for row in ws.iter_rows(values_only=True)]
    assert any(row[0] == 3 and row[3] == "D3" for row in rows if row and isinstance(row[0], int))


def test_a_user_who_does_not_manage_products_is_refused(tmp_path, make_user, unit):
    make_user(r.SALES_MANAGER, units=[unit], username="mgr1")
    with pytest.raises(CommandError, match="无权导入产品"):
        _run(_file(tmp_path), "--user", "mgr1")
    assert not ImportJob.objects.exists() and not Product.objects.exists()


def test_a_mapping_file_overrides_the_proposal(tmp_path, make_user):
    make_user(r.ADMIN, username="admin1")
    text = "编码,名称,价格,备注价\r\nM1,盐,2.00,3.00\r\n"
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"价格": None, "备注价": "list_price"}), encoding="utf-8")
    _run(_file(tmp_path, text), "--user", "admin1", "--mapping", mapping)
    assert Product.objects.get(code="M1").list_price == Decimal("3.00")
