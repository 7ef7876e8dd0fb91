import pytest
from django.core import mail
from django.urls import reverse

from confidentiality import services
from confidentiality.models import LeakIncident
from crm import roles as r
from crm.models import Notification

pytestmark = pytest.mark.django_db


def test_anyone_reports_and_the_gm_office_is_notified_at_once(client, make_user, django_capture_on_commit_callbacks):
    gm = make_user(r.GENERAL_MANAGER, email="gm@example.com")
    reporter = make_user()
    client.force_login(reporter)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("confidentiality:leaks"), {"description": "客户名单出现在竞争对手处"}, follow=True)
    incident = LeakIncident.objects.get()
    assert f"第 {incident.pk} 号报告已提交给总经理办公室" in response.content.decode()
    assert Notification.objects.get(recipient=gm).url == reverse("confidentiality:leak_detail", args=[incident.pk])
    assert mail.outbox[0].to == ["gm@example.com"]


def test_the_gm_records_remediation_and_penalty(make_user):
    gm, reporter, culprit = make_user(r.GENERAL_MANAGER), make_user(), make_user(r.SALES_REP)
    incident = services.report_leak(reporter=reporter, description="泄露", suspected=culprit)
    with pytest.raises(services.DataRequestError):
        services.decide_leak(actor=reporter, incident_id=incident.pk, remediation="x", penalty="none")
    with pytest.raises(services.DataRequestError):
        services.decide_leak(actor=gm, incident_id=incident.pk, remediation="收回资料", penalty="warning", deduction=50)
    services.decide_leak(actor=gm, incident_id=incident.pk, remediation="收回资料，全员培训", penalty="warning", deduction=300)
    incident.refresh_from_db()
    assert (incident.status, incident.penalty, incident.deduction, incident.decided_by) == ("closed", "warning", 300, gm)


def test_reports_are_private_to_the_reporter_and_the_gm(client, make_user):
    incident = services.report_leak(reporter=make_user(), description="x")
    client.force_login(make_user(r.SALES_MANAGER))
    assert client.get(reverse("confidentiality:leak_detail", args=[incident.pk])).status_code == 404
    client.force_login(make_user(r.GENERAL_MANAGER))
    assert client.get(reverse("confidentiality:leak_detail", args=[incident.pk])).status_code == 200
