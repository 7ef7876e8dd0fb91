from datetime import date

import pytest

from customers.tests.factories import CustomerFactory
from service import care
from service.models import CareMessage, CareOptOut, CareTemplate

pytestmark = pytest.mark.django_db


class Recorder(care.CareBackend):
    sent: list = []

    def send(self, to, body):
        Recorder.sent.append((to, body))


@pytest.fixture
def recorder(settings):
    settings.CRM_CARE_BACKEND = "service.tests.test_care.Recorder"
    Recorder.sent = []
    return Recorder


def test_birthday_greetings_skip_opted_out_customers_and_are_logged_once(recorder, make_user, unit):
    rep = make_user()
    today = date(2026, 11, 23)
    happy = CustomerFactory(unit=unit, created_by=rep, contact_name="韩梅梅", birth_date=date(1990, 11, 23), mobile="13900000001")
    quiet = CustomerFactory(unit=unit, created_by=rep, birth_date=date(1985, 11, 23), mobile="13900000002")
    CustomerFactory(unit=unit, created_by=rep, birth_date=date(1985, 11, 24), mobile="13900000003")
    CareOptOut.objects.create(customer=quiet, recorded_by=rep)
    assert care.send_birthday_greetings(today) == 1
    assert care.send_birthday_greetings(today) == 0  # the job ran twice
    assert recorder.sent == [("13900000001", "韩梅梅您好，今天是您的生日，祝您生日快乐、身体健康、万事如意！")]
    assert list(CareMessage.objects.values_list("customer_id", flat=True)) == [happy.pk]
    assert CareMessage.objects.get().sent_at is not None


def test_a_failing_gateway_is_recorded_not_fatal(settings, make_user, unit):
    settings.CRM_CARE_BACKEND = "service.care.CareBackend"  # the bare interface: send() is not implemented
    CustomerFactory(unit=unit, created_by=make_user(), mobile="13900000009")
    template = CareTemplate.objects.get(kind="weather")
    assert care.send_campaign(template=template, occasion="cold-2026-11") == 0
    assert CareMessage.objects.get().error != "" and CareMessage.objects.get().sent_at is None


def test_file_backend_is_the_default(settings, tmp_path, make_user, unit):
    settings.VAR_DIR = tmp_path
    del settings.CRM_CARE_BACKEND
    CustomerFactory(unit=unit, created_by=make_user(), mobile="13900000010", contact_name="李雷")
    care.send_campaign(template=CareTemplate.objects.get(kind="holiday"), occasion="spring-2027")
    assert "李雷您好" in (tmp_path / "care-messages.log").read_text(encoding="utf-8")


def test_opt_out_from_the_customer_page(client, make_user, unit):
    from django.urls import reverse

    rep = make_user("sales_rep", units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    client.post(reverse("service:care_opt_out", args=[customer.pk]), {"opt_out": "1"})
    assert CareOptOut.objects.filter(customer=customer).exists()
    client.post(reverse("service:care_opt_out", args=[customer.pk]), {"opt_out": "0"})
    assert not CareOptOut.objects.filter(customer=customer).exists()


def test_holiday_greetings_go_out_on_the_first_day_of_a_holiday_only(recorder, make_user, unit):
    from crm.models import CalendarDay

    CustomerFactory(unit=unit, created_by=make_user(), mobile="13900000011", contact_name="王芳")
    CalendarDay.objects.update_or_create(date=date(2026, 10, 1), defaults={"is_workday": False, "name": "National Day"})
    CalendarDay.objects.update_or_create(date=date(2026, 10, 2), defaults={"is_workday": False, "name": "National Day"})
    assert care.send_holiday_greetings(date(2026, 9, 30)) == 0
    assert care.send_holiday_greetings(date(2026, 10, 1)) == 1
    assert care.send_holiday_greetings(date(2026, 10, 2)) == 0
    assert care.send_holiday_greetings(date(2026, 10, 1)) == 0  # rerun the same day
    assert recorder.sent[0][1].startswith("王芳您好")
