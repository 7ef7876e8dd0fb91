"""Care messages: birthday and seasonal greetings through a pluggable backend, each logged once.
The backend is `CRM_CARE_BACKEND` (dotted path); console and file backends ship, an SMS gateway
plugs in by subclassing `CareBackend`."""
import logging
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from customers.models import Customer

from .models import CareMessage, CareTemplate

log = logging.getLogger(__name__)


class CareBackend:
    channel = "sms"

    def address(self, customer: Customer) -> str:
        return customer.mobile

    def send(self, to: str, body: str) -> None:
        raise NotImplementedError


class ConsoleBackend(CareBackend):
    def send(self, to: str, body: str) -> None:
        log.info("care message to %s: %s", to, body)


class FileBackend(CareBackend):
    """Appends each message to var/care-messages.log: the default where no gateway is configured."""

    def send(self, to: str, body: str) -> None:
        path = Path(settings.VAR_DIR) / "care-messages.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(f"{timezone.now().isoformat()}\t{to}\t{body}\n")


class EmailBackend(CareBackend):
    channel = "email"

    def address(self, customer: Customer) -> str:
        return customer.email

    def send(self, to: str, body: str) -> None:
        send_mail("问候", body, settings.DEFAULT_FROM_EMAIL, [to])


def backend() -> CareBackend:
    return import_string(getattr(settings, "CRM_CARE_BACKEND", "service.care.FileBackend"))()


def _recipients():
    """Approved, active customers who did not opt out; the system sends, so no user's view applies."""
    return Customer.objects.active().filter(care_opt_out__isnull=True)


def send_greetings(*, template: CareTemplate, occasion: str, customers) -> int:
    """Logs one message per customer and occasion, then sends it after commit; a rerun sends nothing twice."""
    sender, sent = backend(), 0
    for customer in customers.iterator(chunk_size=2000):
        to = sender.address(customer)
        if not to:
            continue
        try:
            with transaction.atomic():
                message = CareMessage.objects.create(customer=customer, template=template, occasion=occasion,
                                                     channel=sender.channel, to=to, body=template.render(customer))
        except IntegrityError:
            continue  # already sent for this occasion
        try:
            sender.send(to, message.body)
        except Exception as exc:  # noqa: BLE001 - a gateway failure is recorded on the message, not fatal
            CareMessage.objects.filter(pk=message.pk).update(error=(str(exc) or exc.__class__.__name__)[:500])
        else:
            CareMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now())
            sent += 1
    return sent


def send_birthday_greetings(today: date | None = None) -> int:
    today = today or timezone.localdate()
    template = CareTemplate.objects.filter(kind=CareTemplate.Kind.BIRTHDAY, active=True).first()
    if template is None:
        return 0
    customers = _recipients().filter(birth_date__month=today.month, birth_date__day=today.day)
    return send_greetings(template=template, occasion=f"birthday-{today.year}", customers=customers)


def send_campaign(*, template: CareTemplate, occasion: str) -> int:
    """Holiday or weather greetings to every customer who did not opt out."""
    return send_greetings(template=template, occasion=occasion, customers=_recipients())


def send_holiday_greetings(today: date | None = None) -> int:
    """On the first day of a public holiday (Chinese calendar), the holiday template to everyone."""
    from crm.models import CalendarDay
    from crm.workdays import is_workday

    today = today or timezone.localdate()
    day = CalendarDay.objects.filter(date=today).first()
    name = day.name if day is not None and not day.is_workday else ""
    if not name:
        return 0
    yesterday = CalendarDay.objects.filter(date=today - timedelta(days=1), is_workday=False, name=name).exists()
    if yesterday or is_workday(today):
        return 0
    template = CareTemplate.objects.filter(kind=CareTemplate.Kind.HOLIDAY, active=True).first()
    if template is None:
        return 0
    return send_campaign(template=template, occasion=f"holiday-{today.year}-{name}"[:40])
