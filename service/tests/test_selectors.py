"""The inbox's badges follow one rule (issue 15 item 5): overdue is past due; due soon is its own state."""
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from customers.tests.factories import CustomerFactory
from service import selectors, services
from service.tests.test_pool import on

pytestmark = pytest.mark.django_db

DEC_1 = date(2026, 12, 1)


@pytest.fixture
def rep(make_user, unit):
    return make_user(r.SALES_REP, units=[unit])


def _customer(unit, rep, name, registered_on):
    return CustomerFactory(unit=unit, created_by=rep, name=name, registered_on=registered_on,
                           last_verified_on=DEC_1, static_reviewed_on=DEC_1)


def test_a_revisit_due_at_the_end_of_the_quarter_is_not_overdue_on_the_first_of_december(rep, unit):
    """The issue's false badge: 逾期 on 2026-12-01 for a revisit due 2026-12-31."""
    _customer(unit, rep, "本季新客户", date(2026, 10, 20))
    [item] = [i for i in selectors.inbox(rep, DEC_1) if i.kind == "revisit"]
    assert (item.due, item.state) == (date(2026, 12, 31), "open")
    [item] = [i for i in selectors.inbox(rep, date(2026, 12, 29)) if i.kind == "revisit"]
    assert (item.due, item.state) == (date(2026, 12, 31), "due_soon")


def test_a_missed_quarter_is_overdue_since_the_end_of_that_quarter(rep, unit):
    _customer(unit, rep, "老客户", date(2020, 1, 1))
    [item] = [i for i in selectors.inbox(rep, DEC_1) if i.kind == "revisit"]
    assert (item.due, item.state) == (date(2026, 9, 30), "overdue")


def test_every_dated_inbox_item_is_overdue_exactly_when_past_due(rep, unit):
    """Whatever the source: revisits, verifications, static reviews, complaints, printouts, tasks."""
    _customer(unit, rep, "老客户", date(2020, 1, 1))
    _customer(unit, rep, "本季新客户", date(2026, 10, 20))
    stale = _customer(unit, rep, "久未核实", date(2020, 1, 1))
    type(stale).objects.filter(pk=stale.pk).update(last_verified_on=DEC_1 - timedelta(days=120))
    items = [i for i in selectors.inbox(rep, DEC_1) if i.due is not None]
    assert {i.kind for i in items} >= {"revisit", "verification"}
    for item in items:
        assert item.overdue == (item.due < DEC_1), item
        assert item.due_soon == (DEC_1 <= item.due <= DEC_1 + timedelta(days=3)), item


def test_a_customer_never_verified_is_overdue_without_a_made_up_due_day(rep, unit):
    c = _customer(unit, rep, "从未核实", date(2020, 1, 1))
    type(c).objects.filter(pk=c.pk).update(last_verified_on=None)
    [item] = [i for i in selectors.inbox(rep, DEC_1) if i.kind == "verification"]
    assert item.due is None and item.overdue


def test_a_complaint_is_overdue_once_its_first_response_time_has_passed(rep, unit):
    customer = _customer(unit, rep, "投诉客户", date(2020, 1, 1))
    complaint = services.register_complaint(actor=rep, customer=customer, category="service", description="态度差",
                                            received_at=timezone.now() - timedelta(hours=25))
    [item] = [i for i in selectors.inbox(rep) if i.kind == "complaint"]
    assert item.due == complaint.response_due and item.timed and item.overdue
    services.respond_to_complaint(actor=rep, complaint_id=complaint.pk)
    complaint.refresh_from_db()
    [item] = [i for i in selectors.inbox(rep) if i.kind == "complaint"]
    assert item.due == complaint.solution_due and not item.timed
    assert item.overdue == (complaint.solution_due < timezone.localdate())


def test_inbox_page_and_nav_badge_mark_only_past_due_items(client, rep, unit):
    _customer(unit, rep, "本季新客户", date(2026, 10, 20))
    client.force_login(rep)
    with on(DEC_1):
        page = client.get(reverse("service:inbox")).content.decode()
        badge = client.get(reverse("service:inbox_count")).content.decode()
    assert 'data-state="open"' in page and "逾期" not in page and "截止 2026-12-31" in page
    assert "text-bg-danger" not in badge and ">1<" in badge
    _customer(unit, rep, "老客户", date(2020, 1, 1))
    from django.core.cache import cache

    cache.clear()
    with on(DEC_1):
        page = client.get(reverse("service:inbox")).content.decode()
        badge = client.get(reverse("service:inbox_count")).content.decode()
    assert 'data-state="overdue"' in page and "逾期" in page and "截止 2026-09-30" in page
    assert 'text-bg-danger' in badge and 'data-overdue="1"' in badge and "1 项已逾期" in badge and ">2<" in badge


def test_the_customer_page_says_the_same_as_the_inbox(client, rep, unit):
    new, old = _customer(unit, rep, "本季新客户", date(2026, 10, 20)), _customer(unit, rep, "老客户", date(2020, 1, 1))
    client.force_login(rep)
    with on(DEC_1):
        new_page = client.get(reverse("customers:detail", args=[new.pk])).content.decode()
        old_page = client.get(reverse("customers:detail", args=[old.pk])).content.decode()
    assert 'data-state="open"' in new_page and "截止 2026-12-31" in new_page
    assert 'data-state="overdue"' in old_page and "截止 2026-09-30" in old_page
