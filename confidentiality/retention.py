"""Retention (DOMAIN §6): identity data is kept 5 years after the relationship ends, transaction
records 10 years; then destroyed after an approval, leaving a destruction record. The audit log,
which holds ids and never values, is kept."""
from collections.abc import Callable
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import audit
from crm import roles as r
from crm.errors import AppError
from customers.models import Customer, CustomerChange, CustomerEvent

from .models import Destruction

IDENTITY_FIELDS = ("id_number", "birth_date", "home_address", "bank_account", "photo_licence", "photo_legal_person")
IDENTITY_YEARS = 5
APPROVERS = (r.GENERAL_MANAGER, r.MARKETING_HEAD)


class RetentionError(AppError):
    code = "confidentiality.retention"


@dataclass
class Due:
    rule: str
    what: str
    customer_ids: list[int]


def identity_data_due(today=None) -> Due:
    """Cancelled customers whose cancellation is more than 5 years old and who still hold identity data."""
    today = today or timezone.localdate()
    cutoff = today - relativedelta(years=IDENTITY_YEARS)
    ended = CustomerEvent.objects.filter(kind=CustomerEvent.Kind.CANCELLED, at__date__lt=cutoff).values("customer_id")
    holding = models.Q()
    for code in IDENTITY_FIELDS:
        if Customer._meta.get_field(code).null:
            holding |= models.Q(**{f"{code}__isnull": False})
        else:
            holding |= ~models.Q(**{code: ""})
    ids = list(
        Customer.objects.filter(pk__in=ended, customer_status="cancelled").filter(holding).values_list("pk", flat=True)
    )
    return Due("identity_5y", _("Identity data (%(fields)s) of customers whose relationship ended over 5 years ago")
               % {"fields": ", ".join(IDENTITY_FIELDS)}, ids)


# Rules of the floors above (orders: transaction records after 10 years), registered from their ready():
# rule → (due(today) -> Due, destroy(customer_ids, today) -> None).
RULES: dict[str, tuple[Callable, Callable]] = {}


def register_rule(rule: str, *, due: Callable, destroy: Callable) -> None:
    RULES[rule] = (due, destroy)


def everything_due(today=None) -> list[Due]:
    return [identity_data_due(today), *(due(today) for due, _destroy in RULES.values())]


@transaction.atomic
def propose(*, actor, due: Due) -> Destruction:
    if not due.customer_ids:
        raise RetentionError(_("Nothing is due for destruction."))
    return Destruction.objects.create(rule=due.rule, what=due.what, customer_ids=due.customer_ids, proposed_by=actor)


@transaction.atomic
def approve_and_destroy(*, actor, destruction_id: int) -> Destruction:
    destruction = Destruction.objects.select_for_update().get(pk=destruction_id)
    if destruction.status != Destruction.Status.PROPOSED:
        raise RetentionError(_("This destruction was already carried out."))
    if not r.has_role(actor, *APPROVERS) or actor.pk == destruction.proposed_by_id:
        raise RetentionError(_("Destruction is approved by the general manager or the marketing head, not by the proposer."))
    ids = destruction.customer_ids
    if destruction.rule in RULES:
        RULES[destruction.rule][1](ids, timezone.localdate())
    elif destruction.rule == "identity_5y":
        _destroy_identity(ids)
    else:
        raise RetentionError(_("Unknown retention rule."))
    destruction.status, destruction.approved_by, destruction.executed_at = Destruction.Status.DONE, actor, timezone.now()
    destruction.save(update_fields=["status", "approved_by", "executed_at"])
    audit.record("approve", actor=actor, customers=ids, subject=f"destruction {destruction.pk}",
                 reason=destruction.what, detail={"rule": destruction.rule})
    return destruction


def _destroy_identity(ids: list[int]) -> None:
    for customer in Customer.objects.filter(pk__in=ids).only("pk", "photo_licence", "photo_legal_person"):
        for code in ("photo_licence", "photo_legal_person"):
            file = getattr(customer, code)
            if file:
                file.delete(save=False)
    blank = {code: (None if Customer._meta.get_field(code).null else "") for code in IDENTITY_FIELDS}
    # Straight to the database: the per-field history must not keep a copy of what is destroyed.
    models.QuerySet.update(Customer.objects.filter(pk__in=ids), id_last4="", **blank)
    CustomerChange.objects.filter(customer_id__in=ids, field__in=IDENTITY_FIELDS).delete()
