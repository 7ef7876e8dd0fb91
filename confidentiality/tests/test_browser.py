"""A planner asks for another unit's customers on paper; three approvers act in their queues; the
planner prints a watermarked sheet; the CS specialist checks the printout back in."""
import pytest
from django.urls import reverse

from crm.tests.browser import open_nav, sign_out, signed_in

from confidentiality.models import DataRequest, Printout
from crm import roles as r
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.browser


def act_in_queue(page, user, password, number, button):
    signed_in(page, user, password)
    page.locator(f'[data-testid="queue-card"][href="{reverse("confidentiality:queue")}"]').click()
    page.get_by_role("link", name=number).click()
    page.get_by_role("button", name=button).click()
    page.get_by_test_id("request-status").wait_for()
    sign_out(page)


def test_cross_unit_print_request_end_to_end(browser_page, password):
    page = browser_page
    hq = OrgUnitFactory(code="HQ", name="总部")
    sh = OrgUnitFactory(code="SH", name="上海分公司", parent=hq)
    bj = OrgUnitFactory(code="BJ", name="北京分公司", parent=hq)
    planner = UserFactory(username="planner1", roles=[r.PLANNER], units=[sh], last_name="赵", first_name="磊")
    marketing = UserFactory(username="marketing1", roles=[r.MARKETING_HEAD], units=[hq])
    csmanager = UserFactory(username="csmanager1", roles=[r.CS_MANAGER], units=[hq])
    cs_bj = UserFactory(username="cs_bj", roles=[r.CS_SPECIALIST], units=[bj])
    bj_rep = UserFactory(username="bj_rep", roles=[r.SALES_REP], units=[bj])
    for name, mobile, code in (("北京客户甲", "13900001111", "BJ-000001"), ("北京客户乙", "13900002222", "BJ-000002")):
        CustomerFactory(unit=bj, created_by=bj_rep, name=name, mobile=mobile, customer_code=code)

    signed_in(page, planner, password)
    open_nav(page, "data_requests")
    page.get_by_role("link", name="新建信息使用申请").click()
    page.get_by_label("用途").fill("北京区域联合推广活动邀请")
    page.get_by_label("数据所属单位").select_option(label="北京分公司 (BJ)")
    page.get_by_label("范围").select_option("customers")
    page.get_by_label("客户代码").fill("BJ-000001 BJ-000002")
    page.get_by_label("手机号").check()
    page.get_by_label("使用形式").select_option("print")
    page.get_by_label("期限（天）").fill("3")
    page.get_by_label("打印份数").fill("2")
    page.get_by_role("button", name="提交申请").click()
    assert page.get_by_test_id("request-status").inner_text() == "待审批"
    request = DataRequest.objects.get()
    sign_out(page)

    act_in_queue(page, marketing, password, request.number, "批准")
    act_in_queue(page, csmanager, password, request.number, "确认")
    act_in_queue(page, cs_bj, password, request.number, "办理：授予权限")
    assert DataRequest.objects.get().status == "fulfilled"

    signed_in(page, planner, password)
    open_nav(page, "data_requests")
    page.get_by_role("link", name=request.number).click()
    page.get_by_role("link", name="打印", exact=True).click()
    page.get_by_role("button", name="登记并打印").click()
    page.get_by_test_id("printout-registered").wait_for()
    watermark = page.get_by_test_id("watermark").inner_text()
    assert request.number in watermark and "赵磊" in watermark and "仅限申请用途使用" in watermark
    sheet = page.get_by_test_id("print-sheet")
    assert sheet.get_attribute("data-watermark") == watermark
    assert "北京客户甲" in sheet.inner_text() and "13900001111" in sheet.inner_text()
    sign_out(page)

    signed_in(page, cs_bj, password)
    page.locator(f'[data-testid="queue-card"][href="{reverse("confidentiality:queue")}"]').click()
    page.get_by_test_id("printouts").get_by_role("button", name="登记归还").click()
    page.get_by_text("打印件已登记归还").wait_for()
    printout = Printout.objects.get()
    assert printout.returned_at is not None and printout.checked_in_by == cs_bj and printout.copies == 2
