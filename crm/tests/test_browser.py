"""Main flows in a real browser: every role signs in (in Chinese), sees its navigation, signs out."""
import pytest

from crm.tests.browser import sign_in

from crm import roles as r
from crm.navigation import navigation_for
from crm.tests.factories import OrgUnitFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", list(r.ROLES))
def test_each_role_signs_in_sees_its_navigation_and_signs_out(browser_page, live_server, password, role):
    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    user = UserFactory(username=f"demo_{role}", roles=[role], units=[unit], is_staff=role == r.ADMIN)

    sign_in(page, user, password)

    page.get_by_test_id("home-roles").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expected = [item.key for item in navigation_for(user)]
    shown = page.locator("[data-testid=main-nav] [data-nav]").evaluate_all("els => els.map(e => e.dataset.nav)")
    assert shown == expected
    assert r.role_label(role) in page.get_by_test_id("home-roles").inner_text()

    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.get_by_role("button", name="登录").wait_for()
    assert page.url.endswith("/accounts/login/")
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert all(url.startswith(live_server.url) for url in page.requested_urls), page.requested_urls


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(browser_page, password):
    page = browser_page
    user = UserFactory(username="careless")
    for attempt in range(4):
        sign_in(page, user.username, f"wrong-{attempt}-pass")
        assert "请输入一个正确的" in page.get_by_test_id("login-error").inner_text()
    sign_in(page, user.username, "wrong-5-pass")
    message = page.get_by_test_id("lockout-message").inner_text()
    assert "5 次登录失败" in message and "账户已被锁定" in message
    sign_in(page, user, password)
    assert page.get_by_test_id("lockout-message").is_visible()


def test_switching_to_english_translates_the_navigation(browser_page, password):
    page = browser_page
    user = UserFactory(username="bilingual", roles=[r.SALES_REP])
    sign_in(page, user, password)
    assert page.locator("[data-nav-menu=service] > .dropdown-toggle").inner_text() == "服务"
    assert page.locator("[data-nav=customers]").text_content().strip().startswith("客户")
    page.get_by_role("button", name="English").click()
    page.locator("html[lang=en]").wait_for()
    assert page.locator("[data-nav-menu=service] > .dropdown-toggle").inner_text() == "Service"
    assert page.locator("[data-nav=customers]").text_content().strip().startswith("Customers")
