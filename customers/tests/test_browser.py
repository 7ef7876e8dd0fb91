"""Acceptance flow: a rep registers, a manager approves, the rep finds the customer by ID digits."""
import pytest

from crm.tests.browser import open_nav, sign_out, signed_in

from crm import roles as r
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import VALID_ID

pytestmark = pytest.mark.browser


def open_tab(page, group):
    page.locator(f"[data-tab={group}]").click()


def test_rep_registers_manager_approves_rep_finds_by_id_digits(browser_page, password):
    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    rep = UserFactory(username="rep1", roles=[r.SALES_REP], units=[unit])
    manager = UserFactory(username="mgr1", roles=[r.SALES_MANAGER], units=[unit])

    signed_in(page, rep, password)
    open_nav(page, "customers")
    page.get_by_role("link", name="登记新客户").click()
    page.locator("#id_name").fill("韩梅梅")
    page.locator("#id_customer_nature").select_option("individual")
    page.locator("#id_customer_source").select_option("walk_in")
    page.locator("#id_address").fill("上海市徐汇区漕溪北路88号")
    page.locator("#id_settlement_method").select_option("cash")
    open_tab(page, "network")
    page.locator("#id_admin_region").fill("310104")
    open_tab(page, "management")
    page.locator("#id_tier").select_option("D")
    open_tab(page, "personal")
    page.locator("#id_contact_name").fill("韩梅梅")
    page.locator("#id_mobile").fill("139 1234 5678")
    page.locator("#id_gender").select_option("female")
    page.locator("#id_id_number").fill(VALID_ID[:-1] + "1")  # wrong check digit
    page.locator("#id_occupation").fill("教师")
    page.locator("#id_hobbies").fill("旅游")
    page.locator("#id_uses_app").select_option("true")
    page.locator("#id_email").fill("hmm@example.com")
    page.locator("#id_wechat").fill("hanmeimei")
    page.get_by_role("button", name="保存", exact=True).click()

    error = page.locator('[data-error-for="id_number"]')
    error.wait_for()
    assert "身份证号码校验位错误" in error.inner_text()
    assert page.locator("#id_id_number").evaluate("el => el.classList.contains('is-invalid')")
    assert page.locator("#tab-personal").is_visible()  # the tab with the error is opened

    page.locator("#id_id_number").fill(VALID_ID)
    page.locator("#id_email").fill("")
    page.locator("#id_wechat").fill("")
    page.get_by_role("button", name="保存", exact=True).click()

    banner = page.get_by_test_id("missing-important")
    banner.wait_for()
    text = banner.inner_text()
    assert "2 项重要信息未填写" in text and "电子邮箱" in text and "微信号" in text

    page.get_by_role("button", name="提交审批").click()
    assert page.get_by_test_id("registration-status").inner_text() == "已提交"
    sign_out(page)

    signed_in(page, manager, password)
    open_nav(page, "registrations")
    page.get_by_role("link", name="韩梅梅").click()
    page.get_by_role("button", name="批准").click()
    code = page.get_by_test_id("customer-code").inner_text()
    assert code == "SH01-000001"
    sign_out(page)

    signed_in(page, rep, password)
    open_nav(page, "customers")
    page.get_by_placeholder("名称、手机号、客户代码或身份证后 4 位").fill(VALID_ID[-4:])
    page.get_by_role("button", name="搜索").click()
    row = page.get_by_test_id("customer-table").locator("tbody tr")
    row.first.wait_for()
    page.wait_for_url("**q=002X**")
    assert row.count() == 1 and "SH01-000001" in row.inner_text() and "韩梅梅" in row.inner_text()


# --- the customer list on a phone and on a desktop; bulk actions (issue 15 item 2, issue 13 §3) -------

# Elements of the page whose text is broken into lines of about one character (narrow boxes, tall text).
SINGLE_CHARACTER_WRAPS = """() => Array.from(document.querySelectorAll('main a, main td, main th, main label, main button, main h1, main span, main option:checked'))
  .filter(el => el.offsetParent !== null && el.innerText && el.innerText.trim().length >= 2)
  .filter(el => {
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const rect = el.getBoundingClientRect();
    return rect.height > 2.2 * size * 1.2 && rect.width < 2.5 * size;
  }).map(el => el.innerText.trim().slice(0, 20))"""


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    assert page.evaluate(SINGLE_CHARACTER_WRAPS) == []


def _page(chromium, live_server, width, height, **options):
    """A Chinese browser context of this size; screenshots go to the test artifacts."""
    from conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": height},
                                   locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def _list_data():
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import Customer
    from customers.tests.factories import CustomerFactory

    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    manager = UserFactory(username="mgr_list", roles=[r.SALES_MANAGER], units=[unit])
    for i in range(12):
        CustomerFactory(unit=unit, name=f"上海市黄浦区南京东路华联超市第{i}连锁便利店有限公司", tier="CDE"[i % 3],
                        last_verified_on=timezone.localdate() - timedelta(days=30 * (i % 5)))
    complete = CustomerFactory(unit=unit, name="好德便利漕溪店", registration_status=Customer.Registration.DRAFT,
                               customer_code=None)
    incomplete = CustomerFactory(unit=unit, name="罗森徐汇店", registration_status=Customer.Registration.DRAFT,
                                 customer_code=None, address="", admin_region="")
    return manager, complete, incomplete


def test_the_customer_list_on_a_phone_shows_cards_with_the_search_first(chromium, live_server, transactional_db, password):
    from conftest import ARTIFACTS

    manager, _complete, _incomplete = _list_data()
    context, page = _page(chromium, live_server, 390, 844, is_mobile=True, has_touch=True)
    try:
        signed_in(page, manager, password)
        page.goto("/customers/?state=all")
        cards = page.get_by_test_id("customer-cards").locator("li.card")
        cards.first.wait_for()
        assert cards.count() == 14 and not page.get_by_test_id("customer-table").is_visible()
        search = page.get_by_test_id("customer-search")
        assert search.is_visible() and not page.get_by_test_id("more-filters").is_visible()
        assert search.bounding_box()["y"] < cards.first.bounding_box()["y"] < 844  # the search, then results at once
        texts = cards.all_inner_texts()
        assert "罗森徐汇店" in texts[0] and "提交审批" in texts[0]  # a draft's next step
        approved = next(text for text in texts if "华联超市" in text)
        assert "T-" in approved and "139****" in approved and "核实" in approved  # code, masked mobile, verification
        _fits(page, 390)
        page.screenshot(path=str(ARTIFACTS / "customer_list_phone_390x844.png"), full_page=False)

        page.get_by_test_id("filters-toggle").click()
        page.wait_for_selector("#more-filters.show:not(.collapsing)")
        assert page.get_by_test_id("more-filters").locator("select[name=tier]").is_visible()
        _fits(page, 390)
        page.screenshot(path=str(ARTIFACTS / "customer_list_phone_filters_390x844.png"), full_page=False)
    finally:
        context.close()


def test_the_customer_list_on_a_desktop_and_a_bulk_submit(chromium, live_server, transactional_db, password):
    from conftest import ARTIFACTS

    from customers.models import Customer

    manager, complete, incomplete = _list_data()
    context, page = _page(chromium, live_server, 1440, 900)
    try:
        signed_in(page, manager, password)
        page.goto("/customers/?state=draft")
        table = page.get_by_test_id("customer-table")
        table.locator("tbody tr").first.wait_for()
        assert not page.get_by_test_id("customer-cards").is_visible() and page.get_by_test_id("more-filters").is_visible()
        _fits(page, 1440)
        page.get_by_test_id("bulk-toggle").click()
        page.get_by_test_id("bulk-form").wait_for(state="visible")
        page.locator("#bulk-action").select_option("submit")
        assert not page.locator("#bulk-field").is_visible()  # only what the action needs
        page.get_by_role("checkbox", name=f"选择 {complete.name}").check()
        page.get_by_role("checkbox", name=f"选择 {incomplete.name}").check()
        assert page.locator("[data-selected-count]").inner_text() == "2"
        _fits(page, 1440)
        page.screenshot(path=str(ARTIFACTS / "customer_list_desktop_1440x900.png"), full_page=False)
        page.get_by_test_id("bulk-run").click()

        page.get_by_test_id("bulk-counts").wait_for()
        assert page.locator('[data-count="changed"] .fs-5').inner_text() == "1"
        failures = page.get_by_test_id("bulk-failures").inner_text()
        assert incomplete.name in failures and "经营地址" in failures and "行政区域" in failures
        page.screenshot(path=str(ARTIFACTS / "customer_bulk_result_1440x900.png"), full_page=False)
        assert Customer.objects.get(pk=complete.pk).registration_status == Customer.Registration.SUBMITTED
        assert Customer.objects.get(pk=incomplete.pk).registration_status == Customer.Registration.DRAFT
    finally:
        context.close()


def test_a_large_bulk_action_shows_progress_then_its_result(chromium, live_server, transactional_db, password,
                                                            settings, monkeypatch):
    """Over the threshold the action goes to the worker; its page polls the progress and turns into the result."""
    from customers import tasks
    from customers.bulk import run_bulk_action
    from customers.models import BulkAction

    settings.CRM_BULK_INLINE_ROWS = 1
    queued = []

    class Queue:  # no broker here: the test plays the worker
        @staticmethod
        def delay(bulk_id):
            queued.append(bulk_id)

    monkeypatch.setattr(tasks, "run_bulk_action_task", Queue)
    manager, complete, incomplete = _list_data()
    context, page = _page(chromium, live_server, 1440, 900)
    try:
        signed_in(page, manager, password)
        page.goto("/customers/?state=draft")
        page.get_by_test_id("bulk-toggle").click()
        page.locator("#bulk-action").select_option("set_field")
        page.locator("#bulk-field").select_option("customer_source")
        page.locator("#bulk-value").select_option("event")
        page.locator("#bulk-scope-filtered").check()
        page.get_by_test_id("bulk-run").click()
        page.get_by_test_id("bulk-progress").wait_for()
        assert page.get_by_test_id("bulk-progress").get_attribute("data-status") == "queued"
        assert queued == [BulkAction.objects.get().pk]

        run_bulk_action(queued[0])  # the worker finishes; the next poll reloads the page
        page.get_by_test_id("bulk-counts").wait_for(timeout=10_000)
        assert page.locator('[data-count="changed"] .fs-5').inner_text() == "2"
        assert set(type(complete).objects.filter(pk__in=[complete.pk, incomplete.pk])
                   .values_list("customer_source", flat=True)) == {"event"}
    finally:
        context.close()


def test_an_id_number_with_an_unknown_county_is_flagged_on_the_form_as_it_is_typed(browser_page, password):
    from conftest import ARTIFACTS
    from customers.tests.factories import with_check_digit

    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    rep = UserFactory(username="rep1", roles=[r.SALES_REP], units=[unit])
    signed_in(page, rep, password)
    open_nav(page, "customers")
    page.get_by_role("link", name="登记新客户").click()
    page.locator("#id_customer_nature").select_option("individual")  # the ID number applies to people
    open_tab(page, "personal")
    field = page.locator("#id_id_number")
    field.fill(with_check_digit("11010521000101001"))  # born in 2100
    field.press("Tab")
    page.locator('[data-check-error="id_number"]').wait_for()
    assert "出生日期晚于今天" in page.locator("#check-id_number").inner_text()
    field.fill(with_check_digit("31019919850101001"))  # Shanghai, county 99: accepted, to double-check
    field.press("Tab")
    warning = page.locator('[data-warning-for="id_number"]')
    warning.wait_for()
    assert "区县代码 310199 不在行政区划表中" in warning.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "id_number_unknown_county_warning_zh.png"), full_page=True)


def test_rep_is_told_which_tabs_lack_required_fields_before_sending(browser_page, password):
    """Issue 15 item 3: required fields are marked in every tab, each tab counts its empty ones while the rep
    types, and sending with some empty says which tabs, opens the first and sends nothing."""
    from conftest import ARTIFACTS

    from customers.models import Customer

    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    rep = UserFactory(username="rep3", roles=[r.SALES_REP], units=[unit])
    signed_in(page, rep, password)
    page.goto("/customers/new/")

    def count(group):
        badge = page.locator(f"[data-tab={group}] [data-missing-count]")
        return int(badge.get_attribute("data-missing-count")) if badge.is_visible() else 0

    assert page.locator(".tab-pane [data-mark=required]").count() >= 8
    assert page.locator(".tab-pane [data-mark=important]").count() >= 10
    basic = count("basic")
    assert basic >= 3 and count("personal") >= 1
    page.locator("#id_name").fill("韩梅梅")
    assert count("basic") == basic - 1  # live, before anything is sent

    posts = []
    page.on("request", lambda req: posts.append(req.url) if req.method == "POST" else None)
    open_tab(page, "personal")
    page.locator("#customer-form button[type=submit]").click()
    notice = page.get_by_test_id("missing-before-submit")
    notice.wait_for()
    text = notice.inner_text()
    assert text.startswith("请先填写必填项") and "基本信息" in text and "联系与个人信息" in text
    page.locator("#tab-basic").wait_for(state="visible")  # the first tab with empty fields is opened
    assert page.locator("#tab-basic .is-invalid").count() == count("basic")
    page.screenshot(path=str(ARTIFACTS / "registration-required-fields.png"), full_page=True)
    assert posts == [] and not Customer.objects.exists()
