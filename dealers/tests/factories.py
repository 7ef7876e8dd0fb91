import factory

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from dealers.models import Dealer


class DealerCustomerFactory(CustomerFactory):
    profile_type = Customer.Profile.DEALER
    customer_nature = "company"
    gender = ""
    geo_location = "31.2304,121.4737"


class DealerFactory(factory.django.DjangoModelFactory):
    """A dealer card on an approved dealer customer, qualified and contracted, still an applicant."""

    class Meta:
        model = Dealer

    customer = factory.SubFactory(DealerCustomerFactory)
    operator_name = factory.Sequence(lambda n: f"经营者{n}")
    operator_phone = factory.Sequence(lambda n: f"137{n:08d}")
    organisation = "sole"
    premises = "owned"
    min_floor_area = 120
    min_monthly_revenue = 20
    contract_no = factory.Sequence(lambda n: f"JM-{n:05d}")
    contract_signed_on = factory.Faker("date_this_year")
    franchise_fee = 50000
    monthly_membership_fee = 2000
    operating_fee_rate = 2
    hq_purchase_share_min = 70
    training_completed = True
