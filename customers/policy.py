"""The one policy for customer data: which rows a user sees (`visible_customers`) and which
sensitive fields of a visible row it sees unmasked (`can_see_field` / `field_access`).
Every list, search, detail page, duplicate warning, export, print view and job goes through here."""
import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from crm import roles as r
from crm.models import own_unit_ids  # noqa: F401 (re-exported: "own unit" is part of the policy)

# DOMAIN §6: the fields masked unless the viewer owns the record or holds a grant that covers them.
SENSITIVE_FIELDS = (
    "id_number", "mobile", "landline", "bank_account", "home_address", "photo_licence", "photo_legal_person",
)
# Values read off a sensitive field give it back: next to `110***********1238` the birth date and the
# region leave one or two candidates for the hidden digits. They are shown exactly when their source is.
# Not here: gender (the 17th digit is among the four shown anyway) and the customer's administrative
# region, which is where it is served, typed by staff, not read off the ID.
DERIVED_FROM = {"birth_date": "id_number"}
MASKED_FIELDS = (*SENSITIVE_FIELDS, *DERIVED_FROM)
SECRET, CONFIDENTIAL, INTERNAL = "secret", "confidential", "internal"

SEES_ALL_LEVELS = (r.MARKETING_HEAD,)
SEES_ALL_BUT_SECRET = (r.CS_MANAGER,)
# Seed 000 §11/§14 (issue 14): a sales manager and the general manager read their own unit and the units
# below it (a general manager placed at the root unit therefore reads the company), never a sibling's.
MANAGES_OWN_UNIT = (r.SALES_MANAGER, r.GENERAL_MANAGER)
SEES_OWN_UNIT_BUT_SECRET = (r.SALES_SUPERVISOR, r.CS_SPECIALIST, r.PLANNER, *MANAGES_OWN_UNIT)


def _grant_rows(user):
    from .models import CustomerUserObjectPermission

    return CustomerUserObjectPermission.objects.filter(
        user=user, permission__codename="view_customer", permission__content_type__app_label="customers"
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def visible_customers(user) -> QuerySet:
    """Owners and co-owners see their customers at every level; supervisors, CS specialists, planners,
    sales managers and the general manager their own unit and below, the CS manager every unit, all of
    them except secret records; the marketing head
    sees all; reps also see their unit's public pool; anyone holding an unexpired grant sees the
    granted customers."""
    from .models import Customer

    qs = Customer.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_superuser or r.has_role(user, *SEES_ALL_LEVELS):
        return qs
    # One UNION of ids lets PostgreSQL use each index; an OR of subqueries would scan the table.
    parts = [
        Customer.co_owners.through.objects.filter(user=user).values("customer_id"),
        _grant_rows(user).values("content_object_id"),
    ]
    not_secret = ~Q(confidentiality_level=SECRET)
    role_scope = None
    if r.has_role(user, *SEES_ALL_BUT_SECRET):
        role_scope = not_secret
    elif r.has_role(user, *SEES_OWN_UNIT_BUT_SECRET):
        role_scope = Q(unit_id__in=own_unit_ids(user)) & not_secret
    elif r.has_role(user, r.SALES_REP):
        # The unit's public pool (公海): customers nobody owns, open to the unit's reps to claim.
        parts.append(
            Customer.objects.filter(not_secret, account_manager__isnull=True, unit_id__in=own_unit_ids(user)).values("pk")
        )
    personal = Customer.objects.filter(account_manager=user).values("pk").union(*parts)
    condition = Q(pk__in=personal)
    if role_scope is not None:
        condition |= role_scope
    return qs.filter(condition)


def remember_visible(user, customer) -> None:
    """A page that found `customer` through `visible_customers(user)` notes it on the user object, which lives for
    the request: the permission checks that follow (actions, unmask, panels) then ask no query again. Only such a
    finding is kept, never an answer of `is_visible` itself, so a caller holding a user across grants stays exact."""
    user._visible_ids = frozenset({*getattr(user, "_visible_ids", ()), customer.pk})


def is_visible(user, customer) -> bool:
    if customer.pk in getattr(user, "_visible_ids", ()) and getattr(user, "is_active", False):
        return True
    return visible_customers(user).filter(pk=customer.pk).exists()


@dataclass
class FieldAccess:
    """Which sensitive fields a user sees unmasked, for a page of customers, in two queries."""

    user: object
    owned: set[int] = field(default_factory=set)
    granted: dict[int, set[str]] = field(default_factory=dict)

    def can_see(self, customer, code: str) -> bool:
        code = DERIVED_FROM.get(code, code)
        if code not in SENSITIVE_FIELDS:
            return True
        if customer.pk in self.owned:
            return True
        return code in self.granted.get(customer.pk, set())


def field_access(user, customers, *, grant=None) -> FieldAccess:
    """With `grant`, only that grant's rows and fields count: a request's own export or printout
    shows what that request names, not what the user's other grants add."""
    from .models import Customer

    customers = list(customers)
    ids = [c.pk for c in customers]
    access = FieldAccess(user)
    if not ids or not getattr(user, "is_authenticated", False):
        return access
    access.owned = {c.pk for c in customers if c.account_manager_id == user.pk} | set(
        Customer.co_owners.through.objects.filter(user=user, customer_id__in=ids).values_list("customer_id", flat=True)
    )
    rows = _grant_rows(user).filter(content_object_id__in=ids).exclude(grant_id=None)
    if grant is not None:
        rows = rows.filter(grant_id=grant.pk)
    for customer_id, fields in rows.values_list("content_object_id", "fields"):
        access.granted.setdefault(customer_id, set()).update(fields or ())
    return access


def customers_with_field_visible(user, code: str) -> QuerySet:
    """Ids of the customers whose `code` field the user sees unmasked, by the same rule as `FieldAccess.can_see`
    (owner, co-owner, or a live grant listing the field), as one subquery: a search or filter on a sensitive
    field must not match a value the user sees masked, or a guess could be confirmed."""
    from .models import Customer

    code = DERIVED_FROM.get(code, code)
    if code not in SENSITIVE_FIELDS:
        return Customer.objects.values("pk")
    if not getattr(user, "is_authenticated", False):
        return Customer.objects.none().values("pk")
    rows = _grant_rows(user)
    # A user holds a handful of grants, and a grant's rows all carry its fields: one row's list per grant is read
    # here (by the grant_id index) rather than with a JSON lookup SQLite lacks or a DISTINCT over every row.
    grant_ids = []
    for pk in rows.exclude(grant_id=None).order_by().values_list("grant_id", flat=True).distinct():
        fields = list(rows.filter(grant_id=pk).order_by().values_list("fields", flat=True)[:1])
        if fields and code in (fields[0] or ()):
            grant_ids.append(pk)
    return (
        Customer.objects.filter(account_manager=user)
        .values("pk")
        .union(
            Customer.co_owners.through.objects.filter(user=user).values("customer_id"),
            rows.filter(grant_id__in=grant_ids).values("content_object_id"),
        )
    )


AUDITED_LEVELS = (CONFIDENTIAL, SECRET)


def read_customer(user, customer, *, request=None, subject: str = "", detail: dict | None = None,
                  every_level: bool = False) -> FieldAccess:
    """The one presenter for a single customer's record (page, admin, file, later the API): what the reader
    sees unmasked, and the audit row a read of a confidential record writes, decided here and not by each
    view. `every_level`: a back door such as the admin audits internal records too."""
    from crm import audit

    if every_level or customer.confidentiality_level in AUDITED_LEVELS:
        audit.record("read", actor=user, customers=[customer], request=request,
                     subject=subject or customer.name, detail=detail)
    return field_access(user, [customer])


def can_see_field(user, customer, code: str) -> bool:
    return field_access(user, [customer]).can_see(customer, code)


def may_unmask(user, customer) -> bool:
    if not is_visible(user, customer):
        return False
    if r.has_role(user, r.MARKETING_HEAD, r.CS_MANAGER, r.SALES_MANAGER, r.GENERAL_MANAGER) or user.is_superuser:
        return True
    return r.has_role(user, r.CS_SPECIALIST) and customer.unit_id in own_unit_ids(user)


def age_band(born, today=None) -> str:
    """`30–39岁`: the decade of life, all a masked ID's birth date may give away."""
    if isinstance(born, str):
        try:
            born = datetime.date.fromisoformat(born[:10])
        except ValueError:
            return "****"
    today = today or timezone.localdate()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    low = max(0, age) // 10 * 10
    return gettext("%(low)d–%(high)d years old") % {"low": low, "high": low + 9}


def mask(code: str, value) -> str:
    """`138****5678`, `440***********1234`, a birth date as an age band; other fields keep a short hint only."""
    if value is None or value == "":
        return ""
    if code == "birth_date":
        return age_band(value)
    text = str(getattr(value, "name", value) or "")
    if not text:
        return ""
    if code == "mobile" and len(text) >= 7:
        return f"{text[:3]}****{text[-4:]}"
    if code == "id_number" and len(text) >= 7:
        return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"
    if code in ("landline", "bank_account") and len(text) > 4:
        return f"{'*' * (len(text) - 4)}{text[-4:]}"
    if code == "home_address":
        return f"{text[:6]}****"
    return "****"


def shown(access: FieldAccess, customer, code: str, value):
    """A field's value as this viewer may see it: as stored where the policy allows, else masked by the field's rule."""
    return value if access.can_see(customer, code) else mask(code, value)


# --- the order queues' reach ---------------------------------------------------------------------------
# Finance, the general manager, the warehouse (and whoever the orders app names, e.g. approval delegates) work
# every order, whoever's customer it is. Working a row is not seeing the customer: a customer the policy does not
# show them is named by its code only, its sensitive values stay masked, and every opening of its record is
# audited. Each role reaches only the part of an order its work needs.

@dataclass(frozen=True)
class QueueReach:
    """What a queue worker reads of an order whose customer the policy does not show it."""

    money: bool = False  # amounts, payments, balance, the customer's statement (finance, approvers)
    shipping: bool = False  # delivery address, transport, destination (the warehouse)

    def __or__(self, other: "QueueReach") -> "QueueReach":
        return QueueReach(self.money or other.money, self.shipping or other.shipping)

    @property
    def any(self) -> bool:
        return self.money or self.shipping

    def covers(self, need: str) -> bool:
        return {"any": self.any, "money": self.money, "shipping": self.shipping}[need]


NO_REACH = QueueReach()
ROLE_REACH = {
    r.FINANCE: QueueReach(money=True),
    r.GENERAL_MANAGER: QueueReach(money=True),
    r.WAREHOUSE: QueueReach(shipping=True),
}
# The queue roles also read by name the customers of their own unit and below, secret ones excepted, as the
# unit roles do; whoever holds a reach only through a hook (a delegate) reads by name what the policy shows it.
QUEUE_ROLES = tuple(ROLE_REACH)
_reach_hooks: dict[str, tuple] = {}


def register_queue_reach(key: str, holds, reach: QueueReach) -> None:
    """A higher app names who else works its queues (`holds(user) -> bool`) and with which reach, without the
    policy importing it; registering a key again replaces it."""
    _reach_hooks[key] = (holds, reach)


def queue_reach(user) -> QueueReach:
    """The user's reach over the order queues; asked once per request (kept on the user object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_REACH
    cached = getattr(user, "_queue_reach", None)
    if cached is not None:
        return cached
    reach = QueueReach(money=True, shipping=True) if user.is_superuser else NO_REACH
    for role, granted in ROLE_REACH.items():
        if r.has_role(user, role):
            reach = reach | granted
    for holds, granted in _reach_hooks.values():
        if not (reach.money and reach.shipping) and holds(user):
            reach = reach | granted
    user._queue_reach = reach
    return reach


def queue_customers(user, need: str = "any") -> QuerySet:
    """The customers whose orders (`any`), money (`money`) or shipments (`shipping`) a user works: every customer
    within its reach, else the customers the policy shows it. Who is *named* is `queue_view`'s question."""
    from .models import Customer

    return Customer.objects.all() if queue_reach(user).covers(need) else visible_customers(user)


def masked_name(customer) -> str:
    """How a customer the reader may not see is named: by its code, never by its name."""
    code = getattr(customer, "customer_code", None)
    if code:
        return gettext("Customer %(code)s (name hidden)") % {"code": code}
    return gettext("A customer (name hidden)")


@dataclass
class QueueView:
    """One page's answer for a set of customers: which the reader sees (as on the customer page), which it
    names, and which parts of their orders it reads."""

    reach: QueueReach
    seen: set[int] = field(default_factory=set)
    named: set[int] = field(default_factory=set)

    def sees(self, customer) -> bool:
        return customer.pk in self.seen

    def names(self, customer) -> bool:
        return customer.pk in self.named

    def name(self, customer) -> str:
        return customer.name if self.names(customer) else masked_name(customer)

    def label(self, customer) -> str:
        """Code and name, or the masked name (which carries the code)."""
        if not self.names(customer):
            return masked_name(customer)
        return f"{customer.customer_code} {customer.name}" if customer.customer_code else customer.name

    def money(self, customer) -> bool:
        return self.sees(customer) or self.reach.money

    def shipping(self, customer) -> bool:
        return self.sees(customer) or self.reach.shipping

    def address(self, customer, value) -> str:
        """A delivery address: as typed for whoever ships it or names the customer, else masked like a home address."""
        return value if self.shipping(customer) or self.names(customer) else mask("home_address", value)

    def text(self, customer, value) -> str:
        """Free text that may carry the customer's name (a payer): shown only where the customer is named."""
        return value if self.names(customer) or not value else "****"


def queue_view(user, customers) -> QueueView:
    """For a page of customers, in at most one query (the unit part comes from the user's cached units)."""
    customers = [c for c in customers if c is not None]
    view = QueueView(queue_reach(user))
    ids = {c.pk for c in customers}
    if not ids or not getattr(user, "is_authenticated", False) or not user.is_active:
        return view
    if user.is_superuser or r.has_role(user, *SEES_ALL_LEVELS):
        view.seen = set(ids)
    else:
        view.seen = set(visible_customers(user).filter(pk__in=ids).values_list("pk", flat=True))
    view.named = set(view.seen)
    if r.has_role(user, *QUEUE_ROLES):
        units = own_unit_ids(user)
        view.named |= {c.pk for c in customers if c.unit_id in units and c.confidentiality_level != SECRET}
    return view


def read_queue_record(user, customer, *, request=None, subject: str = "", detail: dict | None = None,
                      export: bool = False) -> QueueView:
    """Opening one order, statement or evidence file: the view of its customer, and the audit row when the reader
    works it without naming it (or the record is confidential or secret, as on the customer page). `export`: a
    file leaves the system (a statement's .xlsx), audited whoever the customer is (DOMAIN §6: every export)."""
    from crm import audit

    view = queue_view(user, [customer])
    if export or not view.names(customer) or customer.confidentiality_level in AUDITED_LEVELS:
        audit.record("export" if export else "read", actor=user, customers=[customer], request=request, subject=subject or masked_name(customer),
                     detail={"through": "queue", "named": view.names(customer), **(detail or {})})
    return view
