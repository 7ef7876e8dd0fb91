"""In-app notifications, and the same by email when CRM_EMAIL_NOTIFICATIONS is on (after commit)."""
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification


def notify(recipients, *, subject: str, url: str = "", body: str = "") -> int:
    recipients = [u for u in recipients if u is not None]
    Notification.objects.bulk_create(Notification(recipient=u, subject=subject, url=url, body=body) for u in recipients)
    emails = [u.email for u in recipients if getattr(u, "email", "")]
    if emails and getattr(settings, "CRM_EMAIL_NOTIFICATIONS", False):
        transaction.on_commit(
            lambda: send_mail(subject, f"{body}\n{url}".strip(), settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True)
        )
    return len(recipients)
