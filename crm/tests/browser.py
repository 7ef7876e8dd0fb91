"""Steps every browser test takes, in the UI's default language (Chinese)."""


def sign_in(page, user, password):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(getattr(user, "username", user))
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def signed_in(page, user, password):
    sign_in(page, user, password)
    page.get_by_test_id("home-roles").wait_for()


def sign_out(page):
    # On a phone the bar may still be unfolding (Bootstrap's .collapsing); a click then lands nowhere.
    page.wait_for_selector(".navbar-collapse.collapsing", state="detached")
    page.get_by_test_id("user-menu").click()
    logout = page.get_by_test_id("logout")
    logout.wait_for(state="visible")
    logout.click()
    page.get_by_role("button", name="登录").wait_for()


def open_nav(page, key):
    """Clicks a navigation entry, opening the collapsed bar (phone) and its menu's dropdown first."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    entry = page.locator(f"[data-nav={key}] a")
    if not entry.is_visible():
        page.locator(f"[data-nav-menu]:has([data-nav={key}]) > .dropdown-toggle").click()
    entry.click()
