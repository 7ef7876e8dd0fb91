"""The data requests list, the audit log's pages, and the granted customers' page (exactly the grant)."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from confidentiality import services
from confidentiality.models import AccessGrant, DataRequest
from crm import roles as r
from crm.audit import record
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_250_data_requests_page_search_and_filter_and_only_ones_own(client, make_user, unit):
    planner, other = make_user(r.PLANNER, units=[unit]), make_user(r.PLANNER, units=[unit])
    DataRequest.objects.bulk_create([
        DataRequest(requester=planner, purpose=f"项目{i:03d}推广", scope="unit", data_unit=unit,
                    form="print" if i % 4 == 0 else "view", status="rejected" if i % 2 else "submitted")
        for i in range(250)
    ])
    theirs = DataRequest.objects.create(requester=other, purpose="别人的申请", scope="unit", data_unit=unit)
    client.force_login(planner)
    url = reverse("confidentiality:requests")
    page = client.get(url)
    assert (page.context["list"].count, len(page.context["list"].rows)) == (250, 50)
    assert "新建" in page.content.decode() or "New data request" in page.content.decode()
    assert client.get(url, {"page": "5"}).context["list"].page.number == 5
    assert [x.purpose for x in client.get(url, {"q": "项目007"}).context["list"].rows] == ["项目007推广"]
    some = DataRequest.objects.filter(requester=planner).first()
    assert client.get(url, {"q": some.number}).context["list"].rows[0].pk == some.pk
    assert client.get(url, {"q": theirs.number}).context["list"].count == 0
    assert client.get(url, {"q": "别人"}).context["list"].count == 0
    assert client.get(url, {"status": "rejected", "form": "print"}).context["list"].count == 0  # even i only print
    assert client.get(url, {"status": "submitted", "form": "print"}).context["list"].count == 63
    assert client.get(url, {"q": "9" * 30}).status_code == 200


def test_the_audit_log_pages_counts_and_searches_by_person_not_by_subject(client, make_user, unit):
    alice = make_user(username="alice_w", first_name="王")
    secret = CustomerFactory(unit=OrgUnitFactory(), name="机密客户名", confidentiality_level="secret")
    for i in range(249):
        record("read", actor=alice, subject=f"第{i}条")
    record("read", actor=alice, customers=[secret], subject="机密客户名")
    client.force_login(make_user(r.SALES_MANAGER, units=[unit]))
    url = reverse("confidentiality:audit")
    first = client.get(url)
    total = AuditEntry.objects.count()
    assert first.context["list"].count == total >= 250 and len(first.context["rows"]) == 50
    assert client.get(url, {"page": "5"}).context["list"].page.number == 5
    assert client.get(url, {"q": "alice_w"}).context["list"].count == 250
    assert client.get(url, {"q": "机密客户名"}).context["list"].count == 0  # the subject is not searched
    assert "机密客户名" not in client.get(url, {"q": "alice_w"}).content.decode()
    assert client.get(url, {"action": "read", "page": "2"}).context["list"].querystring == "action=read"
    export = client.get(url, {"q": "alice_w", "format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.fixture
def granted(make_user):
    hq = OrgUnitFactory(code="HQ")
    sh, bj = OrgUnitFactory(code="SH", parent=hq), OrgUnitFactory(code="BJ", parent=hq)
    planner = make_user(r.PLANNER, units=[sh])
    bj_rep = make_user(r.SALES_REP, units=[bj])
    bj_customers = [CustomerFactory(unit=bj, created_by=bj_rep, name=f"北京客户{i}") for i in range(3)]
    CustomerFactory(unit=sh, name="上海本地客户")  # the planner's own unit: visible, but not granted
    request = services.submit_data_request(requester=planner, purpose="项目推广", scope="customers", data_unit=bj,
                                           customers=bj_customers[:2], fields=["mobile"], form="view", days=3)
    services.approve_data_request(actor=make_user(r.MARKETING_HEAD, units=[hq]), request_id=request.pk)
    services.approve_data_request(actor=make_user(r.CS_MANAGER, units=[hq]), request_id=request.pk)
    services.fulfil_data_request(actor=make_user(r.CS_SPECIALIST, units=[bj]), request_id=request.pk)
    return {"planner": planner, "request": request, "bj_customers": bj_customers}


def test_the_link_in_a_fulfilled_request_opens_exactly_the_granted_customers(client, granted, make_user):
    client.force_login(granted["planner"])
    detail = client.get(reverse("confidentiality:request_detail", args=[granted["request"].pk])).content.decode()
    url = reverse("confidentiality:request_customers", args=[granted["request"].pk])
    assert f'href="{url}"' in detail
    page = client.get(url)
    assert {c.pk for c in page.context["list"].rows} == {c.pk for c in granted["bj_customers"][:2]}
    html = page.content.decode()
    assert "北京客户0" in html and "北京客户1" in html and "北京客户2" not in html and "上海本地客户" not in html
    assert [c.name for c in client.get(url, {"q": "客户1"}).context["list"].rows] == ["北京客户1"]
    # Someone else's request: 404; once the grant has expired: back to the request with a message.
    client.force_login(make_user(r.PLANNER))
    assert client.get(url).status_code == 404
    client.force_login(granted["planner"])
    AccessGrant.objects.filter(request=granted["request"]).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.get(url, follow=True)
    assert expired.redirect_chain[-1][0] == reverse("confidentiality:request_detail", args=[granted["request"].pk])
    assert expired.context["messages"]


def test_leak_reports_page_search_and_filter_and_a_reporter_sees_only_their_own(client, make_user):
    from confidentiality.models import LeakIncident

    reporter, gm = make_user(), make_user(r.GENERAL_MANAGER)
    LeakIncident.objects.bulk_create([
        LeakIncident(reported_by=reporter, description=f"名单外传{i:03d}", status="closed" if i % 2 else "reported")
        for i in range(250)
    ])
    LeakIncident.objects.create(reported_by=gm, description="总经理办公室自报")
    url = reverse("confidentiality:leaks")
    client.force_login(gm)
    page = client.get(url).context["list"]
    assert (page.count, len(page.rows)) == (251, 50)
    assert client.get(url, {"q": "名单外传007"}).context["list"].count == 1
    assert client.get(url, {"status": "closed", "page": "3"}).context["list"].page.number == 3
    assert client.get(url, {"status": "closed"}).context["list"].count == 125
    client.force_login(reporter)
    assert client.get(url).context["list"].count == 250
    assert client.get(url, {"q": "总经理"}).context["list"].count == 0
