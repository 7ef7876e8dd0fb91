"""Fees as charges, the monthly HQ-share check, plans and their reminders, registration-check reminders,
and the Celery tasks around them: each idempotent."""
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from crm import roles as r
from crm.errors import DomainError
from crm.models import JobRun, Notification
from dealers import services, tasks
from dealers.models import Dealer, HqShareCheck, MonthlyPlan
from orders.models import Charge, Order
from orders.tests.factories import ProductFactory

from .factories import DealerFactory

pytestmark = pytest.mark.django_db
MARCH = date(2026, 3, 1)


def _order(dealer, total, on, number):
    return Order.objects.create(number=number, customer=dealer.customer, created_by=dealer.customer.account_manager,
                                delivery_address="a", status="approved", booked_on=on, total=Decimal(total))


def test_admission_charges_the_franchise_fee_once(make_user):
    manager = make_user(r.MARKETING_HEAD)  # a franchise decider reading every unit; unit-scoped sales managers: test_views
    dealer = DealerFactory(franchise_fee=Decimal("50000"))
    services.admit(actor=manager, dealer_id=dealer.pk)
    charge = Charge.objects.get(customer=dealer.customer)
    assert (charge.kind, charge.amount) == ("franchise_fee", Decimal("50000.00"))


def test_monthly_fees_are_charged_once_fen_exact():
    dealer = DealerFactory(franchise_status=Dealer.Status.ACTIVE, monthly_membership_fee=Decimal("2000"),
                           operating_fee_rate=Decimal("2.5"))
    _order(dealer, "12345.67", date(2026, 3, 9), "F1")
    DealerFactory(franchise_status=Dealer.Status.APPLICANT)  # not a member yet: no fees
    assert services.charge_monthly_fees(MARCH) == (1, 2)
    assert services.charge_monthly_fees(MARCH) == (1, 0)
    fees = dict(Charge.objects.values_list("kind", "amount"))
    assert fees == {"membership_fee": Decimal("2000.00"), "operating_fee": Decimal("308.64")}  # 12345.67 × 2.5% = 308.64175


def test_hq_share_shortfall_proposes_advice_once_then_advice_or_dismissal(make_user):
    short = DealerFactory(franchise_status=Dealer.Status.ACTIVE, hq_purchase_share_min=Decimal("70"),
                          avg_monthly_purchase=Decimal("100000"))
    fine = DealerFactory(franchise_status=Dealer.Status.ACTIVE, hq_purchase_share_min=Decimal("70"),
                         avg_monthly_purchase=Decimal("100000"))
    _order(short, "50000", date(2026, 3, 3), "H1")
    _order(fine, "80000", date(2026, 3, 3), "H2")
    assert services.check_hq_share(MARCH) == (2, 1)
    assert services.check_hq_share(MARCH) == (2, 0)
    check = HqShareCheck.objects.get(dealer=short)
    assert (check.share, check.outcome) == (Decimal("50.00"), "short")
    assert HqShareCheck.objects.get(dealer=fine).outcome == "met"
    manager = make_user(r.MARKETING_HEAD)  # a franchise decider reading every unit; unit-scoped sales managers: test_views
    services.give_proposed_advice(actor=manager, check_id=check.pk, deadline=timezone.localdate() + timedelta(days=30))
    short.refresh_from_db()
    assert short.franchise_status == "advised" and "50.00%" in short.advice_text
    with pytest.raises(DomainError):
        services.dismiss_proposed_advice(actor=manager, check_id=check.pk)


def test_plan_due_by_the_fifth_later_is_late(make_user):
    dealer = DealerFactory(franchise_status=Dealer.Status.ACTIVE, customer__created_by=make_user(r.SALES_REP))
    owner = dealer.customer.account_manager
    product = ProductFactory()
    this_month = timezone.localdate().replace(day=1)
    with mock.patch("django.utils.timezone.localdate", return_value=this_month.replace(day=5)):
        plan = services.submit_plan(actor=owner, dealer_id=dealer.pk, month=this_month, lines={product.pk: 10})
    assert not plan.late
    later = this_month.replace(day=1) + timedelta(days=40)
    with mock.patch("django.utils.timezone.localdate", return_value=later.replace(day=6)):
        plan = services.submit_plan(actor=owner, dealer_id=dealer.pk, month=later, lines={product.pk: 10})
    assert plan.late
    with pytest.raises(DomainError):
        services.submit_plan(actor=owner, dealer_id=dealer.pk, month=later, lines={product.pk: 0})
    assert MonthlyPlan.objects.filter(dealer=dealer).count() == 2


def test_plan_reminders_on_the_third_once():
    dealer = DealerFactory(franchise_status=Dealer.Status.ACTIVE)
    third = date(2026, 4, 3)
    assert services.plan_reminders(third.replace(day=2)) == (0, 0)
    assert services.plan_reminders(third) == (1, 1)
    assert services.plan_reminders(third) == (1, 0)
    note = Notification.objects.get(recipient=dealer.customer.account_manager)
    assert "2026-04-05" in note.subject


def test_registration_check_reminders_for_dealers_with_receivables():
    owing = DealerFactory(credit_checked_on=None)
    _order(owing, "1000", date(2026, 1, 5), "R1")
    checked = DealerFactory(credit_checked_on=timezone.localdate())
    _order(checked, "1000", date(2026, 1, 5), "R2")
    DealerFactory(credit_checked_on=None)  # owes nothing
    today = timezone.localdate()
    assert services.registration_check_reminders(today) == (3, 1)
    assert services.registration_check_reminders(today) == (3, 0)
    assert Notification.objects.get().recipient == owing.customer.account_manager


def test_tasks_run_in_the_job_frame():
    DealerFactory(franchise_status=Dealer.Status.ACTIVE, monthly_membership_fee=Decimal("100"))
    for task in (tasks.hq_share_check, tasks.monthly_fees, tasks.plan_reminders, tasks.credit_grade_proposals,
                 tasks.registration_check_reminders):
        task()
    assert JobRun.objects.filter(job__startswith="dealer_").count() == 5
    assert not JobRun.objects.filter(job__startswith="dealer_", status=JobRun.Status.FAILED).exists()
