"""The service lists (complaints, opportunities, weekly visits), the pipeline board and the visit form's rules."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from crm.testing import check_move, workflow_cases
from crm.tests.factories import OrgUnitFactory
from customers.tests.factories import CustomerFactory
from service import records
from service.models import Complaint, Opportunity, OpportunityEvent, Visit

pytestmark = pytest.mark.django_db


def _complaints(customers, n):
    now = timezone.now()
    Complaint.objects.bulk_create([
        Complaint(number=f"KS-202612-{i:04d}", customer=customers[i % len(customers)],
                  category="quality" if i % 3 == 0 else "service", description="描述", received_at=now - timedelta(hours=i),
                  status="open" if i % 2 else "resolved", response_due=now, solution_due=now.date(),
                  escalated_at=now if i % 10 == 0 else None)
        for i in range(n)
    ])


def test_250_complaints_page_search_and_filter_and_stay_within_the_visible_customers(client, make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    mine = [CustomerFactory(unit=unit, created_by=rep, name=f"华联超市{i}") for i in range(5)]
    _complaints(mine, 250)
    hidden = CustomerFactory(unit=OrgUnitFactory(), name="外单位客户")
    Complaint.objects.create(number="KS-202612-9999", customer=hidden, category="other", description="x",
                             response_due=timezone.now(), solution_due=date.today())
    client.force_login(rep)
    url = reverse("service:complaints")
    page = client.get(url)
    assert page.context["list"].count == 250 and len(page.context["list"].rows) == 50
    html = page.content.decode()
    assert "共 250 条" in html and "第 1 页，共 5 页" in html and "KS-202612-9999" not in html
    assert 'href="/service/new/complaint/customer/"' in html  # 新建 on the list
    last = client.get(url, {"page": "5"}).context["list"]
    assert len(last.rows) == 50 and last.page.number == 5
    assert client.get(url, {"q": "KS-202612-0007"}).context["list"].count == 1
    assert client.get(url, {"q": "华联超市3"}).context["list"].count == 50
    assert client.get(url, {"q": "外单位客户"}).context["list"].count == 0  # search never reaches beyond what one may see
    filtered = client.get(url, {"status": "open", "category": "quality", "page": "2"})
    assert filtered.context["list"].count == len([i for i in range(250) if i % 2 and i % 3 == 0])
    assert "status=open&amp;category=quality&amp;page=" in filtered.content.decode()  # pages keep the filters
    assert client.get(url, {"escalated": "1"}).context["list"].count == 25
    bad = client.get(url, {"status": "gone", "since": "2026-02-30"}, follow=True)
    assert bad.status_code == 200 and bad.context["list"].count == 250
    assert any("忽略" in str(m) for m in bad.context["messages"])


def test_new_complaint_from_the_list_starts_with_the_customer_the_user_may_see(client, make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    mine = CustomerFactory(unit=unit, created_by=rep, name="联华便利")
    CustomerFactory(unit=OrgUnitFactory(), name="联华外地")
    client.force_login(rep)
    assert client.get(reverse("service:complaint_new"))["Location"] == reverse("service:pick_customer", args=["complaint"])
    found = client.get(reverse("service:pick_customer", args=["complaint"]), {"q": "联华"}).context["customers"]
    assert [c.pk for c in found] == [mine.pk]
    assert client.get(reverse("service:pick_customer", args=["nothing"])).status_code == 404


def _opportunities(rep, customers, n):
    soon = date.today() + timedelta(days=30)
    stages = list(Opportunity.Stage.values)
    Opportunity.objects.bulk_create([
        Opportunity(customer=customers[i % len(customers)], owner=rep, title=f"机会{i:03d}", content="新业务",
                    deadline=soon + timedelta(days=i % 7), stage=stages[i % 4], amount=Decimal("1000.50"),
                    result="open" if i % 5 else "won")
        for i in range(n)
    ])


def test_250_opportunities_page_search_filter_and_offer_new(client, make_user, unit):
    rep, other = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    customers = [CustomerFactory(unit=unit, created_by=rep, name=f"客户甲{i}") for i in range(3)]
    _opportunities(rep, customers, 250)
    CustomerFactory(unit=unit, created_by=other)  # not rep's: its opportunities stay unseen
    client.force_login(rep)
    url = reverse("service:opportunities")
    page = client.get(url)
    assert (page.context["list"].count, len(page.context["list"].rows)) == (250, 50)
    assert "新建机会" in page.content.decode()
    assert client.get(url, {"q": "机会007"}).context["list"].count == 1
    assert client.get(url, {"stage": "proposal", "result": "open"}).context["list"].count == len(
        [i for i in range(250) if i % 4 == 2 and i % 5])
    assert client.get(url, {"page": "5"}).context["list"].page.number == 5
    form = client.get(url, {"customer": customers[0].pk})
    assert 'data-testid="opportunity-form"' in form.content.decode()


def test_opening_an_opportunity_with_an_amount(client, make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    deadline = (date.today() + timedelta(days=9)).isoformat()
    client.post(reverse("service:opportunities"), {"customer": customer.pk, "title": "冷柜", "content": "新品类",
                                                   "deadline": deadline, "amount": "12345.67"})
    assert Opportunity.objects.get().amount == Decimal("12345.67")
    response = client.post(reverse("service:opportunities"), {"customer": customer.pk, "title": "冷柜", "content": "x",
                                                              "deadline": deadline, "amount": "-1"}, follow=True)
    assert Opportunity.objects.count() == 1 and response.context["messages"]


@pytest.fixture
def pipeline_opportunity(make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)

    def make(stage):
        return Opportunity.objects.create(customer=customer, owner=rep, title="t", content="c", stage=stage,
                                          deadline=date.today() + timedelta(days=5), amount=Decimal("10"))
    make.rep = rep
    return make


@pytest.mark.parametrize("source,target,allowed", workflow_cases(records.PIPELINE))
def test_every_move_of_the_pipeline(source, target, allowed, pipeline_opportunity):
    check_move(records.PIPELINE, pipeline_opportunity, source, target, allowed, actor=pipeline_opportunity.rep)


def test_the_board_counts_and_sums_per_stage_and_a_move_changes_them(client, make_user, unit):
    rep, stranger = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    soon = date.today() + timedelta(days=5)
    first = Opportunity.objects.create(customer=customer, owner=rep, title="甲", content="c", deadline=soon,
                                       amount=Decimal("100.10"))
    Opportunity.objects.create(customer=customer, owner=rep, title="乙", content="c", deadline=soon, amount=Decimal("50"))
    Opportunity.objects.create(customer=customer, owner=rep, title="丙", content="c", deadline=soon, amount=Decimal("7"),
                               stage="qualified")
    client.force_login(rep)
    url = reverse("service:opportunities")

    def columns():
        board = client.get(url, {"view": "board"}).context["board"]
        return {col["key"]: (col["count"], col["total"]) for col in board}

    assert columns()["found"] == (2, Decimal("150.10")) and columns()["qualified"] == (1, Decimal("7"))
    response = client.post(reverse("service:opportunity_move", args=[first.pk]),
                           {"stage": "qualified", "next": f"{url}?view=board"})
    assert response["Location"] == f"{url}?view=board"
    assert columns()["found"] == (1, Decimal("50")) and columns()["qualified"] == (2, Decimal("107.10"))
    assert OpportunityEvent.objects.get(opportunity=first).data == {"from": "found", "to": "qualified"}
    # Two stages at once, a stage that does not exist, someone else's card, a closed one: refused, nothing moves.
    for data in ({"stage": "negotiation"}, {"stage": "nowhere"}):
        assert client.post(reverse("service:opportunity_move", args=[first.pk]), data, follow=True).context["messages"]
    client.force_login(stranger)
    assert client.post(reverse("service:opportunity_move", args=[first.pk]), {"stage": "proposal"}).status_code == 404
    client.force_login(make_user(r.SALES_MANAGER, units=[unit]))
    Opportunity.objects.filter(pk=first.pk).update(result="lost")
    client.post(reverse("service:opportunity_move", args=[first.pk]), {"stage": "proposal"})
    first.refresh_from_db()
    assert first.stage == "qualified"
    assert client.get(reverse("service:opportunity_move", args=[first.pk])).status_code == 405


def test_weekly_visits_move_between_weeks(client, make_user, unit):
    rep, partner = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep, name="周客户")
    visit = Visit.objects.create(customer=customer, visited_on=date(2026, 11, 18), channel="phone", content="回访",
                                 created_by=rep)
    visit.participants.set([rep, partner])
    client.force_login(rep)
    url = reverse("service:weekly")
    week = client.get(url, {"week": "2026-11-19"})
    assert week.context["monday"] == date(2026, 11, 16) and "周客户" in week.content.decode()
    assert "?week=2026-11-09" in week.content.decode() and "?week=2026-11-23" in week.content.decode()
    assert "周客户" not in client.get(url, {"week": "2026-11-23"}).content.decode()
    assert client.get(url, {"week": "garbage"}).status_code == 200


def _visit(client, customer, channel, participants=()):
    return client.post(f"{reverse('service:visit_new')}?customer={customer.pk}", {
        "customer": customer.pk, "visited_on": date.today().isoformat(), "channel": channel, "content": "首次接触",
        "participants": [p.pk for p in participants],
    })


def test_the_visit_form_states_the_two_reps_rule_before_saving_and_a_call_needs_no_second_rep(client, make_user, unit):
    rep, partner = make_user(r.SALES_REP, units=[unit], first_name="同事"), make_user(r.SALES_REP, units=[unit])
    elsewhere = make_user(r.SALES_REP, units=[OrgUnitFactory()], first_name="外地")
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    form = client.get(reverse("service:visit_new"), {"customer": customer.pk})
    html = form.content.decode()
    assert 'data-testid="first-visit-rule"' in html and "两名业务员" in html
    offered = set(form.context["form"].fields["participants"].queryset)
    assert partner in offered and elsewhere not in offered and rep not in offered
    assert 'type="checkbox"' in html and 'data-testid="companion-search"' in html
    refused = _visit(client, customer, "visit")
    assert refused.status_code == 200 and "两名业务员" in refused.content.decode()  # on the form, nothing lost
    assert not Visit.objects.exists()
    assert _visit(client, customer, "visit", [elsewhere]).status_code == 200  # not of the customer's unit
    assert _visit(client, customer, "phone").status_code == 302  # a call: no second rep needed
    assert _visit(client, customer, "visit", [partner]).status_code == 302
    assert 'data-testid="first-visit-rule"' not in client.get(reverse("service:visit_new"), {"customer": customer.pk}).content.decode()
    assert _visit(client, customer, "visit").status_code == 302  # no longer the first visit in person


def test_the_pool_pages_searches_and_filters_by_tier_within_the_units_pool(client, make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    for i in range(250):
        CustomerFactory(unit=unit, account_manager=None, tier="D" if i % 2 else "C", name=f"公海客户{i:03d}")
    CustomerFactory(unit=OrgUnitFactory(), account_manager=None, tier="D", name="外单位公海客户")
    client.force_login(rep)
    url = reverse("service:pool")
    page = client.get(url).context["list"]
    assert (page.count, len(page.rows), page.page.paginator.num_pages) == (250, 50, 5)
    assert client.get(url, {"page": "5"}).context["list"].page.number == 5
    assert [c.name for c in client.get(url, {"q": "公海客户007"}).context["list"].rows] == ["公海客户007"]
    assert client.get(url, {"q": "外单位"}).context["list"].count == 0
    assert client.get(url, {"tier": "D"}).context["list"].count == 125
