from datetime import date, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from crm import roles as r
from crm.models import Notification
from customers.models import Customer, CustomerChange
from customers.tests.factories import CustomerFactory
from service import pool
from service.models import PoolEvent

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)


def on(day: date):
    return mock.patch("django.utils.timezone.now", return_value=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 8)))


def test_d_tier_customer_returns_after_one_warning(make_user, unit):
    owner = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=owner, tier="D", registered_on=START)
    assert pool.sweep(START + timedelta(days=52)) == {"warned": 0, "returned": 0}  # 60 days, warned 7 before
    with on(START + timedelta(days=53)):
        assert pool.sweep(START + timedelta(days=53)) == {"warned": 1, "returned": 0}
        assert pool.sweep(START + timedelta(days=53)) == {"warned": 0, "returned": 0}  # once per quiet spell
    assert Notification.objects.filter(recipient=owner).count() == 1
    with on(START + timedelta(days=60)):
        assert pool.sweep(START + timedelta(days=60)) == {"warned": 0, "returned": 1}
    c.refresh_from_db()
    assert c.account_manager is None
    assert CustomerChange.objects.filter(customer=c, field="account_manager", old_value=str(owner.pk), new_value="").exists()
    assert list(PoolEvent.objects.filter(customer=c).values_list("kind", flat=True).order_by("at")) == ["warned", "returned"]


def test_never_returned_without_a_warning(make_user, unit):
    owner = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=owner, tier="E", registered_on=START)
    with on(START + timedelta(days=100)):
        assert pool.sweep(START + timedelta(days=100)) == {"warned": 1, "returned": 0}  # warned first, even when late
    c.refresh_from_db()
    assert c.account_manager == owner


def test_exempt_a_tier_never_returns(make_user, unit):
    owner = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=owner, tier="A", registered_on=START)
    for day in (100, 400, 800):
        assert pool.sweep(START + timedelta(days=day)) == {"warned": 0, "returned": 0}
    c.refresh_from_db()
    assert c.account_manager == owner


def test_reps_claim_from_their_units_pool_up_to_the_cap(make_user, unit, settings):
    settings.CRM_POOL_CLAIM_CAP = 2
    rep = make_user(r.SALES_REP, units=[unit])
    pooled = [CustomerFactory(unit=unit, created_by=rep, account_manager=None, tier="D") for _ in range(3)]
    assert set(pool.pool(rep).values_list("pk", flat=True)) == {c.pk for c in pooled}
    pool.claim(actor=rep, customer_id=pooled[0].pk)
    pool.claim(actor=rep, customer_id=pooled[1].pk)
    with pytest.raises(pool.PoolError, match="30"):
        pool.claim(actor=rep, customer_id=pooled[2].pk)
    assert Customer.objects.filter(account_manager=rep).count() == 2
    assert PoolEvent.objects.filter(kind="claimed", user=rep).count() == 2


def test_other_units_pool_and_secret_customers_are_not_claimable(make_user, unit):
    from crm.tests.factories import OrgUnitFactory

    rep = make_user(r.SALES_REP, units=[unit])
    elsewhere = CustomerFactory(unit=OrgUnitFactory(code="BJ"), account_manager=None, tier="D")
    secret = CustomerFactory(unit=unit, account_manager=None, tier="A")
    for c in (elsewhere, secret):
        with pytest.raises(pool.PoolError):
            pool.claim(actor=rep, customer_id=c.pk)


def test_pool_page_lets_a_rep_claim(client, make_user, unit):
    from django.urls import reverse

    rep = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=rep, account_manager=None, tier="D", mobile="13911112222")
    client.force_login(rep)
    page = client.get(reverse("service:pool")).content.decode()
    assert c.name in page and "13911112222" not in page
    client.post(reverse("service:pool"), {"customer": c.pk})
    c.refresh_from_db()
    assert c.account_manager == rep


def test_no_deal_rule_returns_customers_that_are_visited_but_never_buy(make_user, unit):
    from service.models import PoolRule, Visit

    PoolRule.objects.filter(tier="C").update(no_deal_days=90, no_followup_days=365)
    owner = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=owner, tier="C", registered_on=START)
    Visit.objects.create(customer=c, channel="phone", content="回访", created_by=owner, visited_on=START + timedelta(days=80))
    with on(START + timedelta(days=84)):
        assert pool.sweep(START + timedelta(days=84)) == {"warned": 1, "returned": 0}
    with on(START + timedelta(days=91)):
        assert pool.sweep(START + timedelta(days=91)) == {"warned": 0, "returned": 1}
