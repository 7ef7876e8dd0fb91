"""Every move of the registration and customer-status maps, straight from the maps (crm.testing)."""
import pytest

from crm.testing import check_move, workflow_cases
from customers.models import Customer
from customers.services import CUSTOMER_STATUS, REGISTRATION
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
R = Customer.Registration


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", password="x")


@pytest.mark.parametrize("source,target,allowed", workflow_cases(REGISTRATION))
def test_every_registration_move(source, target, allowed, boss, unit):
    # The first review exists only where the unit asks for it; approval straight from "submitted" only where not.
    unit.requires_first_review = target == R.REVIEWED
    unit.save()

    def make(state):
        return CustomerFactory(unit=unit, registration_status=state, customer_code=None, customer_status="")

    check_move(REGISTRATION, make, source, target, allowed, actor=boss)


@pytest.mark.parametrize("source,target,allowed", workflow_cases(CUSTOMER_STATUS))
def test_every_customer_status_move(source, target, allowed, boss, unit):
    def make(state):
        return CustomerFactory(unit=unit, registration_status=R.APPROVED, customer_status=state)

    check_move(CUSTOMER_STATUS, make, source, target, allowed, actor=boss)


def test_refusals_are_domain_errors_with_a_code_and_the_known_message(make_user, unit):
    from django.utils import translation

    from crm import roles as r
    from crm.errors import DomainError
    from customers import services

    manager = make_user(r.SALES_MANAGER, units=[unit])
    customer = CustomerFactory(unit=unit, registration_status=R.SUBMITTED, customer_code=None, customer_status="")
    services.approve_registration(actor=manager, customer_id=customer.pk)
    with translation.override("zh-hans"), pytest.raises(DomainError) as again:
        services.approve_registration(actor=manager, customer_id=customer.pk)
    assert again.value.code == "customer.already_approved"
    assert isinstance(again.value, services.CustomerError) and "已" in again.value.message
