"""`manage.py import_customers`: the import services, scripted."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import load_workbook

from crm import roles as r
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from imports.models import ImportJob, ImportRow
from imports.tests import sheets
from imports.tests.fixtures import media, admin, zhang  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("import_customers", *map(str, args), stdout=out)
    return out.getvalue()


def as_json(*args) -> dict:
    output = command(*args, "--json")
    assert output.count("\n") == 1  # exactly one JSON object, nothing else
    return json.loads(output)


EXPECTED_MESSY = {"rows": 9, "new": 4, "updated": 0, "unchanged": 0, "duplicates": 2, "errors": 3, "skipped_blank": 1}


def test_dry_run_writes_no_customer_and_prints_the_counts(tmp_path, admin, zhang, unit):
    CustomerFactory(unit=unit, mobile=sheets.EXISTING_MOBILE)
    path = sheets.messy_xlsx(tmp_path / "messy.xlsx")
    customers = Customer.objects.count()
    result = as_json(path, "--unit", "SH01", "--dry-run")
    assert {k: result[k] for k in EXPECTED_MESSY} == EXPECTED_MESSY
    assert result["committed"] is False
    assert Customer.objects.count() == customers
    job = ImportJob.objects.get(pk=result["job"])
    assert (job.status, job.created_by, job.unit) == (ImportJob.Status.PREVIEWED, admin, unit)


def test_a_real_run_writes_the_accepted_rows(tmp_path, admin, zhang, unit):
    CustomerFactory(unit=unit, mobile=sheets.EXISTING_MOBILE)
    path = sheets.messy_xlsx(tmp_path / "messy.xlsx")
    result = as_json(path, "--unit", "SH01")
    assert {k: result[k] for k in EXPECTED_MESSY} == EXPECTED_MESSY
    assert result["committed"] is True and result["written"] == {"created": 4, "updated": 0}
    created = Customer.objects.filter(import_job_id=result["job"])
    assert sorted(created.values_list("import_row", "mobile")) == [
        (5, "13800138000"), (6, "13800138001"), (7, "13800138002"), (9, "13800138003")]
    assert set(created.values_list("registration_status", flat=True)) == {Customer.Registration.DRAFT}

    again = as_json(path, "--unit", "SH01")
    assert (again["new"], again["duplicates"], again["errors"]) == (0, 6, 3)
    assert again["written"] == {"created": 0, "updated": 0}
    assert Customer.objects.count() == 5


def test_text_output_lists_the_errors(tmp_path, admin, zhang, unit):
    output = command(sheets.messy_xlsx(tmp_path / "messy.xlsx"), "--dry-run")
    assert "rows=9 new=5" in output  # the existing customer is not there: row 14 is new
    assert "Row 10, B10:" in output and "Row 11, C11:" in output and "Row 12, G12: No active staff member" in output
    assert "Dry run: nothing was written" in output


def test_report_is_a_readable_workbook(tmp_path, admin, zhang, unit):
    out = tmp_path / "report.xlsx"
    command(sheets.messy_xlsx(tmp_path / "messy.xlsx"), "--dry-run", "--report", out)
    book = load_workbook(out, read_only=True)
    rows = [r for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    cells = {str(v) for row in rows for v in row if v is not None}
    assert {"B10", "C11", "G12"} <= cells
    row_numbers = {row[0] for row in book.worksheets[-1].iter_rows(min_row=2, values_only=True)}
    assert {5, 6, 7, 9, 10, 11, 12, 13, 14} <= row_numbers


def test_mapping_file_overrides_the_proposal(tmp_path, admin, unit):
    path = sheets.plain_xlsx(tmp_path / "m.xlsx", [["店名", "电话", "老板"], ["华联", "021-12345678", "王老板"]])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"电话": "landline", "2": "contact_name"}, ensure_ascii=False), encoding="utf-8")
    result = as_json(path, "--mapping", mapping)
    assert result["new"] == 1
    job = ImportJob.objects.get(pk=result["job"])
    assert job.mapping == {"0": "name", "1": "landline", "2": "contact_name"}
    customer = Customer.objects.get(import_job=job)
    assert (customer.name, customer.landline, customer.mobile, customer.contact_name) == ("华联", "02112345678", "", "王老板")


def test_mapping_file_can_leave_a_column_out(tmp_path, admin, unit):
    path = sheets.plain_xlsx(tmp_path / "m.xlsx", [["客户名称", "手机", "地址"], ["华联", "13800000001", "上海"]])
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"C": null}', encoding="utf-8")
    result = as_json(path, "--mapping", mapping, "--dry-run")
    assert ImportJob.objects.get(pk=result["job"]).mapping == {"0": "name", "1": "mobile"}


def test_active_with_owner(tmp_path, admin, zhang, unit):
    rows = [["客户名称", "客户性质", "经营地址", "行政区域", "客户等级", "联系人", "手机", "性别"],
            ["甲店", "个人", "上海市黄浦区1号", "310101", "A", "张三", "13800000001", "男"]]
    result = as_json(sheets.plain_xlsx(tmp_path / "a.xlsx", rows), "--active", "--owner", "zhangwei", "--user", "imp_admin")
    customer = Customer.objects.get(import_job_id=result["job"])
    assert (customer.customer_code, customer.registration_status, customer.account_manager) == (
        "SH01-000001", Customer.Registration.APPROVED, zhang)


def test_active_is_refused_for_a_sales_manager(tmp_path, make_user, unit):
    make_user(r.SALES_MANAGER, units=[unit], username="manager")
    path = sheets.plain_xlsx(tmp_path / "a.xlsx", [["客户名称", "手机"], ["甲", "13800000001"]])
    with pytest.raises(CommandError, match="Only administrators"):
        command(path, "--active", "--user", "manager", "--unit", "SH01")
    assert not Customer.objects.exists()
    assert not ImportJob.objects.exists()  # refused before anything was read: no job left behind


def test_large_files_are_previewed_in_process(tmp_path, admin, unit, settings):
    """Above the inline threshold the pages use the queue; the command never does."""
    settings.CRM_IMPORT_INLINE_ROWS = 2
    rows = [["客户名称", "手机"]] + [[f"客户{n}", f"1380000{n:04d}"] for n in range(1, 11)]
    result = as_json(sheets.plain_xlsx(tmp_path / "big.xlsx", rows))
    assert (result["rows"], result["new"], result["written"]["created"]) == (10, 10, 10)


@pytest.mark.parametrize("builder, words", [
    (sheets.pdf_as_xlsx, "not an Excel or CSV file"),
    (sheets.encrypted_xlsx, "protected by a password"),
    (sheets.empty_csv, "empty"),
])
def test_malformed_files_raise_command_error(tmp_path, admin, builder, words):
    with pytest.raises(CommandError, match=words):
        command(builder(tmp_path / "bad.xlsx"))
    assert not ImportJob.objects.exists() and not Customer.objects.exists()


def test_a_sheet_with_only_a_header_fails_the_preview(tmp_path, admin):
    path = sheets.plain_xlsx(tmp_path / "h.xlsx", [["客户名称", "手机", "地址"]])
    with pytest.raises(CommandError, match="no data rows"):
        command(path)
    assert not Customer.objects.exists()
    assert not ImportRow.objects.exists()


def test_missing_file_unknown_unit_user_and_header(tmp_path, admin, unit):
    with pytest.raises(CommandError, match="No such file"):
        command(tmp_path / "nope.xlsx")
    path = sheets.plain_xlsx(tmp_path / "ok.xlsx", [["客户名称", "手机"], ["甲", "13800000001"]])
    with pytest.raises(CommandError, match="No active org unit"):
        command(path, "--unit", "XX99")
    with pytest.raises(CommandError, match="No active user"):
        command(path, "--user", "ghost")
    mapping = tmp_path / "m.json"
    mapping.write_text('{"传真号": "fax"}', encoding="utf-8")
    with pytest.raises(CommandError, match="No column is headed"):
        command(path, "--mapping", mapping)
    assert not Customer.objects.exists()
    assert not ImportJob.objects.exists()


def two_sheets(path, first: list[list]):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "一部"
    for values in first:
        book.active.append(values)
    sheet = book.create_sheet("二部")
    sheet.append(["客户名称", "手机"])
    sheet.append(["华联", "13800000001"])
    sheet.append(["好德", "13800000002"])
    book.save(path)
    return path


def test_sheet_option(tmp_path, admin, unit):
    path = two_sheets(tmp_path / "two.xlsx", [["客户名称", "手机"], ["罗森", "13800000009"]])
    result = as_json(path, "--sheet", "二部", "--dry-run")
    assert (result["rows"], result["new"]) == (2, 2)
    assert ImportJob.objects.get(pk=result["job"]).sheet_name == "二部"
    with pytest.raises(CommandError, match="no sheet called 三部"):
        command(path, "--sheet", "三部")
    assert ImportJob.objects.count() == 1


def test_sheet_option_past_a_cover_sheet(tmp_path, admin, unit):
    path = two_sheets(tmp_path / "cover.xlsx", [["本表为客户名单，见第二张表"]])
    result = as_json(path, "--sheet", "二部", "--dry-run")
    assert (result["rows"], result["new"]) == (2, 2)


def test_no_one_to_import_as(tmp_path, db):
    path = sheets.plain_xlsx(tmp_path / "ok.xlsx", [["客户名称", "手机"], ["甲", "13800000001"]])
    with pytest.raises(CommandError, match="--user"):
        command(path)


def test_default_user_is_the_first_superuser(tmp_path, admin, unit, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    path = sheets.plain_xlsx(tmp_path / "ok.xlsx", [["客户名称", "手机"], ["甲", "13800000001"]])
    result = as_json(path, "--unit", "SH01", "--dry-run")
    assert ImportJob.objects.get(pk=result["job"]).created_by == root


def test_default_user_is_an_administrator_when_there_is_no_superuser(tmp_path, admin, unit):
    path = sheets.plain_xlsx(tmp_path / "ok.xlsx", [["客户名称", "手机"], ["甲", "13800000001"]])
    result = as_json(path, "--dry-run")
    assert ImportJob.objects.get(pk=result["job"]).created_by == admin


def test_a_mapping_file_with_a_value_map_gives_the_counts_of_the_web_preview(tmp_path, admin, unit, client):
    from django.urls import reverse

    from imports.tests.test_views import preview_form

    path = sheets.plain_xlsx(tmp_path / "sources.xlsx", sheets.SOURCES)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"columns": {"客户来源": "customer_source"},
                                   "values": {"customer_source": {"抖音": "outdoor_marketing", "老乡推荐": "referral_by_customer"}}},
                                  ensure_ascii=False), encoding="utf-8")
    without = as_json(path, "--dry-run", "--unit", unit.code)
    with_map = as_json(path, "--dry-run", "--unit", unit.code, "--mapping", mapping)
    assert (without["new"], without["errors"]) == (4, 3) and (with_map["new"], with_map["errors"]) == (7, 0)

    client.force_login(admin)  # the same sheet and map through the pages
    with path.open("rb") as f:
        client.post(reverse("imports:list"), {"file": f})
    job = ImportJob.objects.latest("pk")
    client.post(reverse("imports:preview", args=[job.pk]), preview_form(job, unit))
    fields = {e["value"]: n for n, _c, e in client.get(reverse("imports:detail", args=[job.pk])).context["value_form"].entries}
    client.post(reverse("imports:values", args=[job.pk]), {fields["抖音"]: "outdoor_marketing", fields["老乡推荐"]: "referral_by_customer"})
    job.refresh_from_db()
    assert {k: job.counts[k] for k in ("rows", "new", "updated", "unchanged", "duplicates", "errors")} == \
        {k: with_map[k] for k in ("rows", "new", "updated", "unchanged", "duplicates", "errors")}


def test_a_value_map_naming_no_choice_is_refused(tmp_path, admin, unit):
    path = sheets.plain_xlsx(tmp_path / "sources.xlsx", sheets.SOURCES)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"columns": {}, "values": {"customer_source": {"抖音": "tiktok"}}}), encoding="utf-8")
    with pytest.raises(CommandError, match="tiktok"):
        command(path, "--dry-run", "--unit", unit.code, "--mapping", mapping)
