"""Complaints move through service.services.COMPLAINT: every move of the map, each writes an event,
and only those DOMAIN §3 names may take each step."""
import pytest

from crm import roles as r
from crm.testing import check_move, workflow_cases
from customers.tests.factories import CustomerFactory
from service import services
from service.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, unit):
    owner = make_user(r.SALES_REP, units=[unit])
    return {
        "owner": owner,
        "customer": CustomerFactory(unit=unit, created_by=owner),
        "cs": make_user(r.CS_SPECIALIST, units=[unit]),
        "cs_manager": make_user(r.CS_MANAGER, units=[unit]),
        "sales_manager": make_user(r.SALES_MANAGER, units=[unit]),
    }


def complaint(people, status=Complaint.Status.OPEN):
    c = services.register_complaint(actor=people["owner"], customer=people["customer"], category="service",
                                    description="送货延误")
    Complaint.objects.filter(pk=c.pk).update(status=status)
    c.refresh_from_db()
    return c


@pytest.mark.parametrize("source,target,allowed", workflow_cases(services.COMPLAINT))
def test_every_complaint_move(source, target, allowed, people):
    check_move(services.COMPLAINT, lambda state: complaint(people, state), source, target, allowed,
               actor=people["cs_manager"])


def test_each_step_leaves_an_event_with_who_and_from_to(people):
    c = complaint(people)
    services.respond_to_complaint(actor=people["cs"], complaint_id=c.pk)
    services.resolve_complaint(actor=people["cs"], complaint_id=c.pk, resolution="补发")
    services.confirm_complaint(actor=people["owner"], complaint_id=c.pk)
    rows = list(ComplaintEvent.objects.filter(complaint=c).values_list("kind", "actor", "data"))
    assert rows == [
        ("registered", people["owner"].pk, {"to": "open"}),
        ("responded", people["cs"].pk, {"from": "open", "to": "responded"}),
        ("resolved", people["cs"].pk, {"from": "responded", "to": "resolved"}),
        ("confirmed", people["owner"].pk, {"from": "resolved", "to": "confirmed"}),
    ]


def test_a_colleague_who_sees_the_customer_may_not_answer_or_solve_it(people):
    c = complaint(people)
    for step in (
        lambda: services.respond_to_complaint(actor=people["sales_manager"], complaint_id=c.pk),
        lambda: services.resolve_complaint(actor=people["sales_manager"], complaint_id=c.pk, resolution="x"),
    ):
        with pytest.raises(services.ServiceError) as refused:
            step()
        assert refused.value.code == "service.complaint_not_yours"
    c.refresh_from_db()
    assert c.status == "open" and not c.events.exclude(kind="registered").exists()


def test_the_customers_confirmation_is_recorded_by_the_owner_or_the_cs_manager(people):
    c = complaint(people, Complaint.Status.RESOLVED)
    with pytest.raises(services.ServiceError, match="不|not"):
        services.confirm_complaint(actor=people["cs"], complaint_id=c.pk)
    assert services.confirm_complaint(actor=people["cs_manager"], complaint_id=c.pk).status == "confirmed"


def test_the_page_refuses_a_step_with_a_message_not_a_500(client, people):
    from django.urls import reverse

    c = complaint(people)
    client.force_login(people["sales_manager"])
    response = client.post(reverse("service:complaint_detail", args=[c.pk]), {"action": "respond"}, follow=True)
    assert response.status_code == 200
    assert [m.message for m in response.context["messages"]] == ["这个客诉不归您处理。"]
    c.refresh_from_db()
    assert c.status == "open"


def test_the_page_offers_only_the_steps_the_user_may_take(client, people):
    from django.urls import reverse

    c = complaint(people)
    client.force_login(people["sales_manager"])
    page = client.get(reverse("service:complaint_detail", args=[c.pk])).content.decode()
    assert 'value="respond"' not in page and 'value="resolve"' not in page
    client.force_login(people["cs"])
    page = client.get(reverse("service:complaint_detail", args=[c.pk])).content.decode()
    assert 'value="respond"' in page and 'value="resolve"' in page
