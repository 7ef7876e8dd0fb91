"""Many different alerts at once: one insert, each recipient its own message, mail only when switched on."""
import pytest
from django.core import mail

from crm.models import Notification
from crm.notifications import notify_each
from crm.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_each_writes_every_message_for_its_recipients(settings, django_capture_on_commit_callbacks):
    a, b = UserFactory(email="a@example.com"), UserFactory(email="")
    settings.CRM_EMAIL_NOTIFICATIONS = True
    with django_capture_on_commit_callbacks(execute=True):
        count = notify_each([([a, b, None], "一", "/c/1/", ""), ([b], "二", "/c/2/", "正文")])
    assert count == 3
    assert sorted(Notification.objects.values_list("recipient__username", "subject", "url", "body")) == sorted([
        (a.username, "一", "/c/1/", ""), (b.username, "一", "/c/1/", ""), (b.username, "二", "/c/2/", "正文")])
    assert [(m.subject, m.to) for m in mail.outbox] == [("一", ["a@example.com"])]
    assert notify_each([]) == 0
