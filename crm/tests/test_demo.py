import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from crm import roles as r
from crm.demo import DEMO_PASSWORD, DEMO_USERS
from crm.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_demo_data_loads_twice_without_duplicates(capsys):
    call_command("load_demo")
    call_command("load_demo")
    assert OrgUnit.objects.count() == 3
    assert get_user_model().objects.count() == len(DEMO_USERS) == len(r.ROLES)
    printed = capsys.readouterr().out
    assert "业务员" in printed and DEMO_PASSWORD in printed
    from customers.demo import DEMO_CUSTOMERS
    from customers.models import Customer

    assert Customer.objects.count() == len(DEMO_CUSTOMERS)
    assert sorted(Customer.objects.exclude(customer_code=None).values_list("customer_code", flat=True)) == [
        "SH01T1-000001", "SH01T1-000002", "SH01T1-000003"
    ]
    from service.demo import DEMO_OPPORTUNITIES
    from service.models import Opportunity

    assert sorted(Opportunity.objects.values_list("title", "stage")) == sorted((t, s) for _c, t, _x, _a, s in DEMO_OPPORTUNITIES)


def test_every_demo_user_holds_its_role_and_can_sign_in(rf):
    call_command("load_demo")
    for username, _last, _first, role, unit_code in DEMO_USERS:
        user = authenticate(rf.post("/accounts/login/"), username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert r.user_role_codes(user) == {role}
        assert list(user.staff_profile.units.values_list("code", flat=True)) == [unit_code]
    assert OrgUnit.objects.get(code="SH01T1").ancestors()[-1].code == "HQ"


def test_install_schedules_writes_every_job_into_beats_tables(settings):
    from django_celery_beat.models import PeriodicTask

    call_command("install_schedules")
    call_command("install_schedules")
    names = set(PeriodicTask.objects.values_list("name", flat=True))
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names
    assert PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).count() == len(settings.CELERY_BEAT_SCHEDULE)
