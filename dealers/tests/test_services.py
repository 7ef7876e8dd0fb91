from datetime import timedelta

import pytest
from django.utils import timezone

from crm import roles as r
from crm.errors import ActionForbidden, DomainError
from crm.testing import check_move, workflow_cases
from dealers import services
from dealers.models import Dealer, DealerChange, FranchiseRules
from dealers.services import FRANCHISE

from .factories import DealerFactory

S = Dealer.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user(r.MARKETING_HEAD)  # a franchise decider reading every unit; unit-scoped sales managers: test_views


@pytest.mark.parametrize("source,target,allowed", workflow_cases(FRANCHISE))
def test_every_franchise_move(source, target, allowed, manager):
    check_move(FRANCHISE, lambda state: DealerFactory(franchise_status=state), source, target, allowed, actor=manager)


def test_a_rep_may_not_decide_franchise_moves(make_user):
    dealer = DealerFactory()
    rep = dealer.customer.account_manager
    with pytest.raises(ActionForbidden):
        services.admit(actor=rep, dealer_id=dealer.pk)
    dealer.refresh_from_db()
    assert dealer.franchise_status == S.APPLICANT


def test_withdrawal_ten_days_ahead_is_refused_with_the_earliest_date(manager):
    dealer = DealerFactory(franchise_status=S.ACTIVE)
    today = timezone.localdate()
    with pytest.raises(DomainError) as refused:
        services.withdraw(actor=manager, dealer_id=dealer.pk, notice_on=today, leaves_on=today + timedelta(days=10))
    assert refused.value.code == "dealer.notice_short"
    assert (today + timedelta(days=30)).isoformat() in refused.value.message
    dealer.refresh_from_db()
    assert dealer.franchise_status == S.ACTIVE and dealer.leaves_on is None


def test_withdrawal_thirty_days_ahead_is_accepted(manager):
    dealer = DealerFactory(franchise_status=S.ADVISED)
    today = timezone.localdate()
    services.withdraw(actor=manager, dealer_id=dealer.pk, notice_on=today, leaves_on=today + timedelta(days=30))
    dealer.refresh_from_db()
    assert dealer.franchise_status == S.WITHDRAWN
    assert dealer.leaves_on == today + timedelta(days=30) and dealer.notice_given_on == today
    event = dealer.events.get(kind="withdrew")
    assert event.data["leaves_on"] == (today + timedelta(days=30)).isoformat()


def test_notice_period_is_admin_data(manager):
    FranchiseRules.objects.create(notice_days=60)
    dealer = DealerFactory(franchise_status=S.ACTIVE)
    today = timezone.localdate()
    with pytest.raises(DomainError, match=(today + timedelta(days=60)).isoformat()):
        services.withdraw(actor=manager, dealer_id=dealer.pk, notice_on=today, leaves_on=today + timedelta(days=30))


def test_admission_lists_every_failed_qualification(manager):
    FranchiseRules.objects.create(min_floor_area=100, min_monthly_revenue=10, min_distance_km=2)
    DealerFactory(franchise_status=S.ACTIVE, customer__geo_location="31.2310,121.4740",
                  customer__name="近邻加盟店")  # about 70 m away, same region
    dealer = DealerFactory(min_floor_area=80, min_monthly_revenue=None, training_completed=False)
    reasons = services.admission_failures(dealer)
    assert any("80" in reason and "100" in reason for reason in reasons)
    assert any("营业额" in reason or "revenue" in reason for reason in reasons)
    assert any("近邻加盟店" in reason for reason in reasons)
    assert any("研修" in reason or "training" in reason for reason in reasons)
    with pytest.raises(DomainError) as refused:
        services.admit(actor=manager, dealer_id=dealer.pk)
    assert refused.value.code == "dealer.not_qualified"
    dealer.refresh_from_db()
    assert dealer.franchise_status == S.APPLICANT


def test_a_member_in_another_region_or_far_away_does_not_block(manager):
    FranchiseRules.objects.create(min_distance_km=2)
    DealerFactory(franchise_status=S.ACTIVE, customer__admin_region="310104", customer__geo_location="31.2304,121.4737")
    DealerFactory(franchise_status=S.ACTIVE, customer__geo_location="31.3304,121.4737")  # about 11 km north
    dealer = DealerFactory()
    assert services.qualification_failures(dealer) == []
    services.admit(actor=manager, dealer_id=dealer.pk)
    assert Dealer.objects.get(pk=dealer.pk).franchise_status == S.ACTIVE


def test_advice_then_termination_for_ignored_advice_only_after_the_deadline(manager):
    dealer = DealerFactory(franchise_status=S.ACTIVE)
    tomorrow = timezone.localdate() + timedelta(days=1)
    services.advise(actor=manager, dealer_id=dealer.pk, text="进货比例不足，请整改", deadline=tomorrow)
    dealer.refresh_from_db()
    assert dealer.franchise_status == S.ADVISED and dealer.advice_deadline == tomorrow
    with pytest.raises(DomainError, match="advice|劝告"):
        services.terminate(actor=manager, dealer_id=dealer.pk, reason="ignored_advice")
    Dealer.objects.filter(pk=dealer.pk).update(advice_deadline=timezone.localdate() - timedelta(days=1))
    services.terminate(actor=manager, dealer_id=dealer.pk, reason="ignored_advice")
    dealer.refresh_from_db()
    assert dealer.franchise_status == S.TERMINATED and dealer.end_reason == "ignored_advice"


def test_expulsion_needs_one_of_its_reasons(manager):
    dealer = DealerFactory(franchise_status=S.ACTIVE)
    with pytest.raises(DomainError):
        services.expel(actor=manager, dealer_id=dealer.pk, reason="losses")
    services.expel(actor=manager, dealer_id=dealer.pk, reason="damaged_credit", comment="冒用商标")
    assert Dealer.objects.get(pk=dealer.pk).franchise_status == S.EXPELLED


def test_card_changes_are_kept_per_field(make_user):
    dealer = DealerFactory()
    manager = make_user(r.SALES_MANAGER, units=[dealer.customer.unit])
    services.save_card(actor=manager, dealer_id=dealer.pk, values={"funds_status": "tight", "staff_clerks": 4})
    change = DealerChange.objects.get(dealer=dealer, field="funds_status")
    assert (change.old_value, change.new_value, change.actor) == ("", "tight", manager)
    assert Dealer.objects.get(pk=dealer.pk).completeness > 0


def test_open_card_makes_the_customer_a_dealer(make_user):
    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory()
    manager = make_user(r.SALES_MANAGER, units=[customer.unit])
    dealer = services.create_card(actor=manager, customer_id=customer.pk)
    customer.refresh_from_db()
    assert customer.profile_type == "dealer" and dealer.franchise_status == S.APPLICANT
