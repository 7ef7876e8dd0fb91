import threading
from datetime import date, datetime

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from crm import roles as r
from crm.actor import acting_as
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from service import services
from service.models import Complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_user, unit):
    return {
        "owner": make_user(r.SALES_REP, units=[unit]),
        "other": make_user(r.SALES_REP, units=[unit]),
        "manager": make_user(r.SALES_MANAGER, units=[unit]),
        "marketing": make_user(r.MARKETING_HEAD),
        "unit": unit,
    }


def customer(team, tier):
    return CustomerFactory(unit=team["unit"], created_by=team["owner"], tier=tier, registered_on=date(2025, 1, 1))


def visit(team, c, who, on, *others):
    partner = [team[o] for o in others] or [team["manager"] if who != "manager" else team["owner"]]
    return services.log_visit(actor=team[who], customer=c, channel="visit", content="回访", visited_on=on, participants=partner)


def statuses(c, on):
    return {(x.rule.tier or "*", x.rule.who): x.status for x in services.revisit_status(c, on)}


def test_c_customer_needs_only_its_owner_each_quarter(team):
    c = customer(team, "C")
    assert statuses(c, date(2026, 2, 10)) == {("*", "owner"): "overdue"}  # nothing in Q4 2025 either
    visit(team, c, "owner", date(2025, 12, 1), "other")
    assert statuses(c, date(2026, 2, 10)) == {("*", "owner"): "due"}
    visit(team, c, "owner", date(2026, 2, 11))
    assert statuses(c, date(2026, 3, 31)) == {("*", "owner"): "done"}
    assert statuses(c, date(2026, 4, 1)) == {("*", "owner"): "due"}  # a new quarter
    assert statuses(c, date(2026, 7, 1)) == {("*", "owner"): "overdue"}  # Q2 went without a visit


def test_b_customer_also_needs_a_sales_manager(team):
    c = customer(team, "B")
    visit(team, c, "owner", date(2026, 1, 5), "other")
    assert statuses(c, date(2026, 1, 20)) == {("B", "sales_manager"): "overdue", ("*", "owner"): "done"}
    visit(team, c, "manager", date(2026, 1, 21), "owner")
    assert statuses(c, date(2026, 1, 21)) == {("B", "sales_manager"): "done", ("*", "owner"): "done"}


def test_a_customer_needs_the_marketing_head(team):
    c = customer(team, "A")
    visit(team, c, "marketing", date(2025, 11, 3), "owner")
    result = statuses(c, date(2026, 1, 15))
    assert result == {("A", "marketing_head"): "due", ("*", "owner"): "due"}
    assert [x.period_end for x in services.revisit_status(c, date(2026, 1, 15))] == [date(2026, 3, 31)] * 2


def test_owner_changed_mid_quarter(team):
    from unittest import mock

    c = customer(team, "C")
    visit(team, c, "owner", date(2026, 1, 10))  # by the owner of that day
    handover = timezone.make_aware(datetime(2026, 2, 1, 9))
    with mock.patch("django.utils.timezone.now", return_value=handover), acting_as(team["manager"]):
        Customer.objects.filter(pk=c.pk).update(account_manager=team["other"])
    c.refresh_from_db()
    assert services.owner_on(c, date(2026, 1, 10)) == team["owner"].pk
    assert services.owner_on(c, date(2026, 2, 2)) == team["other"].pk
    assert statuses(c, date(2026, 2, 10))[("*", "owner")] == "done"  # the quarter's owner visit happened
    # Next quarter: the former owner's visit no longer counts, the new owner's does.
    visit(team, c, "manager", date(2026, 4, 18), "owner")
    assert statuses(c, date(2026, 4, 19))[("*", "owner")] == "due"
    visit(team, c, "other", date(2026, 4, 20))
    assert statuses(c, date(2026, 4, 20))[("*", "owner")] == "done"


def test_first_visit_in_person_needs_two_reps_a_call_does_not(team):
    c = customer(team, "D")
    services.log_visit(actor=team["owner"], customer=c, channel="phone", content="电话联系")  # a call: one rep is enough
    with pytest.raises(services.ServiceError) as refused:
        services.log_visit(actor=team["owner"], customer=c, channel="visit", content="首访")  # the call was no visit
    assert refused.value.code == "service.first_visit_needs_two"
    services.log_visit(actor=team["owner"], customer=c, channel="visit", content="首访", participants=[team["other"]])
    services.log_visit(actor=team["owner"], customer=c, channel="visit", content="再访")  # no longer the first


def test_complaint_on_the_friday_before_a_holiday_is_due_after_it(team):
    c = customer(team, "C")
    received = timezone.make_aware(datetime(2026, 4, 3, 16, 30))  # Friday; 4–6 April is Qingming
    complaint = services.register_complaint(actor=team["owner"], customer=c, category="service", description="送货延误",
                                            received_at=received)
    assert complaint.number == "KS-202604-0001"
    assert complaint.solution_due == date(2026, 4, 8)
    assert complaint.response_due == received + services.FIRST_RESPONSE


def test_numbers_restart_each_month_and_quality_complaints_need_product_data(team):
    c = customer(team, "C")
    make = lambda when: services.register_complaint(  # noqa: E731
        actor=team["owner"], customer=c, category="price", description="x", received_at=timezone.make_aware(when))
    assert [make(datetime(2026, 5, 31, 9)).number, make(datetime(2026, 6, 1, 9)).number,
            make(datetime(2026, 5, 31, 10)).number] == ["KS-202605-0001", "KS-202606-0001", "KS-202605-0002"]
    with pytest.raises(services.ServiceError):
        services.register_complaint(actor=team["owner"], customer=c, category="quality", description="破损")


@pytest.mark.skipif(connection.vendor == "sqlite", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_complaints_get_fifty_consecutive_numbers(make_user):
    unit = OrgUnitFactory(code="KS")
    rep = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=rep)
    received = timezone.make_aware(datetime(2026, 7, 15, 10))
    barrier, errors = threading.Barrier(10), []

    def worker(n):
        try:
            barrier.wait()
            for _ in range(n):
                services.register_complaint(actor=rep, customer=c, category="other", description="x", received_at=received)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(5,)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    numbers = sorted(Complaint.objects.values_list("number", flat=True))
    assert numbers == [f"KS-202607-{i:04d}" for i in range(1, 51)]
