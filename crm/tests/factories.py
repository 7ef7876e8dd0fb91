import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import OrgUnit

TEST_PASSWORD = "test-pass-2026"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:03d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = OrgUnit.Kind.BRANCH


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user; `roles=[...]` puts it in role groups, `units=[...]` in org units."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "张"
    first_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*[Group.objects.get_or_create(name=code)[0] for code in extracted])

    @factory.post_generation
    def units(self, create, extracted, **kwargs):
        if create and extracted:
            self.staff_profile.units.add(*extracted)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save(update_fields=["password"])
