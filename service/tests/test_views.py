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

    from confidentiality.models import Notification

    rep, cs_manager = make_user(r.SALES_REP, units=[unit]), make_user(r.CS_MANAGER)
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    response = client.post(f"{reverse('service:complaint_new')}?customer={customer.pk}",
                           {"customer": customer.pk, "category": "service", "description": "态度差"})
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
    fresh = CustomerFactory(unit=unit, created_by=rep, name="新零售户", profile_type="retail", registered_on=timezone.localdate())
    type(fresh).objects.filter(pk=fresh.pk).update(last_verified_on=timezone.localdate())
    CustomerEvent.objects.create(customer=fresh, kind="approved", at=timezone.now() - timedelta(days=10))
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
