"""Seed 003 第八条: a quality complaint opens a recall at once, assigned to the quality managers and
notified to them; the 24-hour/2-working-day clock is for the other categories."""
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from crm.models import Notification
from crm.testing import check_move, workflow_cases
from customers.tests.factories import CustomerFactory
from service import recalls, services
from service.models import Complaint, Recall, RecallEvent

pytestmark = pytest.mark.django_db

QUALITY = {"order_number": "DD-2026-001", "product": "钕铁硼磁钢 N52", "quantity": 500,
           "delivered_on": date(2026, 11, 20), "defect_count": 12, "production_date": date(2026, 11, 2),
           "responsible_department": "二车间", "shift": "夜班", "sample_kept": True}


@pytest.fixture
def team(make_user, unit):
    rep = make_user(r.SALES_REP, units=[unit])
    return {
        "rep": rep, "customer": CustomerFactory(unit=unit, created_by=rep, name="华东磁材"),
        "quality": make_user(r.QUALITY, units=[unit]), "quality2": make_user(r.QUALITY),
        "idle_quality": make_user(r.QUALITY, is_active=False), "cs_manager": make_user(r.CS_MANAGER),
    }


def quality_complaint(team, **changes):
    return services.register_complaint(actor=team["rep"], customer=team["customer"], category="quality",
                                       description="磁力不足", **{"channel": "phone", **QUALITY, **changes})


def test_a_quality_complaint_opens_its_recall_and_notifies_every_quality_manager_at_once(team):
    complaint = quality_complaint(team)
    recall = complaint.recall
    assert (recall.status, recall.product, recall.quantity, recall.production_date) == (
        "open", "钕铁硼磁钢 N52", 500, date(2026, 11, 2))
    notified = Notification.objects.filter(url=reverse("service:recall_detail", args=[recall.pk]))
    assert set(notified.values_list("recipient", flat=True)) == {team["quality"].pk, team["quality2"].pk}
    assert "KS-" in notified.first().subject
    opened = RecallEvent.objects.get(recall=recall)
    assert opened.kind == "opened" and set(opened.data["notified"]) == {team["quality"].pk, team["quality2"].pk}
    assert (complaint.channel, complaint.shift, complaint.sample_kept) == ("phone", "夜班", True)


def test_the_24_hour_clock_is_for_the_other_categories_only(team):
    quality = quality_complaint(team)
    service = services.register_complaint(actor=team["rep"], customer=team["customer"], category="service",
                                          channel="letter", description="态度差")
    assert quality.response_due is None and quality.solution_due is None
    assert service.response_due is not None and service.solution_due is not None
    assert not hasattr(service, "recall") and not Recall.objects.filter(complaint=service).exists()
    later = timezone.now() + timedelta(days=10)
    assert set(services.late_complaints(later)) == {service}
    assert services.escalate_late_complaints(later) == 1


@pytest.mark.parametrize("missing, code", [
    ({"production_date": None}, "service.quality_batch_required"),
    ({"sample_kept": None}, "service.quality_sample_required"),
    ({"defect_count": None}, "service.quality_fields_required"),
])
def test_a_quality_complaint_needs_batch_or_production_date_and_the_sample_answer(team, missing, code):
    with pytest.raises(services.ServiceError) as refused:
        quality_complaint(team, **missing)
    assert refused.value.code == code
    assert not Complaint.objects.exists() and not Recall.objects.exists()
    assert quality_complaint(team, production_date=None, batch_number="B2611-07").recall.batch_number == "B2611-07"


def test_an_unknown_channel_is_refused(team):
    with pytest.raises(services.ServiceError):
        quality_complaint(team, channel="pigeon")


def make_recall(team, status):
    recall = quality_complaint(team).recall
    Recall.objects.filter(pk=recall.pk).update(status=status, batch_number="B1", distribution="上海仓 300 件",
                                               notified="客户采购部", quantity=300)
    recall.refresh_from_db()
    return recall


@pytest.mark.parametrize("source,target,allowed", workflow_cases(recalls.RECALL))
def test_every_recall_move(source, target, allowed, team):
    check_move(recalls.RECALL, lambda state: make_recall(team, state), source, target, allowed, actor=team["quality"])


def test_the_quality_manager_records_then_closes_the_recall(team):
    recall = quality_complaint(team).recall
    with pytest.raises(recalls.RecallError) as refused:
        recalls.close_recall(actor=team["quality"], recall_id=recall.pk)
    assert refused.value.code == "service.recall_incomplete"
    recall = recalls.record_recall(actor=team["quality"], recall_id=recall.pk, quantity=2000,
                                   distribution="上海仓 1200 件，苏州经销商 800 件", notified="", shift="白班")
    assert (recall.status, recall.assignee, recall.quantity) == ("in_progress", team["quality"], 2000)
    assert Complaint.objects.get().shift == "白班"
    with pytest.raises(recalls.RecallError) as refused:
        recalls.close_recall(actor=team["quality"], recall_id=recall.pk)
    assert refused.value.code == "service.recall_incomplete" and str(Recall._meta.get_field("notified").verbose_name) in refused.value.message
    recalls.record_recall(actor=team["quality2"], recall_id=recall.pk, notified="客户采购部、苏州经销商，12月1日电话通知")
    closed = recalls.close_recall(actor=team["quality2"], recall_id=recall.pk, comment="已全部召回")
    assert closed.status == "closed" and closed.closed_at is not None
    assert list(closed.events.values_list("kind", flat=True)) == ["opened", "started", "recorded", "closed"]
    with pytest.raises(recalls.RecallError):
        recalls.record_recall(actor=team["quality"], recall_id=recall.pk, notified="x")


def test_only_quality_managers_work_on_recalls(team):
    recall = quality_complaint(team).recall
    for someone in (team["rep"], team["cs_manager"]):
        with pytest.raises(recalls.RecallError):
            recalls.record_recall(actor=someone, recall_id=recall.pk, notified="x")
        assert not recalls.RECALL.can_move(recall, "in_progress", someone)


def test_the_recall_is_in_the_quality_inbox_due_at_once(team):
    from crm.registry import inbox_for

    recall = quality_complaint(team).recall
    today = timezone.localdate()
    item = next(i for i in inbox_for(team["quality"], today) if i.kind == "recall")
    assert item.due == today and not item.overdue and item.url.endswith(f"/recalls/{recall.pk}/")
    assert next(i for i in inbox_for(team["quality"], today + timedelta(days=1)) if i.kind == "recall").overdue
    assert not [i for i in inbox_for(team["rep"], today) if i.kind == "recall"]
    recalls.start_recall(actor=team["quality"], recall_id=recall.pk)
    assert next(i for i in inbox_for(team["quality2"], today) if i.kind == "recall").due is None


def test_the_complaint_form_registers_a_quality_complaint_with_its_recall(client, team):
    client.force_login(team["rep"])
    data = {"customer": team["customer"].pk, "category": "quality", "channel": "website", "description": "磁力不足",
            **{k: ("1" if v is True else v) for k, v in QUALITY.items()}}
    response = client.post(f"{reverse('service:complaint_new')}?customer={team['customer'].pk}", data)
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.recall.status == "open" and complaint.sample_kept is True
    page = client.get(reverse("service:complaint_detail", args=[complaint.pk])).content.decode()
    assert reverse("service:recall_detail", args=[complaint.recall.pk]) in page


def test_a_quality_complaint_without_its_details_is_shown_again_with_the_reason(client, team):
    client.force_login(team["rep"])
    response = client.post(f"{reverse('service:complaint_new')}?customer={team['customer'].pk}",
                           {"customer": team["customer"].pk, "category": "quality", "channel": "phone",
                            "description": "磁力不足", "product": "N52"})
    assert response.status_code == 200 and not Complaint.objects.exists()
    page = response.content.decode()
    assert "N52" in page and "磁力不足" in page  # nothing typed is lost


def test_recall_pages_hide_the_customer_from_quality_and_are_404_to_strangers(client, team, make_user):
    recall = quality_complaint(team).recall
    url = reverse("service:recall_detail", args=[recall.pk])
    client.force_login(team["quality"])
    page = client.get(url).content.decode()
    assert "华东磁材" not in page and "钕铁硼磁钢 N52" in page
    assert "华东磁材" not in client.get(reverse("service:recalls")).content.decode()
    client.force_login(make_user(r.SALES_REP))  # another rep: cannot see the customer
    assert client.get(url).status_code == 404
    assert client.get(reverse("service:recalls")).status_code == 403
    client.force_login(team["rep"])  # the owner reads it, but may not work on it
    assert "华东磁材" in client.get(url).content.decode()
    assert client.post(url, {"notified": "x", "product": "x"}).status_code == 403
    assert client.get(reverse("service:recall_detail", args=[recall.pk + 99])).status_code == 404


def test_the_quality_manager_saves_and_closes_from_the_page(client, team):
    recall = quality_complaint(team).recall
    url = reverse("service:recall_detail", args=[recall.pk])
    client.force_login(team["quality"])
    assert client.post(url, {"product": "N52", "production_date": "2026-11-02", "quantity": "abc"}).status_code == 200
    response = client.post(url, {"product": "N52", "production_date": "2026-11-02", "quantity": "800",
                                 "distribution": "上海仓", "notified": "客户采购部"})
    assert response.status_code == 302
    client.post(url, {"action": "close"})
    recall.refresh_from_db()
    assert recall.status == "closed" and recall.quantity == 800
