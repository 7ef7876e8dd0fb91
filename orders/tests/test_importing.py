"""The product list through the import engine (issue 16, products and prices): `.xlsx`, GBK CSV and `.xls` files
preview, report and import; bad prices are reported on their cell and nothing else is lost; re-imports update
and audit; only those who manage products may import them."""
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from crm import roles as r
from crm.models import AuditEntry
from imports import services
from imports.models import ImportJob, ImportRow
from imports.report import report_xlsx
from orders.importing import CLEANERS, clean_price
from orders.models import Product

from .factories import ProductFactory

pytestmark = pytest.mark.django_db
ZH_HEADER = ["产品编码", "产品名称", "规格型号", "计量单位", "产品类别", "单价(元)", "是否在售", "允许退货", "退货天数"]
EN_HEADER = ["Product code", "Product name", "Specification", "Unit", "Category", "List price", "Active",
             "Returnable", "Return window (days)"]


@pytest.fixture
def admin(make_user, unit):
    return make_user(r.ADMIN, units=[unit])


def _xlsx(rows, title=True) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append(["2026年产品价格表"])  # a title row above the header, as price lists have
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xls(rows) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("产品")
    for r_no, row in enumerate(rows):
        for c_no, value in enumerate(row):
            if value is not None:
                sheet.write(r_no, c_no, value)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _csv(rows, encoding="gbk") -> bytes:
    return "".join(",".join(str(v) for v in row) + "\r\n" for row in rows).encode(encoding)


def _preview(user, content: bytes, name: str) -> ImportJob:
    job = services.create_import(actor=user, upload=SimpleUploadedFile(name, content), resource="products")
    job = services.set_mapping(actor=user, job_id=job.pk, mapping=job.mapping, mode="draft", unit=None)
    job = services.start_preview(actor=user, job_id=job.pk, inline=True)
    assert job.status == ImportJob.Status.PREVIEWED, job.error
    return job


def _rows(job) -> dict[int, ImportRow]:
    return {row.row_no: row for row in ImportRow.objects.filter(job=job)}


def _report_text(job, user) -> str:
    book = load_workbook(BytesIO(report_xlsx(job, user)))
    return "\n".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)


# --- prices --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, price", [
    ("128.5", "128.50"), ("¥1,234.56", "1234.56"), ("１２８元", "128.00"), ("0.3万元", "3000.00"), (128, "128.00"),
    (19.9, "19.90"), (0.1 + 0.2, "0.30"), ("0", "0.00"), ("RMB 12.30", "12.30"), (Decimal("7.1"), "7.10"),
])
def test_prices_are_read_fen_exact(cell, price):
    assert clean_price(cell) == price


@pytest.mark.parametrize("cell, words", [
    ("-5", "负数"), (-0.01, "负数"), ("12.345", "两位小数"), (12.345, "两位小数"), ("面议", "不是价格"),
    ("NaN", "不是价格"), (float("inf"), "不是价格"), ("1e20", "太大"), (True, "不是价格"),
])
def test_bad_prices_are_refused_in_chinese(cell, words):
    with pytest.raises(ValidationError) as exc:
        clean_price(cell)
    assert words in exc.value.messages[0]


@pytest.mark.parametrize("cell, days", [("30天", 30), ("7 days", 7), (15.0, 15), ("０", 0)])
def test_return_windows_are_read_in_days(cell, days):
    assert CLEANERS["return_days"](cell) == days


@pytest.mark.parametrize("cell, words", [("-1", "不能为负数"), ("99999", "最多 3650 天"), ("一个月", "不是数字")])
def test_bad_return_windows_are_refused_in_chinese(cell, words):
    with pytest.raises(ValidationError) as exc:
        CLEANERS["return_days"](cell)
    assert words in exc.value.messages[0]


def test_a_sheet_without_product_headers_is_refused_naming_product_columns(admin):
    upload = SimpleUploadedFile("价格.xlsx", _xlsx([["货物", "金额"], ["大米", "5"]], title=False))
    with pytest.raises(services.ImportRefused) as exc:
        services.create_import(actor=admin, upload=upload, resource="products")
    assert "产品代码、产品名称、牌价" in str(exc.value) and "客户" not in str(exc.value)


# --- the three file formats --------------------------------------------------------------------------------

def test_an_xlsx_previews_reports_and_imports_new_and_changed_products(admin):
    kept = ProductFactory(code="P-001", name="矿泉水", list_price=Decimal("2.00"), returnable=False, return_days=0)
    rows = [
        ZH_HEADER,
        ["P-001", "矿泉水", "550ml", "瓶", "饮料", "2.50", "在售", "可退", 7],  # an update: price, returns
        ["P-002", "绿茶", "500ml", "瓶", "饮料", 3.5, "是", "否", None],
        ["P-003", "饼干", "200g", "袋", "食品", "-1", "是", "否", 0],  # a negative price: error on F4
        ["P-004", "薯片", "", "袋", "食品", "4.999", "", "", ""],  # three decimals: error on F5
        ["P-002", "绿茶（重复）", "500ml", "瓶", "饮料", "3.60", "是", "否", 0],  # the same code again
        ["P-005", "", "", "", "", "9.90", "", "", ""],  # a new product without a name
        [None] * 9,
        ["P-006", "酸奶", "1L", "盒", "乳品", "12", "停售", "", ""],
    ]
    job = _preview(admin, _xlsx(rows), "产品价格表.xlsx")
    assert job.header_row == 2 and job.mapping == {str(i): code for i, code in enumerate(
        ["code", "name", "specification", "unit", "category", "list_price", "active", "returnable", "return_days"])}
    assert job.unit is None and job.owner is None
    counts = job.counts
    assert (counts["rows"], counts["new"], counts["updated"], counts["errors"], counts["duplicates"]) == (7, 2, 1, 3, 1)
    assert counts["skipped_blank"] == 1
    staged = _rows(job)
    assert staged[3].status == "update" and staged[3].data == {
        "specification": "550ml", "unit": "瓶", "category": "饮料", "list_price": "2.50", "returnable": True, "return_days": 7}
    assert staged[4].data["list_price"] == "3.50"
    assert staged[5].status == "error" and staged[5].messages[0][:2] == ["list_price", "F5"]
    assert "负数" in staged[5].messages[0][2]
    assert staged[6].status == "error" and staged[6].messages[0][1] == "F6" and "两位小数" in staged[6].messages[0][2]
    assert staged[7].status == "dup_in_file" and staged[7].dup_row == 4
    assert staged[8].status == "error" and staged[8].messages[0][0] == "name"
    assert staged[10].data["active"] is False
    assert Product.objects.count() == 1 and Product.objects.get().list_price == Decimal("2.00")  # the preview writes nothing

    report = _report_text(job, admin)
    assert "F5" in report and "薯片" in report and "与第 4 行的产品代码相同" in report
    assert "产品" in report and "客户经理" not in report and "customer" not in report

    page = _admin_client(admin).get(reverse("imports:detail", args=[job.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and 'name="unit"' not in text and 'name="owner"' not in text
    assert "直接导入为正式客户" not in text and "<th>产品</th>" in text

    job = services.start_commit(actor=admin, job_id=job.pk, inline=True)
    assert job.status == ImportJob.Status.COMMITTED and job.counts["written"]["created"] == 2
    assert set(Product.objects.values_list("code", flat=True)) == {"P-001", "P-002", "P-006"}
    kept.refresh_from_db()
    assert (kept.list_price, kept.returnable, kept.return_days, kept.unit) == (Decimal("2.50"), True, 7, "瓶")
    tea = Product.objects.get(code="P-002")
    assert (tea.name, tea.list_price, tea.active, tea.returnable, tea.return_days) == ("绿茶", Decimal("3.50"), True, False, 0)
    assert Product.objects.get(code="P-006").active is False
    entry = AuditEntry.objects.filter(action="import", detail__resource="products", detail__prices=1).get()
    assert ["P-001", "list_price", "2.00", "2.50"] in entry.detail["changes"] and entry.actor == admin

    again = _preview(admin, _xlsx(rows), "产品价格表.xlsx")  # the same file again changes nothing
    assert (again.counts["new"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 3)


def test_a_gbk_csv_with_english_headers_imports(admin):
    ProductFactory(code="A1", name="旧名", list_price=Decimal("10.00"), returnable=False, return_days=0)
    rows = [EN_HEADER,
            ["A1", "新名", "1kg", "包", "粮油", "10.00", "yes", "yes", "30"],
            ["A2", "大米", "5kg", "袋", "粮油", "\"1,280.00\"", "1", "0", "0"],
            ["A3", "面粉", "5kg", "袋", "粮油", "abc", "1", "0", "0"]]
    job = _preview(admin, _csv(rows), "products.csv")
    assert job.encoding.lower() in ("gbk", "gb18030", "gb2312") and job.file_format == "csv"
    assert set(job.mapping.values()) == {"code", "name", "specification", "unit", "category", "list_price", "active",
                                         "returnable", "return_days"}
    staged = _rows(job)
    assert staged[2].status == "update" and staged[2].data == {"name": "新名", "specification": "1kg", "unit": "包",
                                                               "category": "粮油", "returnable": True, "return_days": 30}
    assert staged[3].status == "new" and staged[3].data["list_price"] == "1280.00"
    assert staged[4].status == "error" and "abc" in staged[4].messages[0][2] and staged[4].messages[0][1] == "F4"
    services.start_commit(actor=admin, job_id=job.pk, inline=True)
    assert Product.objects.get(code="A1").name == "新名" and Product.objects.get(code="A2").list_price == Decimal("1280.00")
    assert not Product.objects.filter(code="A3").exists()
    entry = AuditEntry.objects.get(action="import", detail__resource="products", detail__has_key="changes")
    assert ["A1", "name", "旧名", "新名"] in entry.detail["changes"] and entry.detail["prices"] == 0


def test_an_xls_with_numbers_as_excel_keeps_them_imports(admin):
    rows = [["产品代码", "品名", "规格", "单位", "类别", "牌价", "启用", "可退货", "退货期限"],
            [1001.0, "酱油", "500ml", "瓶", "调味品", 8.8, "是", "是", 15.0],
            [1002.0, "醋", "500ml", "瓶", "调味品", 6.05, "是", "否", 0.0],
            [1003.0, "料酒", "500ml", "瓶", "调味品", -6.0, "是", "否", 0.0]]
    job = _preview(admin, _xls(rows), "价格表.xls")
    assert job.file_format == "xls"
    assert (job.counts["new"], job.counts["errors"]) == (2, 1)
    staged = _rows(job)
    assert staged[2].key1 == "1001"  # the number 1001.0 .xls keeps is the code 1001
    assert staged[4].status == "error" and staged[4].messages[0][1] == "F4"
    services.start_commit(actor=admin, job_id=job.pk, inline=True)
    sauce = Product.objects.get(code="1001")
    assert (sauce.list_price, sauce.returnable, sauce.return_days) == (Decimal("8.80"), True, 15)
    assert Product.objects.get(code="1002").list_price == Decimal("6.05")
    assert not Product.objects.filter(code="1003").exists()


def test_a_bad_price_for_an_existing_product_leaves_it_as_it_was(admin):
    ProductFactory(code="K1", list_price=Decimal("50.00"))
    ProductFactory(code="K2", list_price=Decimal("60.00"))
    rows = [ZH_HEADER, ["K1", "甲", "", "", "", "-50", "", "", ""], ["K2", "乙", "", "", "", "66.6", "", "", ""]]
    job = _preview(admin, _xlsx(rows, title=False), "调价.xlsx")
    assert (job.counts["errors"], job.counts["updated"]) == (1, 1)
    services.start_commit(actor=admin, job_id=job.pk, inline=True)
    assert Product.objects.get(code="K1").list_price == Decimal("50.00")
    assert Product.objects.get(code="K2").list_price == Decimal("66.60")


def test_a_code_added_since_the_preview_refuses_the_commit(admin):
    job = _preview(admin, _xlsx([ZH_HEADER, ["N1", "新品", "", "", "", "1", "", "", ""]]), "新品.xlsx")
    ProductFactory(code="N1", name="别人刚加的")
    with pytest.raises(services.ImportRefused) as exc:
        services.start_commit(actor=admin, job_id=job.pk, inline=True)
    assert "N1" in str(exc.value) and "重新预览" in str(exc.value)
    assert Product.objects.get(code="N1").name == "别人刚加的"


# --- who may import --------------------------------------------------------------------------------------

def _admin_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_upload_page_creates_a_product_job_and_opens_the_mapping(admin):
    client = _admin_client(admin)
    page = client.get(reverse("orders:product_import"))
    assert page.status_code == 200 and "产品编码" in page.content.decode()
    upload = SimpleUploadedFile("价格表.xlsx", _xlsx([ZH_HEADER, ["X1", "甲", "", "", "", "1", "", "", ""]]))
    response = client.post(reverse("orders:product_import"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])
    assert job.resource == "products"
    posted = {f"col_{i}": code for i, code in job.mapping.items()} | {"mode": "draft"}
    response = client.post(reverse("imports:preview", args=[job.pk]), posted)
    job.refresh_from_db()
    assert response.status_code == 302 and job.status == ImportJob.Status.PREVIEWED and job.counts["new"] == 1
    client.post(reverse("imports:commit", args=[job.pk]))
    assert Product.objects.filter(code="X1").exists()
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "新增 1 条" in page or "1 new" in page, page


def test_no_file_is_a_message_not_an_error(admin):
    client = _admin_client(admin)
    response = client.post(reverse("orders:product_import"), {}, follow=True)
    assert response.status_code == 200 and "请选择要上传的文件" in response.content.decode()
    response = client.post(reverse("orders:product_import"),
                           {"file": SimpleUploadedFile("x.xlsx", b"not a workbook")}, follow=True)
    assert response.status_code == 200 and ImportJob.objects.count() == 0


@pytest.mark.parametrize("role", [r.SALES_REP, r.SALES_MANAGER, r.CS_SPECIALIST, r.FINANCE, r.MARKETING_HEAD])
def test_only_product_managers_reach_the_product_import(make_user, unit, role):
    user = make_user(role, units=[unit])
    client = _admin_client(user)
    assert client.get(reverse("orders:product_import")).status_code == 403
    upload = SimpleUploadedFile("p.xlsx", _xlsx([ZH_HEADER, ["Z1", "甲", "", "", "", "1", "", "", ""]]))
    assert client.post(reverse("orders:product_import"), {"file": upload}).status_code == 403
    assert ImportJob.objects.count() == 0


def test_an_importer_of_customers_cannot_slip_a_product_job_through_the_engine(make_user, unit, admin):
    """A sales manager may import customers; a product job it somehow owns stages nothing and commits nothing."""
    manager = make_user(r.SALES_MANAGER, units=[unit])
    job = _preview(manager, _xlsx([ZH_HEADER, ["Z1", "甲", "", "", "", "1", "", "", ""]]), "p.xlsx")
    assert job.counts["errors"] == 1 and job.counts["new"] == 0
    with pytest.raises(services.ImportRefused):
        services.start_commit(actor=manager, job_id=job.pk, inline=True)
    assert not Product.objects.exists()
    other = _preview(admin, _xlsx([ZH_HEADER, ["Z1", "甲", "", "", "", "1", "", "", ""]]), "p.xlsx")
    assert _admin_client(manager).get(reverse("imports:detail", args=[other.pk])).status_code == 404


def test_the_admin_product_list_links_to_the_import(admin, make_user, unit):
    from django.contrib.auth.models import Permission

    superuser = make_user(is_superuser=True, is_staff=True)
    page = _admin_client(superuser).get(reverse("admin:orders_product_changelist"))
    assert page.status_code == 200 and reverse("orders:product_import") in page.content.decode()
    clerk = make_user(r.FINANCE, units=[unit], is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_product"))
    page = _admin_client(clerk).get(reverse("admin:orders_product_changelist"))
    assert page.status_code == 200 and reverse("orders:product_import") not in page.content.decode()


def test_the_navigation_offers_the_import_to_administrators_only(admin, make_user, unit):
    from crm.navigation import navigation_for

    assert "product_import" in {entry.key for entry in navigation_for(admin)}
    assert "product_import" not in {entry.key for entry in navigation_for(make_user(r.SALES_MANAGER, units=[unit]))}

