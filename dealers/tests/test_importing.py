"""Acceptance 4: a GBK CSV of 300 dealers from an old dealer system imports with a preview and a report."""
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
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
