"""Seed 003 第八条 in the browser (Chinese UI): a rep registers a quality complaint on the form, the recall
is opened at once and the quality manager finds it in the inbox and records where the goods went."""
from datetime import date

import pytest

from conftest import ARTIFACTS
from crm import roles as r
from crm.models import Notification
from crm.tests.browser import sign_out, signed_in
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory
from service.models import Recall

pytestmark = pytest.mark.browser


def test_a_quality_complaint_on_the_form_opens_its_recall_for_the_quality_manager(zh_page, password):
    unit = OrgUnitFactory(code="SH", name="上海分公司")
    rep = UserFactory(username="rep_quality", roles=[r.SALES_REP], units=[unit], last_name="王", first_name="五")
    quality = UserFactory(username="qa", roles=[r.QUALITY], units=[unit], last_name="孙", first_name="丽")
    customer = CustomerFactory(unit=unit, created_by=rep, name="华东磁材", registered_on=date(2025, 1, 1))
    page = zh_page
    signed_in(page, rep, password)
    page.goto(f"/service/complaints/new/?customer={customer.pk}")
    quality_block = page.get_by_test_id("quality-fields")
    assert quality_block.is_hidden()  # only for quality complaints
    page.get_by_label("类别").select_option("quality")
    quality_block.wait_for(state="visible")
    page.get_by_label("投诉渠道").select_option("phone")
    page.get_by_label("描述").fill("N52 磁钢磁力不足，整批退货")
    page.get_by_label("订单号").fill("DD-2026-1101")
    page.get_by_label("产品", exact=True).fill("钕铁硼磁钢 N52")
    page.get_by_label("数量", exact=True).fill("500")
    page.get_by_label("交货日期").fill("2026-11-20")
    page.get_by_label("不良数量").fill("12")
    page.get_by_label("批号").fill("B2611-07")
    page.get_by_label("生产日期").fill("2026-11-02")
    page.get_by_label("责任部门").fill("二车间")
    page.get_by_label("班次").fill("夜班")
    page.get_by_label("是否留存不良样品").select_option("1")
    page.screenshot(path=str(ARTIFACTS / "quality_complaint_form.png"), full_page=True)
    page.get_by_role("button", name="登记").click()
    page.get_by_text("已登记").wait_for()
    recall = Recall.objects.get()
    assert recall.status == "open" and recall.batch_number == "B2611-07"
    assert Notification.objects.filter(recipient=quality).count() == 1  # at once, not by a later job
    assert "电话" in page.get_by_test_id("complaint-channel").inner_text()
    assert "待质量管理员处理" in page.get_by_test_id("complaint-recall").inner_text()
    page.screenshot(path=str(ARTIFACTS / "quality_complaint_detail.png"), full_page=True)
    sign_out(page)

    signed_in(page, quality, password)
    page.goto("/service/inbox/")
    page.get_by_test_id("inbox").get_by_role("link", name="投诉 ").first.click()
    page.get_by_test_id("recall-status").wait_for()
    assert "华东磁材" not in page.content()  # the quality manager does not see the customer
    page.get_by_label("流向").fill("上海仓 300 件，苏州经销商 200 件")
    page.get_by_label("已通知对象").fill("客户采购部；苏州经销商（12月1日电话）")
    page.get_by_role("button", name="保存召回记录").click()
    page.get_by_text("召回进行中").first.wait_for()
    page.get_by_role("button", name="关闭召回").click()
    page.get_by_test_id("recall-status").get_by_text("已结案").wait_for()
    page.screenshot(path=str(ARTIFACTS / "quality_recall_closed.png"), full_page=True)
    recall.refresh_from_db()
    assert recall.status == "closed" and recall.assignee == quality
