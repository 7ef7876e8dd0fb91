"""Lowering a confidentiality level is the marketing head's approval, audited and on the timeline;
raising it is free; every path that writes the level obeys (issue 11, item 8)."""
import pytest
from django.test import Client
from django.urls import reverse

from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers import services
from customers.models import Customer, CustomerEvent, LevelChangeRequest, lowers_confidentiality
from customers.tests.factories import CustomerFactory
from customers.tests.test_views import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_user):
    unit = OrgUnitFactory(code="LV01")
    return {
        "unit": unit,
        "rep": make_user(r.SALES_REP, units=[unit]),
        "supervisor": make_user(r.SALES_SUPERVISOR, units=[unit]),
        "manager": make_user(r.SALES_MANAGER, units=[unit]),
        "head": make_user(r.MARKETING_HEAD),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def level_of(customer) -> str:
    return Customer.objects.values_list("confidentiality_level", flat=True).get(pk=customer.pk)


def test_the_rule_the_importer_shares():
    assert lowers_confidentiality("secret", "internal") and lowers_confidentiality("confidential", "internal")
    assert not lowers_confidentiality("internal", "secret") and not lowers_confidentiality("secret", "secret")
    assert not lowers_confidentiality("", "internal")  # a new record has nothing to lower


def test_the_owning_rep_cannot_declassify_on_the_edit_form(team):
    unit, rep = team["unit"], team["rep"]
    as_rep = signed_in(rep)
    as_rep.post(reverse("customers:create"), form_data(unit, tier="A"))
    customer = Customer.objects.get()
    assert customer.confidentiality_level == "secret"
    page = as_rep.post(
        reverse("customers:edit", args=[customer.pk]), form_data(unit, tier="A", confidentiality_level="internal"), follow=True
    ).content.decode()
    assert "降低密级需要营销部长批准" in page
    assert level_of(customer) == "secret"
    assert signed_in(team["supervisor"]).get(reverse("customers:detail", args=[customer.pk])).status_code == 404
    request = LevelChangeRequest.objects.get(customer=customer)
    assert (request.status, request.old_level, request.new_level, request.requester) == ("pending", "secret", "internal", rep)

    # The requester cannot approve it; the marketing head sees it in her queue and approves it.
    assert as_rep.post(reverse("customers:level_request_decide", args=[request.pk]), {"decision": "approve"}).status_code == 404
    head = signed_in(team["head"])
    assert f'href="{reverse("customers:level_requests")}" data-testid="queue-card"' in head.get(reverse("home")).content.decode()
    assert f'data-testid="level-request-{request.pk}"' in head.get(reverse("customers:level_requests")).content.decode()
    head.post(reverse("customers:level_request_decide", args=[request.pk]), {"decision": "approve", "comment": "已公开"})
    assert level_of(customer) == "internal"
    event = CustomerEvent.objects.get(customer=customer, kind=CustomerEvent.Kind.LEVEL_CHANGED)
    assert event.actor == team["head"] and event.data == {"old": "secret", "new": "internal"}
    entry = AuditEntry.objects.get(action="level_lowered")
    assert entry.actor == team["head"] and entry.customer_ids == [customer.pk] and entry.detail["requested_by"] == rep.pk


def test_a_rejected_request_changes_nothing(team):
    customer = CustomerFactory(unit=team["unit"], created_by=team["rep"], tier="B")
    request = services.change_confidentiality(actor=team["rep"], customer_id=customer.pk, level="internal", reason="x")
    signed_in(team["head"]).post(reverse("customers:level_request_decide", args=[request.pk]), {"decision": "reject"})
    request.refresh_from_db()
    assert request.status == "rejected" and level_of(customer) == "confidential"
    assert not AuditEntry.objects.filter(action="level_lowered").exists()


def test_raising_is_free(team):
    unit, rep = team["unit"], team["rep"]
    as_rep = signed_in(rep)
    as_rep.post(reverse("customers:create"), form_data(unit, tier="D"))
    customer = Customer.objects.get()
    as_rep.post(reverse("customers:edit", args=[customer.pk]), form_data(unit, tier="D", confidentiality_level="secret"))
    assert level_of(customer) == "secret" and not LevelChangeRequest.objects.exists()
    assert CustomerEvent.objects.filter(customer=customer, kind=CustomerEvent.Kind.LEVEL_CHANGED).exists()


def test_a_lower_tier_does_not_lower_the_level_by_itself(team):
    customer = CustomerFactory(unit=team["unit"], created_by=team["rep"], tier="B")
    assert customer.confidentiality_level == "confidential"
    services.change_tier(actor=team["manager"], customer_id=customer.pk, tier="D", reason="采购额下降")
    customer.refresh_from_db()
    assert customer.tier == "D" and customer.confidentiality_level == "confidential"
    assert LevelChangeRequest.objects.get(customer=customer).new_level == "internal"


@pytest.mark.parametrize("hand_set,tier,kept", [("confidential", "D", True), ("secret", "B", True), ("internal", "B", False)])
def test_a_tier_change_moves_only_a_level_that_still_holds_the_tiers_default(team, hand_set, tier, kept):
    """Issue 14 item 4: a C customer's default is internal; a level set by hand stays whatever the new tier."""
    customer = CustomerFactory(unit=team["unit"], created_by=team["rep"], tier="C")
    Customer.objects.filter(pk=customer.pk).update(confidentiality_level=hand_set)
    services.change_tier(actor=team["head"], customer_id=customer.pk, tier=tier, reason="季度评级")
    expected = hand_set if kept else "confidential"
    assert level_of(customer) == expected and not LevelChangeRequest.objects.exists()


def test_the_marketing_head_lowers_directly_and_it_is_audited(team):
    customer = CustomerFactory(unit=team["unit"], created_by=team["rep"], tier="A")
    services.change_tier(actor=team["head"], customer_id=customer.pk, tier="C", reason="降级")
    assert level_of(customer) == "internal"
    assert AuditEntry.objects.get(action="level_lowered").customer_ids == [customer.pk]


def test_the_admin_cannot_edit_the_level(team, make_user):
    customer = CustomerFactory(unit=team["unit"], created_by=team["rep"], tier="A")
    admin = make_user(is_superuser=True, is_staff=True)
    page = signed_in(admin).get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    assert 'name="confidentiality_level"' not in page
