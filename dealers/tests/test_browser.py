"""Acceptance 3: a manager fills a dealer card in the Chinese UI, is told channel shares summing to 90% are
wrong, fixes them, then opens the sales progress table and its chart (canvas drawn, no request leaves
the machine)."""
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from crm import roles as r
from crm.tests.browser import open_nav, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from dealers.models import Dealer, MonthlyPlan, PlanLine
from orders.models import Order
from orders.tests.factories import ProductFactory

from .factories import DealerFactory

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOCAL = {"127.0.0.1", "localhost"}


def test_manager_fills_card_fixes_channel_shares_and_sees_progress_chart(browser_page, password):
    page = browser_page
    blocked = []

    def only_local(route):
        if urlparse(route.request.url).hostname in LOCAL:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()
    page.context.route("**/*", only_local)

    unit = OrgUnitFactory(code="SH01", name="上海分公司")
    manager = UserFactory(username="mgr1", roles=[r.SALES_MANAGER], units=[unit])
    dealer = DealerFactory(customer__unit=unit, customer__created_by=manager, customer__name="浦东百货经销部",
                           franchise_status=Dealer.Status.ACTIVE)
    product = ProductFactory(name="矿泉水")
    month = timezone.localdate().replace(day=1)
    plan = MonthlyPlan.objects.create(dealer=dealer, month=month)
    PlanLine.objects.create(plan=plan, product=product, quantity=400)
    order = Order.objects.create(number="B-1", customer=dealer.customer, created_by=manager, delivery_address="上海",
                                 status="approved", booked_on=month, total=30000)
    order.lines.create(product=product, quantity=300, unit_price=100, amount=30000)

    signed_in(page, manager, password)
    open_nav(page, "dealers")
    page.get_by_role("link", name="浦东百货经销部").click()
    page.get_by_role("link", name="编辑档案").click()
    page.locator("[data-tab=operator]").click()
    page.locator("#id_operator_name").fill("王经理")
    page.locator("[data-tab=finance]").click()
    page.locator("#id_funds_status").select_option("ample")
    page.locator("[data-tab=business]").click()
    page.locator("#id_channel_retail_store").fill("50")
    page.locator("#id_channel_institutions").fill("20")
    page.locator("#id_channel_wholesale").fill("20")
    page.locator("#id_channel_other").fill("0")
    page.get_by_role("button", name="保存", exact=True).click()

    alert = page.get_by_test_id("form-errors")
    alert.wait_for()
    assert "销售种类比例合计为 90%，必须合计为 100%" in alert.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dealer_card_channel_shares_90.png"), full_page=True)

    page.locator("[data-tab=business]").click()
    page.locator("#id_channel_other").fill("10")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_text("经销商档案已保存。").wait_for()
    dealer.refresh_from_db()
    assert dealer.sales_channels == {"retail_store": 50.0, "institutions": 20.0, "wholesale": 20.0, "other": 10.0}
    assert dealer.operator_name == "王经理" and dealer.funds_status == "ample"

    open_nav(page, "dealer_progress")
    table = page.get_by_test_id("progress-table")
    table.wait_for()
    assert "浦东百货经销部" in table.inner_text() and "75.0%" in table.inner_text()
    page.wait_for_selector("#progress-chart[data-drawn='1'] canvas")
    painted = page.locator("#progress-chart canvas").first.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""")
    assert painted > 1000, painted
    page.screenshot(path=str(ARTIFACTS / "dealer_sales_progress_chart.png"), full_page=True)

    assert blocked == []
    assert all(urlparse(url).hostname in LOCAL for url in page.requested_urls), page.requested_urls
