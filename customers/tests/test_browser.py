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
