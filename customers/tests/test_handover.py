"""Handover moves only what the manager may see and manage, only to sales staff of the customer's
unit (or above), never to the manager himself without a second approver, always audited (issue 11, item 2)."""
import pytest
from django.test import Client
from django.urls import reverse

from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers import services
from customers.models import Customer, HandoverRequest
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(make_user):
    hq = OrgUnitFactory(code="HQ")
    sh, bj = OrgUnitFactory(code="SH", parent=hq), OrgUnitFactory(code="BJ", parent=hq)
    return {
        "hq": hq, "sh": sh, "bj": bj,
        "manager": make_user(r.SALES_MANAGER, units=[sh]),
        "second": make_user(r.SALES_MANAGER, units=[sh]),
        "bj_manager": make_user(r.SALES_MANAGER, units=[bj]),
        "head": make_user(r.MARKETING_HEAD),
        "sh_rep": make_user(r.SALES_REP, units=[sh]),
        "heir": make_user(r.SALES_REP, units=[sh]),
        "hq_supervisor": make_user(r.SALES_SUPERVISOR, units=[hq]),
        "bj_rep": make_user(r.SALES_REP, units=[bj]),
        "finance": make_user(r.FINANCE, units=[sh]),
        "archivist": make_user(r.ARCHIVIST, units=[sh]),
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def owner_of(customer):
    return Customer.objects.get(pk=customer.pk).account_manager


def test_a_manager_cannot_take_another_units_secret_customer(org):
    secret = CustomerFactory(unit=org["bj"], created_by=org["bj_rep"], tier="A")
    response = signed_in(org["manager"]).post(
        reverse("customers:handover"),
        {"from_user": org["bj_rep"].pk, "to_users": [org["manager"].pk], "customers": secret.customer_code},
    )
    assert response.status_code == 200 and "不是该业务员的客户" in response.content.decode()
    assert owner_of(secret) == org["bj_rep"] and not HandoverRequest.objects.exists()
    assert signed_in(org["manager"]).get(reverse("customers:detail", args=[secret.pk])).status_code == 404


def test_only_customers_the_manager_sees_and_manages_move(org):
    rep = org["sh_rep"]
    mine = CustomerFactory(unit=org["sh"], created_by=rep, tier="C")
    secret = CustomerFactory(unit=org["sh"], created_by=rep, tier="A")
    elsewhere = CustomerFactory(unit=org["bj"], created_by=rep, tier="C")
    moved = services.handover_customers(actor=org["manager"], from_user=rep, to_users=[org["heir"]], reason="调岗")
    assert moved == 1
    assert (owner_of(mine), owner_of(secret), owner_of(elsewhere)) == (org["heir"], rep, rep)


@pytest.mark.parametrize("who", ["finance", "archivist", "bj_rep", "bj_manager"])
def test_customers_go_only_to_sales_staff_of_their_unit_or_above(org, who):
    customer = CustomerFactory(unit=org["sh"], created_by=org["sh_rep"])
    with pytest.raises(services.CustomerError):
        services.handover_customers(actor=org["manager"], from_user=org["sh_rep"], to_users=[org[who]])
    assert owner_of(customer) == org["sh_rep"]


def test_the_target_list_offers_only_sales_staff_of_the_unit_or_above(org):
    CustomerFactory(unit=org["sh"], created_by=org["sh_rep"])
    form = signed_in(org["manager"]).get(reverse("customers:handover")).context["form"]
    offered = set(form.fields["to_users"].queryset)
    assert {org["heir"], org["hq_supervisor"], org["second"], org["manager"]} <= offered
    assert not offered & {org["finance"], org["archivist"], org["bj_rep"], org["bj_manager"], org["head"]}
    # A unit above may take over too; the target list and the service agree.
    services.handover_customers(actor=org["manager"], from_user=org["sh_rep"], to_users=[org["hq_supervisor"]])
    assert Customer.objects.get().account_manager == org["hq_supervisor"]


def test_the_owner_table_counts_only_what_the_manager_may_hand_over(org):
    CustomerFactory(unit=org["sh"], created_by=org["sh_rep"])
    CustomerFactory.create_batch(3, unit=org["bj"], created_by=org["bj_rep"])
    owners = signed_in(org["manager"]).get(reverse("customers:handover")).context["owners"]
    assert [(u, u.owned) for u in owners] == [(org["sh_rep"], 1)]


def test_every_handover_is_audited(org):
    customers = CustomerFactory.create_batch(2, unit=org["sh"], created_by=org["sh_rep"])
    services.handover_customers(actor=org["manager"], from_user=org["sh_rep"], to_users=[org["heir"]], reason="离职")
    entry = AuditEntry.objects.get(action="handover")
    assert entry.actor == org["manager"] and entry.reason == "离职"
    assert entry.customer_ids == sorted(c.pk for c in customers)
    assert entry.detail["from"] == org["sh_rep"].pk and entry.detail["to"] == [org["heir"].pk]


def test_handing_to_oneself_waits_for_a_second_manager(org):
    customer = CustomerFactory(unit=org["sh"], created_by=org["sh_rep"])
    page = signed_in(org["manager"]).post(
        reverse("customers:handover"), {"from_user": org["sh_rep"].pk, "to_users": [org["manager"].pk], "reason": "大客户"},
        follow=True,
    ).content.decode()
    assert "等待另一位销售经理确认" in page
    request = HandoverRequest.objects.get()
    assert request.status == "pending" and owner_of(customer) == org["sh_rep"]
    assert not AuditEntry.objects.filter(action="handover").exists()

    # Neither the requester nor a manager of another unit may confirm it, nor even see it.
    decide = reverse("customers:handover_request_decide", args=[request.pk])
    for user in (org["manager"], org["bj_manager"], org["sh_rep"]):
        client = signed_in(user)
        assert client.post(decide, {"decision": "approve"}).status_code == 404
        listing = client.get(reverse("customers:handover_requests"))
        assert listing.status_code == 403 or request not in listing.context["pending"]
    assert owner_of(customer) == org["sh_rep"]

    second = signed_in(org["second"])
    assert f'href="{reverse("customers:handover_requests")}" data-testid="queue-card"' in second.get(reverse("home")).content.decode()
    assert f'data-testid="handover-request-{request.pk}"' in second.get(reverse("customers:handover_requests")).content.decode()
    second.post(decide, {"decision": "approve", "comment": "同意"})
    request.refresh_from_db()
    assert request.status == "approved" and request.approver == org["second"]
    assert owner_of(customer) == org["manager"]
    entry = AuditEntry.objects.get(action="handover")
    assert entry.actor == org["second"] and entry.detail["requested_by"] == org["manager"].pk


def test_the_service_refuses_a_direct_handover_to_oneself(org):
    customer = CustomerFactory(unit=org["sh"], created_by=org["sh_rep"])
    with pytest.raises(services.CustomerError):
        services.handover_customers(actor=org["manager"], from_user=org["sh_rep"], to_users=[org["manager"]])
    assert owner_of(customer) == org["sh_rep"]


def test_the_marketing_head_may_refuse_a_self_handover(org):
    customer = CustomerFactory(unit=org["sh"], created_by=org["sh_rep"])
    request = services.request_self_handover(actor=org["manager"], from_user=org["sh_rep"])
    signed_in(org["head"]).post(reverse("customers:handover_request_decide", args=[request.pk]), {"decision": "reject"})
    request.refresh_from_db()
    assert request.status == "rejected" and owner_of(customer) == org["sh_rep"]
    with pytest.raises(services.CustomerError):
        services.approve_handover_request(actor=org["second"], request_id=request.pk)


def test_the_marketing_head_finds_an_heir_for_a_departing_reps_secret_customer(org):
    """No sales manager sees a secret customer, so the marketing head hands it over."""
    secret = CustomerFactory(unit=org["bj"], created_by=org["bj_rep"], tier="A")
    assert secret.confidentiality_level == "secret"
    response = signed_in(org["head"]).post(
        reverse("customers:handover"),
        {"from_user": org["bj_rep"].pk, "to_users": [org["hq_supervisor"].pk], "customers": secret.customer_code},
    )
    assert response.status_code == 302
    assert owner_of(secret) == org["hq_supervisor"]
    assert AuditEntry.objects.get(action="handover").customer_ids == [secret.pk]


def test_the_handover_form_labels_carry_no_stray_colon(org):
    """A label that ends in its own words read 该业务员离职：移交后停用其账户: with Django's ':' added."""
    page = signed_in(org["manager"]).get(reverse("customers:handover")).content.decode()
    assert "停用其账户</label>" in page and "停用其账户:" not in page and "移交给:" not in page
