"""Every registration, whatever its tier and level, reaches someone who may approve it (issue 11, item 12)."""
import itertools

import pytest
from django.test import Client
from django.urls import reverse

from crm import roles as r
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from customers.tests.test_views import form_data

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("first_review", [False, True], ids=["direct", "first-review"])
@pytest.mark.parametrize("tier,level", list(itertools.product("ABCDE", ["internal", "confidential", "secret"])))
def test_each_tier_and_level_is_approved_through_the_queue(make_user, tier, level, first_review):
    unit = OrgUnitFactory(code="AP01", requires_first_review=first_review)
    rep = make_user(r.SALES_REP, units=[unit])
    people = {
        "supervisor": make_user(r.SALES_SUPERVISOR, units=[unit]),
        "manager": make_user(r.SALES_MANAGER, units=[unit]),
        "head": make_user(r.MARKETING_HEAD, units=[unit]),
    }
    as_rep = signed_in(rep)
    as_rep.post(reverse("customers:create"), form_data(unit, name=f"{tier}{level}客户", tier=tier, confidentiality_level=level))
    customer = Customer.objects.get()
    assert (customer.tier, customer.confidentiality_level) == (tier, level)
    as_rep.post(reverse("customers:action", args=[customer.pk, "submit"]), {"acknowledge": "1"})
    steps = ["manager"]
    if level == "secret":
        steps = ["head"]  # nobody below the marketing head sees a secret record
    elif first_review:
        steps = ["supervisor", "manager"]
    for who, step in zip(steps, ["first_review"] * (len(steps) - 1) + ["approve"]):
        client = signed_in(people[who])
        assert customer.name in client.get(reverse("customers:approvals")).content.decode(), who
        assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
        client.post(reverse("customers:action", args=[customer.pk, step]), {"next": "queue"})
    customer.refresh_from_db()
    assert customer.registration_status == Customer.Registration.APPROVED
    assert customer.customer_code == f"{unit.code}-000001"


def test_a_sales_manager_neither_sees_nor_approves_a_secret_registration(make_user):
    unit = OrgUnitFactory(code="AP02")
    rep, manager = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_MANAGER, units=[unit])
    signed_in(rep).post(reverse("customers:create"), form_data(unit, tier="A"))
    customer = Customer.objects.get()
    signed_in(rep).post(reverse("customers:action", args=[customer.pk, "submit"]), {"acknowledge": "1"})
    client = signed_in(manager)
    assert customer.name not in client.get(reverse("customers:approvals")).content.decode()
    assert client.post(reverse("customers:action", args=[customer.pk, "approve"])).status_code == 404
    customer.refresh_from_db()
    assert customer.registration_status == Customer.Registration.SUBMITTED
