"""Acceptance 2: a grade, limit and period computed by hand from payments and plans; the credit terms in
orders change only after both approvals."""
from datetime import date
from decimal import Decimal

import pytest

from crm import roles as r
from crm.errors import ActionForbidden, TransitionNotAllowed
from crm.testing import check_move, workflow_cases
from dealers import selectors, services
from dealers.models import CreditGradeRule, CreditPolicy, CreditProposal, Dealer, MonthlyPlan, PlanLine
from orders.models import CreditTerms, Order, Payment
from orders.tests.factories import ProductFactory

from .factories import DealerFactory

pytestmark = pytest.mark.django_db
ON = date(2026, 7, 15)  # the window is January to June 2026


@pytest.fixture
def grades():
    for grade, low, limit, days in (("A", 85, 500000, 30), ("B", 70, 300000, 30), ("C", 50, 100000, 20),
                                    ("D", 30, 30000, 10), ("E", 0, 0, 0)):
        CreditGradeRule.objects.update_or_create(grade=grade, defaults={
            "min_score": low, "credit_limit": limit, "credit_days": days})
    CreditPolicy.objects.create(payment_weight=50, method_weight=20, plan_weight=30, full_marks_payment=200000,
                                method_scores={"wire": 100, "cash": 100, "bank_draft": 90, "acceptance_bill": 50})


def _pay(dealer, method, amount, on, finance):
    Payment.objects.create(customer=dealer.customer, method=method, amount=Decimal(amount), received_on=on,
                           status="confirmed", created_by=finance)


def _bought(dealer, product, quantity, on, rep, n=[0]):
    n[0] += 1
    order = Order.objects.create(number=f"T{n[0]}-{dealer.pk}", customer=dealer.customer, created_by=rep,
                                 delivery_address="a", status="approved", booked_on=on, total=Decimal(quantity) * 100)
    order.lines.create(product=product, quantity=Decimal(quantity), unit_price=Decimal("100"), amount=Decimal(quantity) * 100)


def _plan(dealer, month, product, quantity):
    plan = MonthlyPlan.objects.create(dealer=dealer, month=month)
    PlanLine.objects.create(plan=plan, product=product, quantity=Decimal(quantity))


@pytest.fixture
def scored_dealer(grades, make_user):
    """Payments Jan–Jun: 900,000 in all (wire 600,000, acceptance bill 300,000), plans 100 + 100 units in
    March and April, 90 + 60 bought (and 40 of an unplanned product, which does not count)."""
    finance = make_user(r.FINANCE)
    dealer = DealerFactory(franchise_status=Dealer.Status.ACTIVE)
    rep = dealer.customer.account_manager
    p1, p2 = ProductFactory(), ProductFactory()
    _pay(dealer, "wire", "300000", date(2026, 1, 20), finance)
    _pay(dealer, "wire", "300000", date(2026, 3, 5), finance)
    _pay(dealer, "acceptance_bill", "300000", date(2026, 6, 30), finance)
    _pay(dealer, "wire", "999999", date(2026, 7, 1), finance)  # this month: outside the window
    _plan(dealer, date(2026, 3, 1), p1, 100)
    _plan(dealer, date(2026, 4, 1), p1, 100)
    _bought(dealer, p1, 90, date(2026, 3, 10), rep)
    _bought(dealer, p1, 60, date(2026, 4, 10), rep)
    _bought(dealer, p2, 40, date(2026, 4, 11), rep)
    return dealer


def test_grade_limit_and_period_as_worked_out_by_hand(scored_dealer):
    # average payment 900,000 / 6 = 150,000 → 150,000 / 200,000 = 75 points
    # method: wire 2/3 × 100 + bill 1/3 × 50 → shares 0.6667 and 0.3333 → 66.67 + 16.665 = 83.335
    # plan: (90 + 60) / (100 + 100) = 75 points
    # score = (75 × 50 + 83.335 × 20 + 75 × 30) / 100 = (3750 + 1666.70 + 2250) / 100 = 76.667 → 76.67 → B
    found = selectors.credit_scores([scored_dealer], ON)[scored_dealer.pk]
    assert found.basis["average_payment"] == "150000.00"
    assert found.basis["payment_score"] == "75.00"
    assert found.basis["method_score"] == "83.34"
    assert found.basis["plan_completion"] == "75.00"
    assert found.score == Decimal("76.67")
    assert (found.grade, found.credit_limit, found.credit_days) == ("B", Decimal("300000"), 30)


def test_default_grades_are_seeded():
    assert list(CreditGradeRule.objects.values_list("grade", flat=True)) == ["A", "B", "C", "D", "E"]


def test_thresholds_and_weights_are_admin_data(scored_dealer):
    CreditGradeRule.objects.filter(grade="B").update(min_score=80)
    assert selectors.credit_scores([scored_dealer], ON)[scored_dealer.pk].grade == "C"
    CreditPolicy.objects.create(payment_weight=1, method_weight=0, plan_weight=0, full_marks_payment=150000)
    found = selectors.credit_scores([scored_dealer], ON)[scored_dealer.pk]
    assert found.score == Decimal("100.00") and found.grade == "A"


def test_terms_change_only_after_both_approvals(scored_dealer, make_user):
    marketing, finance = make_user(r.MARKETING_HEAD), make_user(r.FINANCE)
    assert services.propose_grades(ON) == (1, 1)
    assert services.propose_grades(ON) == (0, 0)  # an open proposal is left alone
    proposal = CreditProposal.objects.get(dealer=scored_dealer)
    assert (proposal.grade, proposal.credit_limit, proposal.credit_days) == ("B", Decimal("300000.00"), 30)
    services.approve_credit(actor=finance, proposal_id=proposal.pk)
    assert not CreditTerms.objects.filter(customer=scored_dealer.customer).exists()
    assert Dealer.objects.get(pk=scored_dealer.pk).credit_grade == ""
    with pytest.raises((ActionForbidden, TransitionNotAllowed)):
        services.approve_credit(actor=finance, proposal_id=proposal.pk)  # the same side twice is not two approvals
    assert not CreditTerms.objects.filter(customer=scored_dealer.customer).exists()
    services.approve_credit(actor=marketing, proposal_id=proposal.pk)
    terms = CreditTerms.objects.get(customer=scored_dealer.customer)
    assert (terms.limit, terms.period_days, terms.source) == (Decimal("300000.00"), 30, "grade")
    dealer = Dealer.objects.get(pk=scored_dealer.pk)
    assert (dealer.credit_grade, dealer.credit_limit, dealer.credit_days) == ("B", Decimal("300000.00"), 30)
    proposal.refresh_from_db()
    assert proposal.status == "approved" and proposal.marketing_by == marketing and proposal.finance_by == finance


def test_marketing_first_then_finance_and_a_rejection_sets_nothing(scored_dealer, make_user):
    marketing, finance = make_user(r.MARKETING_HEAD), make_user(r.FINANCE)
    manager = make_user(r.SALES_MANAGER)
    services.propose_grades(ON)
    proposal = CreditProposal.objects.get(dealer=scored_dealer)
    with pytest.raises(ActionForbidden):
        services.approve_credit(actor=manager, proposal_id=proposal.pk)
    services.approve_credit(actor=marketing, proposal_id=proposal.pk)
    services.reject_credit(actor=finance, proposal_id=proposal.pk, comment="回款不稳定")
    assert not CreditTerms.objects.filter(customer=scored_dealer.customer).exists()
    assert services.propose_grades(ON) == (1, 1)  # a rejected proposal no longer blocks a new one


def test_one_person_holding_both_roles_is_still_one_approval(scored_dealer, make_user):
    both = make_user(r.MARKETING_HEAD, r.FINANCE)
    services.propose_grades(ON)
    proposal = CreditProposal.objects.get(dealer=scored_dealer)
    services.approve_credit(actor=both, proposal_id=proposal.pk)
    with pytest.raises(ActionForbidden):
        services.approve_credit(actor=both, proposal_id=proposal.pk)
    assert not CreditTerms.objects.filter(customer=scored_dealer.customer).exists()


@pytest.mark.parametrize("source,target,allowed", workflow_cases(services.CREDIT))
def test_every_credit_move(source, target, allowed, grades, make_user):
    """An actor with both roles passes either side's check: here the map alone decides."""
    def make(state):
        return CreditProposal.objects.create(dealer=DealerFactory(franchise_status="active"), grade="C", score=60,
                                             credit_limit=100000, credit_days=20, status=state)
    check_move(services.CREDIT, make, source, target, allowed, actor=make_user(r.MARKETING_HEAD, r.FINANCE))
