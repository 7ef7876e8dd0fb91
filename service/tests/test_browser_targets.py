"""Seed 001 in the browser: the rep's home page flags last month's missed targets and the customer below
its contact minimum; the manager's roll-up flags the rep."""
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from conftest import ARTIFACTS
from crm import roles as r
from crm.tests.browser import sign_out, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory
from service.models import MonthlyTarget, RevisitRule
from service.targets import last_month
from service.tests.factories import VisitFactory

pytestmark = pytest.mark.browser


def test_home_and_roll_up_flag_who_is_short(zh_page, password):
    unit = OrgUnitFactory(code="SH", name="上海分公司")
    rep = UserFactory(username="rep_short", roles=[r.SALES_REP], units=[unit], last_name="王", first_name="五")
    manager = UserFactory(username="mgr_rollup", roles=[r.SALES_MANAGER], units=[unit])
    # Transactional tests empty every table between them, the seeded rows included.
    MonthlyTarget.objects.get_or_create(unit=None)
    RevisitRule.objects.create(tier="B", who="owner", per_month=Decimal("2"))
    customer = CustomerFactory(unit=unit, created_by=rep, tier="B", name="远洋船务", registered_on=date(2025, 1, 1))
    VisitFactory(customer=customer, created_by=rep, channel="visit", visited_on=last_month(timezone.localdate()))
    page = zh_page
    signed_in(page, rep, password)
    card = page.get_by_test_id("queue-card").filter(has_text="上月未达标指标")
    assert card.inner_text().strip().endswith("3")  # nothing found, nothing won, one customer short
    card.click()
    assert "远洋船务" in page.get_by_test_id("below-last").inner_text()
    assert "1 / 2" in page.get_by_test_id("below-last").inner_text()
    page.screenshot(path=str(ARTIFACTS / "targets_rep.png"), full_page=True)
    sign_out(page)

    signed_in(page, manager, password)
    page.get_by_test_id("queue-card").filter(has_text="上月未达标的业务员").click()
    row = page.get_by_test_id("rollup-last").get_by_test_id("standing-rep_short")
    assert "未达标" in row.inner_text() and "王五" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "targets_manager.png"), full_page=True)
