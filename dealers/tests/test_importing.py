"""Acceptance 4: a GBK CSV of 300 dealers from an old dealer system imports with a preview and a report."""
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from crm import roles as r
from customers.models import CustomerChange
from customers.tests.factories import CustomerFactory
from dealers.models import Dealer, DealerChange
from imports import services
from imports.models import ImportJob, ImportRow
from imports.report import report_xlsx

from .factories import DealerFactory

pytestmark = pytest.mark.django_db
HEADER = "客户代码,经营者姓名,性别,电话,组织形式,店铺,租金,资金状况,付款态度,最高月购买额,月营业额,营业面积,完成教育研修,开业时间\n"


@pytest.fixture
def manager(make_user, unit):
    return make_user(r.SALES_MANAGER, units=[unit])


def _upload(text: str, name: str = "经销商.csv", encoding: str = "gbk"):
    return SimpleUploadedFile(name, text.encode(encoding))


def _preview(manager, unit, text, encoding="gbk"):
    job = services.create_import(actor=manager, upload=_upload(text, encoding=encoding), resource="dealers")
    assert job.resource == "dealers"
    job = services.set_mapping(actor=manager, job_id=job.pk, mapping=job.mapping, mode="draft", unit=unit)
    job = services.start_preview(actor=manager, job_id=job.pk, inline=True)
    assert job.status == ImportJob.Status.PREVIEWED, job.error
    return job


def test_a_gbk_csv_of_300_dealers_previews_reports_and_imports(manager, unit):
    customers = [CustomerFactory(unit=unit, customer_code=f"GD-{n:04d}") for n in range(300)]
    DealerFactory(customer=customers[0], operator_name="旧名")  # already has a card: an update
    lines = [HEADER]
    for n, customer in enumerate(customers):
        premises, rent = ("租赁", "\"8,000\"") if n % 2 else ("自有", "")
        lines.append(f"{customer.customer_code},经营者{n},男,1370000{n:04d},独资,{premises},{rent},充裕,迅速,"
                     f"{n + 1}万元,25,120㎡,是,2015年6月{n % 28 + 1}日\n")
    lines[2] = lines[2].replace("1370000", "1230000")  # not a mobile number: an error on row 3
    lines.append("GD-9999,无此客户,男,13700009999,独资,自有,,充裕,迅速,1,1,1,否,2015-01-01\n")
    lines.append(lines[5])  # the same dealer twice
    job = _preview(manager, unit, "".join(lines))
    assert job.mapping["0"] == "customer_code" and "operator_phone" in job.mapping.values()
    counts = job.counts
    assert counts["rows"] == 302
    assert (counts["new"], counts["updated"], counts["errors"], counts["duplicates"]) == (298, 1, 2, 1)
    assert Dealer.objects.count() == 1  # the preview writes nothing
    bad = ImportRow.objects.get(job=job, row_no=3)
    assert bad.status == "error" and bad.messages[0][0] == "operator_phone" and bad.messages[0][1] == "D3"
    report = load_workbook(BytesIO(report_xlsx(job, manager)))
    assert len(report.sheetnames) >= 1
    text = "\n".join(str(c) for ws in report.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "GD-9999" in text and "D3" in text

    job = services.start_commit(actor=manager, job_id=job.pk, inline=True)
    assert job.status == ImportJob.Status.COMMITTED
    assert Dealer.objects.count() == 299
    dealer = Dealer.objects.get(customer__customer_code="GD-0011")
    assert dealer.operator_name == "经营者11" and dealer.premises == "rented" and str(dealer.monthly_rent) == "8000.00"
    assert str(dealer.max_monthly_purchase) == "120000.00" and dealer.training_completed is True
    assert dealer.opened_on.isoformat() == "2015-06-12" and dealer.franchise_status == "applicant"
    assert dealer.completeness > 0 and dealer.customer.profile_type == "dealer" and dealer.import_job_id == job.pk
    assert CustomerChange.objects.filter(customer=dealer.customer, field="profile_type", new_value="dealer",
                                         actor=manager).exists()
    updated = Dealer.objects.get(pk=customers[0].pk)
    assert updated.operator_name == "经营者0"
    assert DealerChange.objects.filter(dealer=updated, field="operator_name", old_value="旧名").exists()

    again = _preview(manager, unit, "".join(lines))  # the same file again changes nothing
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 299)


def test_gb18030_and_customers_the_importer_may_not_see(manager, unit, make_user):
    from crm.tests.factories import OrgUnitFactory

    other = OrgUnitFactory(code="ZZ")
    mine = CustomerFactory(unit=unit, customer_code="GD-1")
    theirs = CustomerFactory(unit=other, customer_code="GD-2", tier="A", confidentiality_level="secret")
    text = HEADER + "GD-1,𠀀记,女,13700000001,合伙,自有,,足够,正常,1,1,1,否,2015-01-01\n" \
                    "GD-2,某人,男,13700000002,合伙,自有,,足够,正常,1,1,1,否,2015-01-01\n"
    job = _preview(manager, unit, text, encoding="gb18030")
    rows = {row.row_no: row for row in ImportRow.objects.filter(job=job)}
    assert rows[2].status == "new" and rows[2].data["operator_name"] == "𠀀记"
    assert rows[3].status == "error" and "GD-2" in rows[3].messages[0][2]
    assert rows[3].target_id is None and not Dealer.objects.filter(pk=theirs.pk).exists()
    assert mine.pk == rows[2].target_id


def test_an_update_skips_sensitive_fields_the_importer_may_not_see(manager, unit):
    dealer = DealerFactory(customer__unit=unit, customer__customer_code="GD-7", operator_phone="13711112222")
    text = HEADER + "GD-7,经营者,男,13799998888,独资,自有,,充裕,迅速,1,1,1,是,2015-01-01\n"
    job = _preview(manager, unit, text)
    row = ImportRow.objects.get(job=job)
    assert "operator_phone" not in row.data and any(m[0] == "operator_phone" for m in row.messages)
    services.start_commit(actor=manager, job_id=job.pk, inline=True)
    assert Dealer.objects.get(pk=dealer.pk).operator_phone == "13711112222"


# --- row outcomes of a mixed file: the same whether rows are matched in Python or set-based ---------------

MIXED_HEADER = "客户代码,经营者姓名,性别,电话,组织形式,店铺,租金\n"


def zh(message: str, **params) -> str:
    """A message as the job's language (the uploader's, zh-hans here) stages it."""
    with translation.override("zh-hans"):
        return translation.gettext(message) % params if params else translation.gettext(message)


def _outcomes(job) -> dict:
    return {row.row_no: (row.status, row.target_id, row.unit_id, row.data, row.messages, row.dup_row)
            for row in ImportRow.objects.filter(job=job)}


@pytest.fixture(params=["in-process", "helper process"])
def cleaning(request, settings, monkeypatch):
    """Cleaning in this process, or in the forked helper with chunks of two rows (so the helper stages
    several chunks and the matching runs over all of them)."""
    if request.param == "helper process":
        settings.CRM_IMPORT_PARALLEL = True
        monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    return request.param


def test_row_outcomes_of_a_mixed_file_for_a_manager(manager, unit, cleaning):
    from crm.tests.factories import OrgUnitFactory

    fresh = CustomerFactory(unit=unit, customer_code="GD-NEW")
    lower = CustomerFactory(unit=unit, customer_code="GD-LOW")
    rented = CustomerFactory(unit=unit, customer_code="GD-RENT")
    missing = CustomerFactory(unit=unit, customer_code="GD-MISS")
    CustomerFactory(unit=OrgUnitFactory(code="ZZ"), customer_code="GD-HIDE")  # another unit: the manager cannot see it
    CustomerFactory(unit=unit, customer_code="GD-CANC", customer_status="cancelled")
    changed = DealerFactory(customer__unit=unit, customer__customer_code="GD-UPD", operator_name="旧名",
                            operator_gender="male", operator_phone="13711112222", organisation="sole", premises="owned")
    same = DealerFactory(customer__unit=unit, customer__customer_code="GD-SAME", operator_name="王五", operator_gender="female",
                         operator_phone="13733334444", organisation="partnership", premises="owned")
    text = MIXED_HEADER + "".join(f"{line}\n" for line in [
        "GD-NEW,张三,男,13700000001,独资,自有,",           # 2: a new card
        "gd-low,李四,女,13700000002,合伙,自有,",           # 3: the code in lower case
        "GD-RENT,赵六,男,13700000003,独资,租赁,",          # 4: rented without rent: a note
        "GD-MISS,钱七,男,13700000004,,自有,",              # 5: a new card without its organisation
        "GD-NONE,孙八,男,13700000005,独资,自有,",          # 6: no such customer
        "GD-HIDE,周九,男,13700000006,独资,自有,",          # 7: a customer the manager may not see
        "GD-CANC,吴十,男,13700000007,独资,自有,",          # 8: a cancelled customer
        "GD-UPD,新名,男,13799999999,,,",                   # 9: an update (the phone is not the manager's to see)
        "GD-SAME,王五,女,13733334444,合伙,自有,",          # 10: the card as it is
        "GD-BAD,郑一,男,1230000,独资,自有,",               # 11: not a mobile number
        "GD-NEW,张三,男,13700000001,独资,自有,",           # 12: the same dealer again
    ])
    job = _preview(manager, unit, text)
    out = _outcomes(job)
    new_data = {"operator_name": "张三", "operator_gender": "male", "operator_phone": "13700000001",
                "organisation": "sole", "premises": "owned"}
    assert out[2] == ("new", fresh.pk, unit.pk, {**new_data, "completeness": 38}, [], None)
    assert out[3][:3] == ("new", lower.pk, unit.pk)
    assert out[4][:3] == ("new", rented.pk, unit.pk)
    assert out[4][4] == [["monthly_rent", "G4", zh("The premises are rented but the file gives no rent.")]]
    assert out[5][:3] == ("error", missing.pk, unit.pk)
    assert out[5][4] == [["organisation", "E5", zh("Required for a new dealer card.")]]
    assert out[5][3] == {"operator_name": "钱七", "operator_gender": "male", "operator_phone": "13700000004",
                         "premises": "owned", "completeness": 31}
    unknown = "No customer you can see has the code %(code)s."
    assert out[6] == ("error", None, None, out[6][3], [["customer_code", "A6", zh(unknown, code="GD-NONE")]], None)
    assert out[7] == ("error", None, None, out[7][3], [["customer_code", "A7", zh(unknown, code="GD-HIDE")]], None)
    assert out[8][:3] == ("error", None, None)
    assert out[8][4] == [["customer_code", "A8", zh("You may not change customer %(code)s.", code="GD-CANC")]]
    assert out[9] == ("update", changed.pk, unit.pk, {"operator_name": "新名"},
                      [["operator_phone", "D9", zh("Skipped: you may not see this field.")]], None)
    assert out[10] == ("unchanged", same.pk, unit.pk, {}, [["operator_phone", "D10", zh("Skipped: you may not see this field.")]], None)
    assert out[11][0] == "error" and out[11][4][0][:2] == ["operator_phone", "D11"] and out[11][1] is None
    assert out[12][:3] == ("dup_in_file", fresh.pk, unit.pk) and out[12][5] == 2
    assert (job.counts["new"], job.counts["updated"], job.counts["unchanged"], job.counts["errors"],
            job.counts["duplicates"]) == (3, 1, 1, 5, 1)
    assert Dealer.objects.count() == 2  # the preview writes nothing


def test_row_outcomes_for_an_importer_who_edits_only_its_own_customers(make_user, unit, cleaning):
    # An administrator (it may import) who is also a rep: it sees its own customers and the unit's pool,
    # and may change only its own.
    rep = make_user(r.ADMIN, r.SALES_REP, units=[unit])
    other = make_user(r.SALES_REP, units=[unit])
    own = CustomerFactory(unit=unit, customer_code="GD-OWN", account_manager=rep, created_by=rep)
    CustomerFactory(unit=unit, customer_code="GD-POOL", account_manager=None)  # the unit's pool: seen, not editable
    CustomerFactory(unit=unit, customer_code="GD-THEIRS", account_manager=other, created_by=other)  # not seen at all
    card = DealerFactory(customer__unit=unit, customer__customer_code="GD-CARD", customer__account_manager=rep,
                         customer__created_by=rep, operator_phone="13711112222")
    text = MIXED_HEADER + "".join(f"{line}\n" for line in [
        "GD-OWN,张三,男,13700000001,独资,自有,",
        "GD-POOL,李四,女,13700000002,合伙,自有,",
        "GD-THEIRS,赵六,男,13700000003,独资,自有,",
        "GD-CARD,,,13799999999,,,",                        # its own card: the phone is the rep's to change
    ])
    job = _preview(rep, unit, text)
    out = _outcomes(job)
    assert out[2][:3] == ("new", own.pk, unit.pk)
    assert out[3][:3] == ("error", None, None)
    assert out[3][4] == [["customer_code", "A3", zh("You may not change customer %(code)s.", code="GD-POOL")]]
    assert out[4][:3] == ("error", None, None)
    assert out[4][4] == [["customer_code", "A4", zh("No customer you can see has the code %(code)s.", code="GD-THEIRS")]]
    assert out[5] == ("update", card.pk, unit.pk, {"operator_phone": "13799999999"}, [], None)


def test_a_cleaned_rows_completeness_is_the_catalogues():
    from dealers.catalogue import CATALOGUE, completeness
    from dealers.importing import _completeness

    counted = [spec.code for spec in CATALOGUE.counted_for_completeness()]
    for n in range(len(counted) + 1):
        values = {code: "x" for code in counted[:n]} | {"sales_area": "local", "training_completed": False}
        assert _completeness(values) == completeness(lambda code: values.get(code) not in (None, ""))
