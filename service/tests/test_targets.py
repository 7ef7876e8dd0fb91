"""Seed 001: contacts a month by star level (owner and co-owners together), face-to-face share and each
rep's opportunity targets; a month is judged from the 1st of the next (time travel through `on`)."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from service import services, targets
from service.models import MonthlyTarget, Opportunity, RevisitRule
from service.tests.factories import OpportunityFactory, VisitFactory

pytestmark = pytest.mark.django_db
DEC_1 = date(2026, 12, 1)


def at(day: date):
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10))


@pytest.mark.parametrize("per_month, months, contacts", [
    ("0.5", 2, 1), ("1", 1, 1), ("2", 1, 2), ("1.5", 2, 3), ("0.25", 4, 1),
])
def test_a_rate_is_counted_over_the_shortest_period_of_whole_contacts(per_month, months, contacts):
    rule = RevisitRule(tier="B", who="owner", per_month=Decimal(per_month))
    rule.full_clean(validate_constraints=False)
    assert (rule.period_months, rule.required_contacts) == (months, contacts)


def test_a_rate_that_never_adds_up_is_refused_with_a_reason():
    with pytest.raises(ValidationError) as refused:
        RevisitRule(tier="B", who="owner", per_month=Decimal("0.35")).full_clean(validate_constraints=False)
    assert "per_month" in refused.value.message_dict


@pytest.fixture
def two_a_month(make_user, unit):
    RevisitRule.objects.all().delete()
    RevisitRule.objects.create(tier="B", who="owner", per_month=Decimal("2"))
    owner, partner = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=owner, tier="B", name="远洋船务", registered_on=date(2026, 1, 5))
    customer.co_owners.add(partner)
    return owner, partner, customer


def test_a_two_a_month_customer_with_one_contact_is_flagged(two_a_month):
    owner, _partner, customer = two_a_month
    VisitFactory(customer=customer, created_by=owner, visited_on=date(2026, 11, 10))
    [flag] = targets.contact_shortfalls(Customer.objects.all(), DEC_1)
    assert (flag.customer_id, flag.contacts, flag.required, flag.start, flag.end) == (
        customer.pk, 1, 2, date(2026, 11, 1), date(2026, 11, 30))
    assert targets.my_standing(owner, date(2026, 11, 1), DEC_1).customers_below == 1


def test_with_two_contacts_one_of_them_the_co_owners_it_is_not(two_a_month):
    owner, partner, customer = two_a_month
    VisitFactory(customer=customer, created_by=owner, visited_on=date(2026, 11, 10))
    VisitFactory(customer=customer, created_by=partner, visited_on=date(2026, 11, 24), channel="visit")
    assert targets.contact_shortfalls(Customer.objects.all(), DEC_1) == []
    assert [x.status for x in services.revisit_status(customer, date(2026, 11, 25))] == ["done"]
    assert targets.my_standing(owner, date(2026, 11, 1), DEC_1).customers_below == 0


def test_one_visit_both_took_part_in_counts_once(two_a_month):
    owner, partner, customer = two_a_month
    VisitFactory(customer=customer, created_by=owner, visited_on=date(2026, 11, 10), participants=[owner, partner])
    assert [f.contacts for f in targets.contact_shortfalls(Customer.objects.all(), DEC_1)] == [1]


def test_the_inbox_and_the_scan_ask_for_the_missing_contact(two_a_month):
    from service.models import FollowUpTask
    from service.scans import revisit_scan
    from service.selectors import inbox

    owner, partner, customer = two_a_month
    VisitFactory(customer=customer, created_by=partner, visited_on=date(2026, 12, 1))
    [item] = [i for i in inbox(owner, date(2026, 12, 2)) if i.kind == "revisit"]
    assert "1" in item.title and "2" in item.title and item.due == date(2026, 12, 31) and item.overdue  # November missed
    revisit_scan(date(2026, 12, 2))
    assert FollowUpTask.objects.filter(customer=customer, kind="revisit_owner").count() == 1
    VisitFactory(customer=customer, created_by=owner, visited_on=date(2026, 12, 2))
    assert not [i for i in inbox(owner, date(2026, 12, 2)) if i.kind == "revisit"]


def test_a_half_a_month_customer_needs_one_contact_in_two_months(make_user, unit):
    RevisitRule.objects.all().delete()
    RevisitRule.objects.create(tier="D", who="owner", per_month=Decimal("0.5"))
    owner = make_user(r.SALES_REP, units=[unit])
    quiet = CustomerFactory(unit=unit, created_by=owner, tier="D", registered_on=date(2026, 1, 1))
    seen = CustomerFactory(unit=unit, created_by=owner, tier="D", registered_on=date(2026, 1, 1))
    VisitFactory(customer=seen, created_by=owner, visited_on=date(2026, 9, 30))
    flagged = targets.contact_shortfalls(Customer.objects.all(), DEC_1)  # Nov–Dec under way: Sep–Oct is judged
    assert [(f.customer_id, f.start, f.end) for f in flagged] == [(quiet.pk, date(2026, 9, 1), date(2026, 10, 31))]


@pytest.fixture
def rep(make_user, unit):
    return make_user(r.SALES_REP, units=[unit], username="rep_targets")


def test_a_rep_with_one_opportunity_found_is_flagged_on_the_first_of_the_next_month(rep, unit):
    customer = CustomerFactory(unit=unit, created_by=rep)
    OpportunityFactory(customer=customer, created_at=at(date(2026, 10, 3)))
    OpportunityFactory(customer=customer, created_at=at(date(2026, 10, 5)), result=Opportunity.Result.WON,
                       closed_at=at(date(2026, 10, 20)))
    OpportunityFactory(customer=customer, created_at=at(date(2026, 11, 3)), result=Opportunity.Result.WON,
                       closed_at=at(date(2026, 11, 20)))
    assert not targets.short_last_month(rep, date(2026, 11, 30))  # November is not over; October is judged
    standing = targets.my_standing(rep, date(2026, 11, 1), DEC_1)
    assert (standing.found, standing.won, standing.short_found, standing.short_won) == (1, 1, True, False)
    assert [s.rep for s in targets.short_last_month(rep, DEC_1)] == [rep]


def test_two_found_and_one_won_meet_the_targets(rep, unit):
    customer = CustomerFactory(unit=unit, created_by=rep)
    OpportunityFactory(customer=customer, created_at=at(date(2026, 11, 3)))
    OpportunityFactory(customer=customer, created_at=at(date(2026, 11, 9)), result=Opportunity.Result.WON,
                       closed_at=at(date(2026, 11, 20)))
    assert not targets.short_last_month(rep, DEC_1)


def test_the_targets_are_data_a_unit_may_override(rep, unit, make_user):
    MonthlyTarget.objects.create(unit=unit, opportunities_found=1, opportunities_won=0, face_to_face_percent=0)
    elsewhere = make_user(r.SALES_REP, units=[OrgUnitFactory(code="BJ01")])
    found = targets.targets_for([rep, elsewhere])
    assert found[rep.pk].opportunities_found == 1
    assert (found[elsewhere.pk].opportunities_found, found[elsewhere.pk].face_to_face_percent) == (2, 15)  # migration's row
    OpportunityFactory(customer=CustomerFactory(unit=unit, created_by=rep), created_at=at(date(2026, 11, 3)))
    assert not targets.short_last_month(rep, DEC_1)


def test_under_fifteen_percent_face_to_face_is_short(rep, unit):
    customer = CustomerFactory(unit=unit, created_by=rep)
    for day in range(1, 8):
        VisitFactory(customer=customer, created_by=rep, visited_on=date(2026, 11, day))
    standing = targets.my_standing(rep, date(2026, 11, 1), DEC_1)
    assert (standing.contacts, standing.face_to_face_percent, standing.short_face_to_face) == (7, 0, True)
    VisitFactory(customer=customer, created_by=rep, visited_on=date(2026, 11, 9), channel="visit")
    standing = targets.my_standing(rep, date(2026, 11, 1), DEC_1)
    assert (standing.face_to_face, standing.face_to_face_percent, standing.short_face_to_face) == (1, 12, True)
    VisitFactory(customer=customer, created_by=rep, visited_on=date(2026, 11, 10), channel="event")
    assert not targets.my_standing(rep, date(2026, 11, 1), DEC_1).short_face_to_face  # 2 of 9: 22%


def test_a_manager_rolls_up_the_reps_of_its_units_only(rep, unit, make_user):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    other = make_user(r.SALES_MANAGER, units=[OrgUnitFactory(code="BJ01")])
    assert [s.rep for s in targets.short_last_month(manager, DEC_1)] == [rep]
    assert targets.short_last_month(other, DEC_1) == []


def test_the_roll_up_counts_only_customers_the_manager_may_see(two_a_month, make_user, unit):
    owner, _partner, customer = two_a_month
    supervisor = make_user(r.SALES_SUPERVISOR, units=[unit])
    assert targets.standings(supervisor, [owner], date(2026, 11, 1), DEC_1)[0].customers_below == 1
    Customer.objects.filter(pk=customer.pk).update(confidentiality_level="secret")
    assert targets.standings(supervisor, [owner], date(2026, 11, 1), DEC_1)[0].customers_below == 0


def test_home_flags_the_short_rep_and_the_manager_sees_who(client, rep, unit, make_user):
    from crm.registry import home_queues

    manager = make_user(r.SALES_MANAGER, units=[unit])
    url = reverse("service:targets")
    assert [q.count for q in home_queues(rep) if q.url == url] == [2]  # nothing found, nothing won last month
    assert [q.count for q in home_queues(manager) if q.url == url] == [1]
    achiever = make_user(r.SALES_REP, units=[OrgUnitFactory(code="GZ01")])
    last = targets.last_month(timezone.localdate())
    customer = CustomerFactory(created_by=achiever)
    OpportunityFactory(customer=customer, created_at=at(last))
    OpportunityFactory(customer=customer, created_at=at(last), result=Opportunity.Result.WON, closed_at=at(last))
    assert not [q for q in home_queues(achiever) if q.url == url]
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert 'data-testid="standing-rep_targets"' in page and 'data-testid="short-flag"' in page
    client.force_login(rep)
    assert 'data-testid="my-targets"' in client.get(url).content.decode()
    client.force_login(make_user(r.ARCHIVIST))
    assert client.get(url).status_code == 403
