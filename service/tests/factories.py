import factory
from django.utils import timezone

from crm.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from service.models import Opportunity, Visit


class VisitFactory(factory.django.DjangoModelFactory):
    """A contact already on record; `participants=[...]` names who took part (default: its author)."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    channel = Visit.Channel.PHONE
    content = "回访"
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):
        if create:
            self.participants.set(extracted or [self.created_by])


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.SelfAttribute("customer.account_manager")
    title = factory.Sequence(lambda n: f"机会{n}")
    content = "新业务"
    deadline = factory.LazyFunction(lambda: timezone.localdate())
