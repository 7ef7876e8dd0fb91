"""A rep works the inbox on a phone: logs the revisit, the item goes; a manager sees the week's visits."""
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crm import roles as r
from crm.tests.browser import sign_out, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory
from service.models import Opportunity, RevisitRule

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
        page.get_by_test_id("companion-search").fill("李")  # the picker filters as one types, phone-sized rows
        page.get_by_label("李四").check()
        assert page.get_by_test_id("companion-required").is_visible()  # a first visit in person: said before saving
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "visit-form-phone.png"), full_page=True)
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


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _total(page, stage) -> Decimal:
    return Decimal(page.get_by_test_id(f"stage-total-{stage}").inner_text().replace(",", ""))


def test_rep_drags_an_opportunity_to_the_next_stage_and_the_totals_follow(chromium, live_server, transactional_db, password):
    unit = OrgUnitFactory(code="SH", name="上海分公司")
    rep = UserFactory(username="rep_board", roles=[r.SALES_REP], units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep, name="联华超市")
    soon = date.today() + timedelta(days=20)
    card = Opportunity.objects.create(customer=customer, owner=rep, title="冷柜增购", content="新品类", deadline=soon,
                                      amount=Decimal("1000"))
    Opportunity.objects.create(customer=customer, owner=rep, title="年货专柜", content="节日", deadline=soon, amount=Decimal("500"))
    Opportunity.objects.create(customer=customer, owner=rep, title="配送合作", content="物流", deadline=soon,
                               amount=Decimal("200.50"), stage="qualified")
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        signed_in(page, rep, password)
        page.goto("/service/opportunities/")
        page.get_by_test_id("board-link").click()
        assert (_total(page, "found"), _total(page, "qualified")) == (Decimal("1500"), Decimal("200.50"))
        assert "2 个机会" in page.get_by_test_id("stage-count-found").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "opportunity-board-before.png"), full_page=True)
        with page.expect_navigation():
            page.get_by_test_id(f"card-{card.pk}").drag_to(page.get_by_test_id("stage-qualified"))
        page.get_by_text("已移至").wait_for()
        assert (_total(page, "found"), _total(page, "qualified")) == (Decimal("500"), Decimal("1200.50"))
        assert page.get_by_test_id("stage-qualified").get_by_test_id(f"card-{card.pk}").count() == 1
        page.screenshot(path=str(ARTIFACTS / "opportunity-board-after-drag.png"), full_page=True)
        # A drop two stages on is refused by the board itself: nothing is sent, nothing moves.
        page.get_by_test_id(f"card-{card.pk}").drag_to(page.get_by_test_id("stage-negotiation"))
        assert _total(page, "negotiation") == 0
        # The button does the same as the drag.
        with page.expect_navigation():
            page.get_by_test_id(f"advance-{card.pk}").click()
        page.get_by_text("已移至").wait_for()
        assert (_total(page, "qualified"), _total(page, "proposal")) == (Decimal("200.50"), Decimal("1000"))
        card.refresh_from_db()
        assert card.stage == "proposal" and card.events.count() == 2
    finally:
        context.close()


def test_cs_pages_searches_and_filters_the_complaints_list_on_a_phone(chromium, live_server, transactional_db, password):
    from django.utils import timezone

    from service.models import Complaint

    unit = OrgUnitFactory(code="SH", name="上海分公司")
    cs = UserFactory(username="cs_list", roles=[r.CS_SPECIALIST], units=[unit])
    customers = [CustomerFactory(unit=unit, name=name) for name in ("华联超市", "联华便利")]
    now = timezone.now()
    Complaint.objects.bulk_create([
        Complaint(number=f"KS-202612-{i:04d}", customer=customers[i % 2], category="quality" if i % 3 == 0 else "service",
                  description="描述", received_at=now - timedelta(hours=i), status="open", response_due=now,
                  solution_due=now.date())
        for i in range(120)
    ])
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        signed_in(page, cs, password)
        page.goto("/service/complaints/")
        assert "共 120 条" in page.get_by_test_id("list-count").inner_text()
        page.get_by_test_id("list-pages").get_by_role("link", name="下一页").click()
        assert "第 2 页，共 3 页" in page.get_by_test_id("list-pages").inner_text()
        page.get_by_test_id("list-search").fill("联华便利")
        page.get_by_test_id("list-search").press("Enter")
        assert "共 60 条" in page.get_by_test_id("list-count").inner_text()
        filters = page.get_by_test_id("list-filters").locator("details")
        if not filters.evaluate("details => details.open"):  # folded away unless a search or filter is in use
            page.get_by_text("筛选条件").click()
        page.get_by_label("类别").select_option("quality")
        page.get_by_role("button", name="应用筛选").click()
        assert "共 20 条" in page.get_by_test_id("list-count").inner_text()  # odd i, multiples of three
        assert page.get_by_test_id("list-search").input_value() == "联华便利"  # the search is kept with the filter
        assert page.evaluate("document.documentElement.scrollWidth") <= 400
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "complaints-list-phone.png"), full_page=True)
    finally:
        context.close()


def test_a_manager_gets_the_escalation_and_keeps_the_tier_from_the_customer_page(chromium, live_server,
                                                                                 transactional_db, password):
    """Issue 14 items 3 and 4: the overdue verification reaches the rep's sales manager's inbox with the days
    overdue; on the customer page she keeps the proposed tier with a reason and the proposal leaves the inbox."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from conftest import ARTIFACTS
    from service import scans

    unit = OrgUnitFactory(code="SH", name="上海分公司")
    team = OrgUnitFactory(code="SHT1", name="销售一组", parent=unit)
    rep = UserFactory(username="rep_late", roles=[r.SALES_REP], units=[team], last_name="王", first_name="五")
    manager = UserFactory(username="mgr_escalated", roles=[r.SALES_MANAGER], units=[unit])
    today = timezone.localdate()
    customer = CustomerFactory(unit=team, created_by=rep, name="逾期核实便利店", tier="C",
                               cumulative_amount=Decimal("9000000"), registered_on=date(2025, 1, 1))
    type(customer).objects.filter(pk=customer.pk).update(last_verified_on=today - timedelta(days=100))
    scans.verification_scan(today - timedelta(days=3))
    scans.escalate_overdue_tasks(today)
    scans.tier_review_scan(today, force=True)

    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        signed_in(page, manager, password)
        page.goto("/service/inbox/")
        inbox = page.get_by_test_id("inbox")
        escalated = inbox.get_by_role("link", name="已升级：逾期核实便利店的季度核实已逾期 3 天")
        escalated.wait_for()
        page.screenshot(path=str(ARTIFACTS / "issue14_manager_inbox_escalation.png"), full_page=True)
        escalated.click()
        tasks = page.get_by_test_id("customer-tasks")
        tasks.get_by_label("原因").fill("大额采购为一次性项目，维持C级")
        page.screenshot(path=str(ARTIFACTS / "issue14_keep_the_tier.png"), full_page=True)
        tasks.get_by_role("button", name="保持等级").click()
        page.get_by_text("客户等级维持不变，调级建议已关闭。").wait_for()
        assert page.get_by_test_id("customer-tasks").count() == 0
        page.goto("/service/inbox/")
        assert page.get_by_test_id("inbox").get_by_text("逾期核实便利店").count() == 1  # the escalation stays
    finally:
        context.close()


def test_the_inbox_badge_shows_in_the_phone_top_bar_without_opening_the_menu(chromium, live_server, transactional_db,
                                                                             password):
    """Issue 15 item 5 on a phone: the count sat only in the folded menu. Now beside the toggle, same honest rule."""
    from crm.tests.browser import sideways_scroll, squeezed_texts
    from service import selectors

    unit = OrgUnitFactory(code="SH", name="上海分公司")
    rep = UserFactory(username="rep_badge", roles=[r.SALES_REP], units=[unit], last_name="王", first_name="五")
    RevisitRule.objects.get_or_create(tier="", who="owner", defaults={"every_months": 3})
    CustomerFactory(unit=unit, created_by=rep, name="老客户便利店", registered_on=date(2020, 1, 1))  # revisit long overdue
    CustomerFactory(unit=unit, created_by=rep, name="新客户超市")
    count, overdue = selectors.inbox_counts(rep)
    assert count >= 2 and 1 <= overdue < count

    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                   has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        signed_in(page, rep, password)
        bar = page.get_by_test_id("bar-inbox")
        badge = bar.get_by_test_id("nav-inbox-count")
        badge.wait_for(state="visible")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "inbox-badge-390x844.png"))
        assert not page.get_by_test_id("main-nav").is_visible()  # the menu is still folded
        assert badge.inner_text() == str(count) and badge.get_attribute("data-overdue") == str(overdue)
        assert "text-bg-danger" in badge.get_attribute("class")
        toggler = page.locator(".navbar-toggler").bounding_box()
        box = bar.bounding_box()
        assert abs(box["y"] + box["height"] / 2 - (toggler["y"] + toggler["height"] / 2)) < 8  # one line with the toggle
        assert box["x"] + box["width"] <= toggler["x"]
        assert squeezed_texts(page) == [] and sideways_scroll(page) == 0
        bar.click()
        page.get_by_test_id("inbox").wait_for()
        assert page.url.endswith("/service/inbox/")

        page.set_viewport_size({"width": 1440, "height": 900})  # on a desktop the count stays in the menu only
        page.goto("/")
        menu_badge = page.locator("[data-testid=main-nav] [data-nav=inbox] [data-testid=nav-inbox-count]")
        menu_badge.wait_for(state="visible")
        assert menu_badge.inner_text() == str(count) and not bar.is_visible()
        page.screenshot(path=str(ARTIFACTS / "inbox-badge-1440x900.png"))
    finally:
        context.close()
