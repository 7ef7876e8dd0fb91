"""In-app notifications, and the same by email when CRM_EMAIL_NOTIFICATIONS is on (after commit)."""
from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
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


def notify_each(messages) -> int:
    """`notify` for many different messages at once (a daily scan's alerts): `(recipients, subject, url, body)`
    each; one insert for all the in-app notifications, the e-mails after commit as in `notify`."""
    rows, mails = [], []
    for recipients, subject, url, body in messages:
        recipients = [u for u in recipients if u is not None]
        rows.extend(Notification(recipient=u, subject=subject, url=url, body=body) for u in recipients)
        emails = [u.email for u in recipients if getattr(u, "email", "")]
        if emails:
            mails.append((subject, f"{body}\n{url}".strip(), settings.DEFAULT_FROM_EMAIL, emails))
    Notification.objects.bulk_create(rows, batch_size=1_000)
    if mails and getattr(settings, "CRM_EMAIL_NOTIFICATIONS", False):
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return len(rows)


def email_each(messages) -> int:
    """(address, subject, body) each as its own e-mail, after commit, when CRM_EMAIL_NOTIFICATIONS is on: for
    people outside the system (customers), who must never see one another's addresses."""
    if not getattr(settings, "CRM_EMAIL_NOTIFICATIONS", False):
        return 0
    batch = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address, subject, body in messages if address]
    if batch:
        transaction.on_commit(lambda: send_mass_mail(batch, fail_silently=True))
    return len(batch)
