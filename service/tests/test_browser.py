"""A rep works the inbox on a phone: logs the revisit, the item goes; a manager sees the week's visits."""
from datetime import date

import pytest

from crm import roles as r
from crm.tests.browser import sign_out, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory
from service.models import RevisitRule

pytestmark = pytest.mark.browser


def test_rep_logs_a_revisit_from_the_inbox_on_a_phone(chromium, live_server, transactional_db, password):
    unit = OrgUnitFactory(code="SH", name="上海分公司")
    rep = UserFactory(username="rep_phone", roles=[r.SALES_REP], units=[unit], last_name="王", first_name="五")
    UserFactory(username="rep_partner", roles=[r.SALES_REP], units=[unit], last_name="李", first_name="四")
    manager = UserFactory(username="mgr_week", roles=[r.SALES_MANAGER], units=[unit])
    CustomerFactory(unit=unit, created_by=rep, name="漕溪便利店", tier="C", registered_on=date(2025, 1, 1))
    # Transactional tests empty every table between them, the seeded revisit policy included.
    RevisitRule.objects.get_or_create(tier="", who="owner", defaults={"every_months": 3})

    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        signed_in(page, rep, password)
        page.goto("/service/inbox/")
        item = page.get_by_test_id("inbox").get_by_role("link", name="回访 漕溪便利店（客户经理）")
        item.click()
        assert "漕溪便利店" in page.get_by_test_id("visit-customer").inner_text()
        page.get_by_label("拜访方式").select_option("visit")
        page.get_by_label("同行人员").select_option(label="李四")
        page.get_by_label("内容").fill("季度回访，客户反馈良好")
        page.get_by_role("button", name="保存拜访记录").click()
        page.get_by_text("拜访已记录").wait_for()
        assert page.get_by_test_id("inbox").get_by_role("link", name="回访 漕溪便利店（客户经理）").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 400  # no sideways scrolling on a phone
        page.get_by_role("button", name="菜单").click()
        sign_out(page)

        signed_in(page, manager, password)
        page.goto("/service/visits/week/")
        table = page.get_by_test_id("weekly-visits").inner_text()
        assert "王五" in table and "漕溪便利店" in table and "季度回访" in table
    finally:
        context.close()
