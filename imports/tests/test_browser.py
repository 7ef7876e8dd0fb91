"""Acceptance flow for issue 6: an administrator imports a hand-kept customer sheet."""
from io import BytesIO

import pytest
from openpyxl import Workbook

from crm import roles as r
from crm.tests.browser import open_nav, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.models import Customer
from imports.models import ImportJob
from imports.tests import sheets

pytestmark = pytest.mark.browser

MESSY = [
    ["2016年客户名单（内部）"],
    [],
    ["序号", "客户名称", "联系手机*", "联系人", "备注"],
    [1, "张三商店", "138 0000 1111", "张三", "老客户"],
    [2, "李四", "12345", "李四", None],  # the mobile is wrong: cell C5
    [3, "赵六", "13700002222", "赵六", None],
]


def workbook(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(page, name: str, rows) -> None:
    open_nav(page, "import")
    page.locator("#import-file").set_input_files(files=[{
        "name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "buffer": workbook(rows),
    }])
    page.get_by_test_id("upload").click()


def test_admin_uploads_maps_previews_and_imports_a_messy_sheet(browser_page, password, settings, tmp_path, live_server):
    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    admin = UserFactory(username="admin1", roles=[r.ADMIN], units=[unit])

    signed_in(page, admin, password)
    upload(page, "老系统客户.xlsx", MESSY)

    mapping = page.get_by_test_id("mapping-table")
    mapping.wait_for()
    assert page.get_by_test_id("header-row").inner_text() == "3"
    assert page.locator("select[name=col_1]").input_value() == "name"
    assert page.locator("select[name=col_2]").input_value() == "mobile"
    assert "张三商店" in mapping.inner_text()  # a sample value under the header
    assert page.locator("#import-unit").input_value() == str(unit.pk)

    page.get_by_test_id("run-preview").click()
    page.get_by_test_id("counts").wait_for()
    assert page.locator("[data-count=errors] .fs-5").inner_text() == "1"
    assert page.locator("[data-count=new] .fs-5").inner_text() == "2"
    error = page.locator("[data-testid=row-table] tr[data-row='5']")
    assert "C5" in error.inner_text() and "李四" in error.inner_text()

    page.get_by_test_id("commit").click()
    page.get_by_test_id("import-done").wait_for()
    assert page.get_by_test_id("job-status").get_attribute("data-status") == "committed"
    assert set(Customer.objects.values_list("name", flat=True)) == {"张三商店", "赵六"}
    assert ImportJob.objects.get().status == ImportJob.Status.COMMITTED

    # Offline: every request the page made went to the test server (vendored static files, no CDN).
    assert page.requested_urls and all(url.startswith(live_server.url) for url in page.requested_urls)


def test_a_background_preview_shows_a_progress_bar_that_turns_into_the_result(browser_page, password, settings, tmp_path,
                                                                                monkeypatch):
    from imports import services, tasks

    settings.MEDIA_ROOT = tmp_path
    settings.CRM_IMPORT_INLINE_ROWS = 1  # every file goes to the worker
    queued = []

    class Queue:  # no broker here: the test plays the worker
        @staticmethod
        def delay(job_id, *args):
            queued.append(job_id)

        @staticmethod
        def apply_async(args=(), **options):
            queued.append(args[0])

    monkeypatch.setattr(tasks, "preview_import", Queue)
    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    admin = UserFactory(username="admin2", roles=[r.ADMIN], units=[unit])

    signed_in(page, admin, password)
    page.goto("/imports/")
    page.locator("#import-file").set_input_files(files=[{"name": "big.xlsx", "mimeType": "application/octet-stream",
                                                         "buffer": workbook(MESSY)}])
    page.get_by_test_id("upload").click()
    page.get_by_test_id("run-preview").click()
    page.get_by_test_id("import-progress").wait_for()
    assert page.get_by_test_id("job-status").get_attribute("data-status") == "previewing"
    assert queued == [ImportJob.objects.get().pk]

    services.run_preview(queued[0])  # the worker finishes; the next poll reloads the page
    page.get_by_test_id("counts").wait_for(timeout=10_000)
    assert page.get_by_test_id("job-status").get_attribute("data-status") == "previewed"
    assert page.locator("[data-count=errors] .fs-5").inner_text() == "1"


def test_an_active_import_of_a_sheet_without_region_or_nature_takes_defaults(browser_page, password, settings, tmp_path):
    """Issue 13 §3: the options step offers a default for each required field the file lacks."""
    from conftest import ARTIFACTS

    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    admin = UserFactory(username="admin3", roles=[r.ADMIN], units=[unit])
    sheet = [["客户名称", "联系人", "手机", "经营地址", "客户等级"],
             ["华联超市", "王芳", "13800000001", "南京东路1号", "C"],
             ["好德便利", "李强", "13800000002", "南京东路2号", None]]

    signed_in(page, admin, password)
    page.goto("/imports/")
    page.locator("#import-file").set_input_files(files=[{"name": "无区域.xlsx", "mimeType": "application/octet-stream",
                                                         "buffer": workbook(sheet)}])
    page.get_by_test_id("upload").click()
    defaults = page.get_by_test_id("defaults")
    defaults.wait_for()
    assert "文件中没有" in defaults.locator("[data-default=admin_region]").inner_text()
    page.locator("#mode-active").check()
    page.locator("#default-admin_region").fill("黄浦")  # the district list answers as one types
    page.wait_for_function("document.querySelectorAll('#default-admin_region-options option[value=\"310101\"]').length > 0")
    page.locator("#default-admin_region").fill("310101")
    page.locator("#default-customer_nature").select_option("sole_proprietor")
    page.locator("#default-tier").select_option("E")
    ARTIFACTS.mkdir(exist_ok=True)
    defaults.screenshot(path=str(ARTIFACTS / "import_defaults_step.png"))
    page.get_by_test_id("run-preview").click()

    lines = page.get_by_test_id("default-lines")
    lines.wait_for()
    assert page.locator("[data-count=new] .fs-5").inner_text() == "2"
    assert page.locator("[data-count=errors] .fs-5").inner_text() == "0"
    text = lines.inner_text()
    assert "310101" in text and "黄浦区" in text and "个体工商户" in text and "2 行" in text
    assert "默认值" in page.locator("[data-testid=row-table] tr[data-row='3']").inner_text()
    page.screenshot(path=str(ARTIFACTS / "import_defaults_preview.png"), full_page=True)
    page.get_by_test_id("commit").click()
    page.get_by_test_id("import-done").wait_for()
    assert list(Customer.objects.order_by("name").values_list("admin_region", "customer_nature", "tier", "customer_status")) == [
        ("310101", "sole_proprietor", "C", "active"), ("310101", "sole_proprietor", "E", "active")]


def test_admin_maps_a_sheets_own_words_for_sources_in_chinese(browser_page, password, settings, tmp_path):
    from conftest import ARTIFACTS
    from imports.models import SavedMapping

    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    admin = UserFactory(username="admin1", roles=[r.ADMIN], units=[unit])
    signed_in(page, admin, password)
    upload(page, "2016客户来源.xlsx", sheets.SOURCES)
    page.get_by_test_id("run-preview").click()

    values = page.get_by_test_id("value-mapping")
    values.wait_for()
    assert "取值对照" in values.inner_text() and "对应为" in values.inner_text()
    assert page.locator("[data-count=errors] .fs-5").inner_text() == "3"
    douyin = values.locator("tr[data-value='抖音']")
    assert douyin.get_by_test_id("value-count").inner_text() == "2"
    douyin.locator("select").select_option(label="店外营销")
    values.locator("tr[data-value='老乡推荐'] select").select_option(label="老客户介绍")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import_value_mapping_zh.png"), full_page=True)
    page.get_by_test_id("apply-values").click()

    page.get_by_test_id("value-map").wait_for()
    assert page.locator("[data-count=errors] .fs-5").inner_text() == "0"
    assert page.locator("[data-count=new] .fs-5").inner_text() == "7"
    assert page.get_by_test_id("value-mapping").count() == 0
    assert "“抖音” → 店外营销" in page.get_by_test_id("value-map").inner_text()
    assert SavedMapping.objects.get().value_map == {"customer_source": {"抖音": "outdoor_marketing", "老乡推荐": "referral_by_customer"}}
