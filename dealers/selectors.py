"""Reads: the dealers a user sees (through the customers' policy) and the card as that user may see it."""
from dataclasses import dataclass

from django.db.models import QuerySet

from customers.policy import FieldAccess, field_access, visible_customers

from .catalogue import CATALOGUE, GRANT_ONLY_FIELDS, SENSITIVE_FIELDS
from .choice_labels import choice_label
from .models import Dealer

MASK = "****"
# A grant naming the customer's field covers the card's field of the same kind.
GRANT_ALIASES = {"operator_phone": "mobile", "operator_address": "home_address", "bank_relations": "bank_account"}


def visible_dealers(user) -> QuerySet:
    return Dealer.objects.filter(customer__in=visible_customers(user).values("pk")).select_related("customer")


@dataclass
class CardAccess:
    """The customers' field access, read for the card's own sensitive fields: owners and co-owners
    see them, like anyone holding a grant that names the field; a grant-only field needs the grant."""

    access: FieldAccess

    def can_see(self, dealer: Dealer, code: str) -> bool:
        if code not in SENSITIVE_FIELDS:
            return True
        names = self.access.granted.get(dealer.pk, set())
        granted = code in names or GRANT_ALIASES.get(code) in names
        if code in GRANT_ONLY_FIELDS:
            return granted
        return granted or dealer.pk in self.access.owned


def card_access(user, dealers) -> CardAccess:
    dealers = list(dealers)
    return CardAccess(field_access(user, [d.customer for d in dealers]))


def mask_value(code: str, value) -> str:
    if value in (None, ""):
        return ""
    text = str(value)
    if code == "operator_phone" and len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    if code == "operator_address":
        return f"{text[:6]}****"
    return MASK


def display(dealer: Dealer, code: str) -> str:
    """A card value as text in the active language (choices by label, booleans as 是/否)."""
    from django.utils.translation import gettext as _

    spec = CATALOGUE[code]
    value = getattr(dealer, code)
    if value is None or value == "":
        return ""
    if spec.type == "choice":
        return choice_label(code, value)
    if spec.type == "bool":
        return _("Yes") if value else _("No")
    if code == "sales_channels" and isinstance(value, dict):
        return "；".join(f"{channel_label(k)} {v}%" for k, v in value.items())
    if code == "supply_brands" and isinstance(value, list):
        return "；".join(f"{b.get('brand', '')} {b.get('percent', '')}%" for b in value)
    return str(value)


def channel_label(key: str) -> str:
    from django.utils.translation import gettext as _

    return {"retail_store": _("Retail stores"), "institutions": _("Institutions"), "wholesale": _("Wholesale"),
            "other": _("Other")}.get(key, key)


def shown(access: CardAccess, dealer: Dealer, code: str) -> str:
    text = display(dealer, code)
    return text if access.can_see(dealer, code) else mask_value(code, text)


def card_sections(user, dealer: Dealer, access: CardAccess | None = None) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """[(section label, [(field label, shown value, masked?)])] for the card page and the printout."""
    from .forms import SECTION_LABELS

    access = access or card_access(user, [dealer])
    sections = []
    for section, label in SECTION_LABELS.items():
        rows = [(spec.label, shown(access, dealer, spec.code), not access.can_see(dealer, spec.code))
                for spec in CATALOGUE.in_section(section)]
        sections.append((label, rows))
    return sections


def card_changes(user, dealer: Dealer) -> list:
    """The card's history; a sensitive field's old and new values are masked as the card is."""
    access = card_access(user, [dealer])
    rows = []
    for change in dealer.changes.select_related("actor"):
        visible = access.can_see(dealer, change.field)
        label = CATALOGUE.by_code[change.field].label if change.field in CATALOGUE.by_code else change.field
        rows.append({"at": change.at, "actor": change.actor, "label": label,
                     "old": change.old_value if visible else mask_value(change.field, change.old_value),
                     "new": change.new_value if visible else mask_value(change.field, change.new_value)})
    return rows
