import factory

from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.models import Customer

# Real, valid numbers (check digits computed by python-stdnum in the tests that need them).
VALID_ID = "11010519491231002X"  # female, born 1949-12-31, Beijing Xicheng


def with_check_digit(body: str) -> str:
    """An 18-character resident ID number from its first 17 digits, with the right check digit."""
    from stdnum.cn import ric

    return body + ric.calc_check_digit(body + "0")
VALID_USCC = "91110108MA01KPGA5T"


class CustomerFactory(factory.django.DjangoModelFactory):
    """An approved, active individual customer with every required field filled."""

    class Meta:
        model = Customer

    unit = factory.SubFactory(OrgUnitFactory)
    created_by = factory.SubFactory(UserFactory)
    account_manager = factory.SelfAttribute("created_by")
    name = factory.Sequence(lambda n: f"客户{n}")
    customer_nature = "individual"
    customer_source = "walk_in"
    address = "上海市黄浦区南京东路1号"
    admin_region = "310101"
    contact_name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    gender = "male"
    tier = "C"
    customer_status = "active"
    registration_status = Customer.Registration.APPROVED
    customer_code = factory.Sequence(lambda n: f"T-{n:06d}")
