"""Main flows in a real browser: every role signs in (in Chinese), sees its navigation, signs out."""
import pytest

from crm.tests.browser import sideways_scroll, sign_in, signed_in, squeezed_texts

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


# Issue 15 acceptance 1: every role's home page and the customer list at desktop, laptop and phone sizes.
VIEWPORTS = [(1440, 900), (1280, 800), (390, 844)]


@pytest.mark.parametrize("role", list(r.ROLES))
def test_home_and_customer_list_fit_desktop_laptop_and_phone(browser_page, password, role):
    from conftest import ARTIFACTS
    from customers.tests.factories import CustomerFactory

    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    owner = UserFactory(username="owner", roles=[r.SALES_REP], units=[unit], last_name="欧阳", first_name="志远")
    for name in ("上海华联超市徐汇店", "联华便利店漕溪店", "好德食杂店（龙华中路二分店）"):
        CustomerFactory(unit=unit, created_by=owner, name=name)
    user = owner if role == r.SALES_REP else UserFactory(
        username=f"demo_{role}", roles=[role], units=[unit], is_staff=role == r.ADMIN)
    signed_in(page, user, password)
    shots = ARTIFACTS / "layout"
    shots.mkdir(parents=True, exist_ok=True)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for name, path in (("home", "/"), ("customers", "/customers/")):
            page.goto(path)
            page.wait_for_load_state("networkidle")
            shot = shots / f"{role}-{width}x{height}-{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
            assert squeezed_texts(page) == [], (role, width, name)
            assert sideways_scroll(page) == 0, (role, width, name)
            if width >= 1280:  # the whole navigation on one line: the bar is one control high
                assert page.locator("nav.navbar").bounding_box()["height"] < 70, (role, width)


def test_the_layout_check_sees_a_squeezed_button(browser_page, password):
    """The check itself can fail: 驳回 on a button squeezed to one character's width, and a too-wide row."""
    page = browser_page
    signed_in(page, UserFactory(username="checker", roles=[r.SALES_REP]), password)
    assert squeezed_texts(page) == [] and sideways_scroll(page) == 0
    page.evaluate("""() => document.querySelector("main").insertAdjacentHTML("beforeend",
        '<div style="display:flex;width:4em"><input style="width:3.5em"><button class="btn" style="white-space:normal;flex-shrink:1;min-width:0;padding:0">驳回</button></div>' +
        '<div style="width:3000px">宽</div>')""")
    assert squeezed_texts(page) == ["驳回"] and sideways_scroll(page) > 0


def test_a_slow_action_shows_a_spinner_on_its_button(browser_page, password):
    """Issue 15 item 12: past half a second the sending button spins (and cannot be clicked twice)."""
    import time
    from unittest import mock

    from django.contrib.auth.views import LoginView

    page = browser_page
    user = UserFactory(username="patient", roles=[r.SALES_REP])
    slow_post = LoginView.post

    def post(self, request, *args, **kwargs):  # the live server runs in this process: make sign-in slow
        time.sleep(1.5)
        return slow_post(self, request, *args, **kwargs)

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    # The login page notes what it showed, and when, in sessionStorage; the next page reads the note.
    page.evaluate("""() => {
        const sent = performance.now();
        document.querySelector('form:has(#id_username)').addEventListener('submit', () => {
            new MutationObserver(() => {
                const label = document.querySelector('[data-testid=busy-label]');
                if (!label || sessionStorage.getItem('seen')) return;
                sessionStorage.setItem('seen', JSON.stringify({label: label.textContent,
                    disabled: document.querySelector('button[data-busy]').disabled,
                    bar: document.querySelectorAll('[data-testid=busy-bar]').length,
                    after: performance.now() - sent}));
            }).observe(document.body, {childList: true, subtree: true});
        });
    }""")
    with mock.patch.object(LoginView, "post", post):
        page.get_by_role("button", name="登录").click()
        page.get_by_test_id("home-roles").wait_for()
    seen = page.evaluate("() => JSON.parse(sessionStorage.getItem('seen'))")
    assert seen is not None and 500 <= seen.pop("after") < 1500
    assert seen == {"label": "处理中…", "disabled": True, "bar": 1}
    assert page.get_by_test_id("busy-bar").count() == 0


def test_the_review_buttons_stay_whole_on_every_screen(browser_page, password):
    """Issue 15 item 1: the review page's 驳回 button wrapped vertically beside the reason box."""
    from conftest import ARTIFACTS
    from customers.tests.factories import CustomerFactory

    page = browser_page
    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    rep = UserFactory(username="rep_review", roles=[r.SALES_REP], units=[unit])
    waiting = CustomerFactory(unit=unit, created_by=rep, name="好德食杂店", registration_status="submitted")
    signed_in(page, UserFactory(username="mgr_review", roles=[r.SALES_MANAGER], units=[unit]), password)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/customers/{waiting.pk}/")
        reject = page.get_by_test_id("workflow-actions").get_by_role("button", name="驳回")
        assert reject.is_visible()
        page.screenshot(path=str(ARTIFACTS / f"review-{width}x{height}.png"))
        assert squeezed_texts(page) == [] and sideways_scroll(page) == 0, width
        box = reject.bounding_box()
        assert box["width"] > box["height"], (width, box)  # two characters side by side, not stacked
