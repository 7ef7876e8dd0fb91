import pytest

from conftest import ARTIFACTS


@pytest.fixture
def zh_page(chromium, live_server, transactional_db):
    """A desktop page in the UI's default language (Chinese); screenshots go to ARTIFACTS."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
