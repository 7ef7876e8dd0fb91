"""Acceptance 4: a rep enters an order with three lines, finance confirms the payment, the GM approves,
the warehouse ships; the customer page shows the order and the new purchase totals."""
from decimal import Decimal

import pytest

from conftest import ARTIFACTS
from crm import roles as r
from crm.tests.browser import open_nav, sign_out, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory
from orders.models import Order

from .factories import ProductFactory

pytestmark = pytest.mark.browser


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"orders-{name}.png"), full_page=True)


def test_order_from_entry_to_shipment(browser_page, password):
    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    rep = UserFactory(username="rep1", roles=[r.SALES_REP], units=[unit])
    finance = UserFactory(username="fin1", roles=[r.FINANCE])
    gm = UserFactory(username="gm1", roles=[r.GENERAL_MANAGER])
    warehouse = UserFactory(username="wh1", roles=[r.WAREHOUSE])
    customer = CustomerFactory(unit=unit, created_by=rep, name="华联超市")
    ProductFactory(code="A100", name="大米", specification="10kg", list_price=Decimal("55.50"))
    ProductFactory(code="A200", name="食用油", specification="5L", list_price=Decimal("89.90"))
    ProductFactory(code="B300", name="酱油", specification="500ml", list_price=Decimal("12.35"))

    signed_in(page, rep, password)
    page.goto(f"/customers/{customer.pk}/")
    page.get_by_test_id("new-order").click()
    # The line keys belong to the page's script: wait until it has loaded the product list.
    page.wait_for_function("document.querySelectorAll('#product-options option').length === 3")
    first = page.locator("input.line-product").first
    first.fill("A100")
    page.locator("input.line-qty").first.fill("10")
    page.locator("input.line-qty").first.press("Enter")  # moves on to the price: the list price is the default
    page.keyboard.press("Enter")  # Enter on the last line's price adds a line
    page.locator("input.line-product").nth(1).fill("A200")
    page.locator("input.line-qty").nth(1).fill("2")
    page.keyboard.press("Alt+n")
    page.locator("input.line-product").nth(2).fill("B300")
    page.locator("input.line-qty").nth(2).fill("4")
    page.locator("input.line-price").nth(2).fill("12.00")
    page.locator("#id_delivery_address").fill("上海市浦东新区张杨路1号")
    page.locator("#id_transport").select_option("rail")
    page.locator("#id_destination_station").fill("上海南站")
    page.locator("#id_remittance").fill("782.80")
    page.get_by_test_id("order-total").filter(has_text="782.80").wait_for()  # 555.00 + 179.80 + 48.00
    shot(page, "1-entry")
    page.get_by_test_id("submit-order").click()
    page.get_by_test_id("order-status").filter(has_text="已提交").wait_for()
    order = Order.objects.get(customer=customer)
    assert order.total == Decimal("782.80") and order.lines.count() == 3
    sign_out(page)

    signed_in(page, finance, password)
    open_nav(page, "payments")
    page.get_by_test_id("confirm-payment").click()
    page.get_by_text("收款已确认并核销").wait_for()
    shot(page, "2-finance")
    sign_out(page)

    signed_in(page, gm, password)
    open_nav(page, "order_approvals")
    page.get_by_test_id(f"approve-{order.number}").click()
    page.get_by_text("订单已审批").wait_for()
    sign_out(page)

    signed_in(page, warehouse, password)
    open_nav(page, "shipping")
    page.get_by_test_id(f"carrier-{order.number}").fill("中铁快运")
    page.get_by_test_id(f"waybill-{order.number}").fill("ZT20261201")
    shot(page, "3-shipping")
    page.get_by_test_id(f"ship-{order.number}").click()
    page.get_by_text("发货已登记").wait_for()
    sign_out(page)

    signed_in(page, rep, password)
    page.goto(f"/customers/{customer.pk}/")
    panel = page.get_by_test_id("orders-panel")
    panel.get_by_text(order.number).wait_for()
    assert "已发货" in panel.inner_text()
    assert page.get_by_test_id("purchase-amount").inner_text() == "782.80"
    assert page.get_by_test_id("cumulative-amount").inner_text() == "782.80"
    shot(page, "4-customer")


def test_admin_imports_the_product_list_with_a_preview_in_chinese(browser_page, password, settings, tmp_path, live_server):
    """Products and prices through the import engine: the navigation entry, the upload, the mapping (no unit, no
    account manager: products have neither), the preview with a bad price on its cell and a repeated code, then the
    import; a screenshot of the preview is kept."""
    from io import BytesIO

    from openpyxl import Workbook

    from orders.models import Product

    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    admin = UserFactory(username="admin1", roles=[r.ADMIN], units=[OrgUnitFactory(code="SH01", name="上海分公司")])
    ProductFactory(code="A100", name="大米", list_price=Decimal("55.50"))
    book = Workbook()
    for row in (["2026年产品价格表"],
                ["产品编码", "产品名称", "规格型号", "单位", "类别", "单价(元)", "是否在售"],
                ["A100", "大米", "10kg", "袋", "粮油", "58.00", "在售"],
                ["A200", "食用油", "5L", "桶", "粮油", "89.90", "在售"],
                ["A300", "酱油", "500ml", "瓶", "调味品", "-12.35", "在售"],
                ["A200", "食用油", "5L", "桶", "粮油", "90", "在售"]):
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)

    signed_in(page, admin, password)
    open_nav(page, "product_import")
    page.locator("#product-file").set_input_files(files=[{
        "name": "产品价格表.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "buffer": buffer.getvalue()}])
    page.get_by_test_id("product-upload").click()

    mapping = page.get_by_test_id("mapping-table")
    mapping.wait_for()
    assert page.get_by_test_id("header-row").inner_text() == "2"
    assert page.locator("select[name=col_0]").input_value() == "code"
    assert page.locator("select[name=col_5]").input_value() == "list_price"
    assert page.locator("#import-unit").count() == 0 and page.locator("#import-owner").count() == 0

    page.get_by_test_id("run-preview").click()
    page.get_by_test_id("counts").wait_for()
    assert page.locator("[data-count=new] .fs-5").inner_text() == "1"
    assert page.locator("[data-count=updated] .fs-5").inner_text() == "1"
    assert page.locator("[data-count=errors] .fs-5").inner_text() == "1"
    assert page.locator("[data-count=duplicates] .fs-5").inner_text() == "1"
    error = page.locator("[data-testid=row-table] tr[data-row='5']").inner_text()
    assert "F5" in error and "价格 -12.35 为负数" in error
    assert "与第 4 行的产品代码相同" in page.locator("[data-testid=row-table] tr[data-row='6']").inner_text()
    assert "牌价" in page.locator("[data-testid=row-table] tr[data-row='3']").inner_text()
    assert "产品" in page.locator("[data-testid=row-table] thead").inner_text()
    shot(page, "product-import-preview")

    page.get_by_test_id("commit").click()
    page.get_by_test_id("import-done").wait_for()
    assert "新增 1 条，更新 1 条" in page.get_by_test_id("import-done").inner_text()
    assert Product.objects.get(code="A100").list_price == Decimal("58.00")
    assert Product.objects.get(code="A200").list_price == Decimal("89.90")
    assert not Product.objects.filter(code="A300").exists()
    assert page.requested_urls and all(url.startswith(live_server.url) for url in page.requested_urls)
