from datetime import date, timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm import roles as r
from customers.tests.factories import CustomerFactory
from service import records
from service.models import Inquiry, Opportunity

pytestmark = pytest.mark.django_db


def test_reps_log_inquiries_and_supervisors_see_the_weekly_rollup(client, make_user, unit):
    rep, supervisor = make_user(r.SALES_REP, units=[unit], username="rep_q"), make_user(r.SALES_SUPERVISOR, units=[unit])
    client.force_login(rep)
    for how, trial in (("phone", "0"), ("walk_in", "1"), ("walk_in", "0")):
        client.post(reverse("service:inquiries"), {"how": how, "name": "访客", "summary": "咨询", "trial": trial})
    assert Inquiry.objects.filter(rep=rep).count() == 3
    assert client.get(reverse("service:inquiries"), {"period": "week"}).status_code == 403
    client.force_login(supervisor)
    page = client.get(reverse("service:inquiries"), {"period": "week"}).content.decode()
    row = page.split('data-testid="inquiry-rollup"')[1].split("</tr>")[1]
    assert [cell.strip("<>/td ") for cell in row.split("<td>")[2:]] == ["1", "2", "1", "3"]
    response = client.get(reverse("service:inquiries"), {"period": "month", "format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    assert [c.value for c in sheet[3]][1:] == [1, 2, 1, 3]


def test_opportunity_lifecycle_and_monthly_figures(make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit], username="rep_o")
    customer = CustomerFactory(unit=unit, created_by=rep)
    with pytest.raises(records.RecordError):
        records.open_opportunity(actor=rep, customer=customer, title="x", content="y", deadline=date(2000, 1, 1))
    soon = timezone.localdate() + timedelta(days=30)
    won = records.open_opportunity(actor=rep, customer=customer, title="增购冷柜", content="从未采购过冷柜", deadline=soon)
    lost = records.open_opportunity(actor=rep, customer=customer, title="代理新品", content="新品", deadline=soon)
    records.follow_up(actor=rep, opportunity_id=won.pk, note="已报价")
    records.close_opportunity(actor=rep, opportunity_id=won.pk, result="won", reason="")
    with pytest.raises(records.RecordError):
        records.close_opportunity(actor=rep, opportunity_id=lost.pk, result="lost", reason="")
    records.close_opportunity(actor=rep, opportunity_id=lost.pk, result="lost", reason="价格高")
    rep.last_name, rep.first_name = "欧", "阳"
    rep.save()
    assert records.monthly_figures(rep, timezone.localdate()) == [("欧阳", 2, 1)]  # by name, not login
    assert Opportunity.objects.get(pk=won.pk).follow_ups.count() == 1


def test_the_monthly_opportunity_figures_count_only_the_customers_the_viewer_may_see(client, make_user, unit):
    """The opportunity page's per-rep table counted the whole company's opportunities for any supervisor."""
    from crm.tests.factories import OrgUnitFactory

    other_unit = OrgUnitFactory(code="BJ01", name="北京分公司")
    rep = make_user(r.SALES_REP, units=[unit], username="rep_here", last_name="王", first_name="五")
    stranger = make_user(r.SALES_REP, units=[other_unit], username="rep_there", last_name="赵", first_name="六")
    supervisor = make_user(r.SALES_SUPERVISOR, units=[unit])
    soon = timezone.localdate() + timedelta(days=30)
    for owner, home in ((rep, unit), (stranger, other_unit)):
        records.open_opportunity(actor=owner, customer=CustomerFactory(unit=home, created_by=owner), title="冷柜",
                                 content="增购", deadline=soon)
    assert records.monthly_figures(supervisor, timezone.localdate()) == [("王五", 1, 0)]
    client.force_login(supervisor)
    table = client.get(reverse("service:opportunities")).content.decode().split('data-testid="opportunity-figures"')[1]
    assert "王五" in table and "赵六" not in table and "rep_there" not in table
