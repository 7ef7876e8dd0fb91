from datetime import date

import pytest
from django.urls import reverse

from crm import roles as r
from customers.tests.factories import CustomerFactory
from service import services
from service.models import Complaint

pytestmark = pytest.mark.django_db


def test_inbox_lists_due_revisits_overdue_first_and_drops_them_once_visited(client, make_user, unit):
    rep, partner = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    old = CustomerFactory(unit=unit, created_by=rep, name="老客户", registered_on=date(2020, 1, 1),
                          last_verified_on=date.today(), static_reviewed_on=date.today())
    client.force_login(rep)
    page = client.get(reverse("service:inbox")).content.decode()
    assert "老客户" in page and "逾期" in page
    response = client.post(f"{reverse('service:visit_new')}?customer={old.pk}", {
        "customer": old.pk, "visited_on": date.today().isoformat(), "channel": "phone", "content": "回访",
        "participants": [partner.pk],
    })
    assert response.status_code == 302
    assert "老客户" not in client.get(reverse("service:inbox")).content.decode()


def test_visit_page_is_404_for_an_invisible_customer(client, make_user, unit):
    other = CustomerFactory(unit=unit)
    client.force_login(make_user(r.SALES_REP, units=[unit]))
    assert client.get(reverse("service:visit_new"), {"customer": other.pk}).status_code == 404
    assert client.get(reverse("service:complaint_new"), {"customer": other.pk}).status_code == 404


def test_complaint_lifecycle_and_escalation(client, make_user, unit):
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Notification

    rep, cs_manager = make_user(r.SALES_REP, units=[unit]), make_user(r.CS_MANAGER)
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    response = client.post(f"{reverse('service:complaint_new')}?customer={customer.pk}",
                           {"customer": customer.pk, "category": "service", "channel": "phone", "description": "态度差"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.number.startswith("KS-")
    later = timezone.now() + timedelta(days=10)
    assert services.escalate_late_complaints(later) == 1
    assert services.escalate_late_complaints(later) == 0  # once only
    assert Notification.objects.filter(recipient=cs_manager).count() == 1
    for action, extra in (("respond", {}), ("resolve", {"resolution": "道歉并补偿"}), ("confirm", {})):
        client.post(reverse("service:complaint_detail", args=[complaint.pk]), {"action": action, **extra})
    complaint.refresh_from_db()
    assert complaint.status == "confirmed" and complaint.resolution == "道歉并补偿"


def test_inbox_lists_verifications_and_new_account_deadlines(make_user, unit):
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import CustomerEvent
    from service.selectors import inbox

    rep = make_user(r.SALES_REP, units=[unit])
    stale = CustomerFactory(unit=unit, created_by=rep, name="久未核实", registered_on=date(2020, 1, 1))
    type(stale).objects.filter(pk=stale.pk).update(last_verified_on=timezone.localdate() - timedelta(days=120))
    fresh = CustomerFactory(unit=unit, created_by=rep, name="新零售户", profile_type="retail", registered_on=timezone.localdate(),
                            created_at=timezone.now() - timedelta(days=10))  # deadlines count from creation
    type(fresh).objects.filter(pk=fresh.pk).update(last_verified_on=timezone.localdate())
    CustomerEvent.objects.create(customer=fresh, kind="approved", at=timezone.now())
    items = {i.kind: i for i in inbox(rep)}
    assert "久未核实" in items["verification"].title and items["verification"].overdue
    assert "新零售户" in items["new_account"].title and items["new_account"].overdue
    overdue = [i.overdue for i in inbox(rep)]
    assert overdue == sorted(overdue, reverse=True)  # overdue items first


def test_navigation_shows_the_inbox_count(client, make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    CustomerFactory(unit=unit, created_by=rep, registered_on=date(2020, 1, 1))
    client.force_login(rep)
    assert reverse("service:inbox_count") in client.get(reverse("home")).content.decode()  # htmx loads it
    badge = client.get(reverse("service:inbox_count")).content.decode()
    from service.selectors import inbox

    assert 'data-testid="nav-inbox-count"' in badge and f">{len(inbox(rep))}<" in badge and len(inbox(rep)) == 2


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.parametrize("day", ["not-a-date", "2026-02-30"])
def test_a_roll_up_for_a_day_that_is_no_date_gives_the_page_with_a_message(client, make_user, unit, day):
    client.force_login(make_user(r.SALES_SUPERVISOR, units=[unit]))
    response = client.get(reverse("service:inquiries"), {"period": "week", "day": day})
    assert response.status_code == 200
    assert any("无法识别" in m for m in _messages(response)), _messages(response)


@pytest.mark.parametrize("field,value", [("companions", "abc"), ("companions", "99999999999999999999"),
                                         ("how", "fax"), ("name", "名" * 61)])
def test_an_inquiry_with_a_bad_value_is_refused_with_a_message_and_nothing_is_stored(client, make_user, unit,
                                                                                      field, value):
    from service.models import Inquiry

    client.force_login(make_user(r.SALES_REP, units=[unit]))
    data = {"how": "phone", "name": "王先生", "companions": "1", "summary": "咨询", field: value}
    response = client.post(reverse("service:inquiries"), data, follow=True)
    assert response.status_code == 200
    assert not Inquiry.objects.exists()
    assert _messages(response), "the rep is told what was wrong"


def test_a_valid_inquiry_is_logged_through_the_form(client, make_user, unit):
    from service.models import Inquiry

    rep = make_user(r.SALES_REP, units=[unit])
    client.force_login(rep)
    client.post(reverse("service:inquiries"), {"how": "walk_in", "name": " 王先生 ", "companions": "2", "summary": "看样品",
                                               "trial": "1"})
    inquiry = Inquiry.objects.get()
    assert (inquiry.unit, inquiry.rep, inquiry.how, inquiry.name, inquiry.companions, inquiry.trial) == (
        unit, rep, "walk_in", "王先生", 2, True)


@pytest.mark.parametrize("next_url", ["//example.com/", "https://example.com/x", "/\\example.com", "javascript:alert(1)"])
def test_the_visit_form_never_redirects_off_site(client, make_user, unit, next_url):
    rep, partner = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    response = client.post(reverse("service:visit_new"), {
        "customer": customer.pk, "visited_on": date.today().isoformat(), "channel": "phone", "content": "回访",
        "participants": [partner.pk], "next": next_url,
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_visit_form_still_returns_to_a_page_of_this_site(client, make_user, unit):
    rep, partner = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    back = reverse("customers:detail", args=[customer.pk])
    response = client.post(reverse("service:visit_new"), {
        "customer": customer.pk, "visited_on": date.today().isoformat(), "channel": "phone", "content": "回访",
        "participants": [partner.pk], "next": back,
    })
    assert response["Location"] == back


def test_care_opt_out_with_a_garbage_value_changes_nothing(client, make_user, unit):
    from service.models import CareOptOut

    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    CareOptOut.objects.create(customer=customer, recorded_by=rep)
    client.force_login(rep)
    response = client.post(reverse("service:care_opt_out", args=[customer.pk]), {"opt_out": "maybe"}, follow=True)
    assert CareOptOut.objects.filter(customer=customer).exists()
    assert _messages(response)


def test_hostile_ids_in_the_pool_and_visit_pages_are_404_or_a_message(client, make_user, unit):
    client.force_login(make_user(r.SALES_REP, units=[unit]))
    assert client.get(reverse("service:visit_new"), {"customer": "²"}).status_code == 404
    assert client.post(reverse("service:pool"), {"customer": "99999999999999999999"}).status_code == 302


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_complaint_steps_go_through_a_form_and_bad_ones_are_a_message(client, make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    complaint = services.register_complaint(actor=rep, customer=CustomerFactory(unit=unit, created_by=rep),
                                            category="service", description="态度差")
    client.force_login(rep)
    url = reverse("service:complaint_detail", args=[complaint.pk])
    response = client.post(url, {"action": "reopen"})  # not a step: a message, not a 404
    assert response.status_code == 302 and any("有效的选项" in m for m in _messages(response))
    client.post(url, {"action": "respond"})
    response = client.post(url, {"action": "resolve", "resolution": "   "})
    assert response.status_code == 302 and any("解决" in m for m in _messages(response))
    complaint.refresh_from_db()
    assert complaint.status == "responded"
    response = client.post(url, {"action": "confirm"})  # not resolved yet: the service refuses, as a message
    tags = [m.extra_tags for m in response.wsgi_request._messages]
    assert response.status_code == 302 and tags[-1].startswith("code-service.")  # a DomainError, via run_action


def test_a_pool_claim_needs_a_customer_number(client, make_user, unit):
    client.force_login(make_user(r.SALES_REP, units=[unit]))
    response = client.post(reverse("service:pool"), {"customer": "abc"})
    assert response.status_code == 302 and any("整数" in m for m in _messages(response))


def test_closing_an_opportunity_needs_won_or_lost_from_the_form(client, make_user, unit):
    from service import records

    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    opportunity = records.open_opportunity(actor=rep, customer=customer, title="新品试销", content="首次合作",
                                         deadline=date(2027, 6, 30))
    client.force_login(rep)
    url = reverse("service:opportunity_action", args=[opportunity.pk])
    response = client.post(url, {"action": "close", "result": "maybe"})
    assert response.status_code == 302 and any("有效的选项" in m for m in _messages(response))
    opportunity.refresh_from_db()
    assert opportunity.result == "open"
    client.post(url, {"action": "close", "result": "won"})
    opportunity.refresh_from_db()
    assert opportunity.result == "won"


def test_complaint_buttons_say_what_they_do_and_messages_what_happened(client, make_user, unit):
    """Issue 15 item 7: 已首次响应 read like a status; every step said 已保存."""
    rep = make_user(r.SALES_REP, units=[unit])
    complaint = services.register_complaint(actor=rep, customer=CustomerFactory(unit=unit, created_by=rep),
                                            category="service", description="送货晚了")
    client.force_login(rep)
    url = reverse("service:complaint_detail", args=[complaint.pk])
    page = client.get(url).content.decode()
    assert "记录首次响应" in page and "已首次响应" not in page
    said = [str(m) for m in client.post(url, {"action": "respond"}, follow=True).context["messages"]]
    assert said == ["已记录首次响应。"]
    said = [str(m) for m in client.post(url, {"action": "resolve", "resolution": "补发"}, follow=True).context["messages"]]
    assert said == ["已记录解决方案，等待客户确认。"]
    assert "记录客户确认" in client.get(url).content.decode()


def test_a_tier_proposal_is_kept_from_the_customer_page_and_other_units_tasks_do_not_exist(client, make_user, unit):
    """Issue 14 item 4: the customer page's task panel dismisses the proposal with a reason; a sales manager of a
    sibling unit gets 404 for the task, a missing reason is said in Chinese and changes nothing."""
    from crm.tests.factories import OrgUnitFactory
    from service.models import FollowUpTask

    manager = make_user(r.SALES_MANAGER, units=[unit])
    sibling_manager = make_user(r.SALES_MANAGER, units=[OrgUnitFactory(code="BJ01")])
    customer = CustomerFactory(unit=unit, name="评级户", tier="C")
    task = FollowUpTask.objects.create(customer=customer, kind="tier_review", period="2026Q2", due_on=date(2026, 4, 15))
    url = reverse("service:task_action", args=[task.pk, "dismiss"])
    client.force_login(sibling_manager)
    assert client.post(url, {"reason": "保持"}).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 404
    assert client.post(reverse("service:task_action", args=[task.pk, "explode"]), {}).status_code == 404
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'data-testid="task-tier_review"' in page and "保持等级" in page
    response = client.post(url, {"reason": ""}, follow=True)
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    task.refresh_from_db()
    assert task.done_at is None
    response = client.post(url, {"reason": "一次性大单"}, follow=True)
    task.refresh_from_db()
    assert task.done_at and task.outcome == "一次性大单" and task.done_by == manager
    assert 'data-testid="task-tier_review"' not in response.content.decode()
