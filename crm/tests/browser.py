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


# Layout checks (issue 15 acceptance 1). A text of two or more Chinese characters "wraps into single characters"
# when it runs over two or more lines inside a box narrower than three characters (客/户 in a squeezed menu,
# 驳/回 on a shrunken button); a paragraph that merely breaks at its edge is not that.
SQUEEZED_TEXT_JS = """() => {
  const cjk = /[\\u3400-\\u9fff]/g, found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim();
    if ((text.match(cjk) || []).length < 2) continue;
    let box = node.parentElement;
    if (!box || !box.getClientRects().length) continue;
    const em = parseFloat(getComputedStyle(box).fontSize);
    while (box.parentElement && getComputedStyle(box).display === "inline") box = box.parentElement;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size >= 2 && box.getBoundingClientRect().width < 3 * em) found.push(text.slice(0, 20));
  }
  return found;
}"""


def squeezed_texts(page) -> list[str]:
    """Texts wrapped into columns of one or two characters."""
    return page.evaluate(SQUEEZED_TEXT_JS)


def sideways_scroll(page) -> int:
    """How far the page scrolls sideways (0 when it fits the window)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
