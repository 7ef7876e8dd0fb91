"""Read side of the customer archive. Visibility comes from customers.policy, nowhere else."""
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from customers.policy import (  # the one place that decides visibility
    SEES_ALL_BUT_SECRET,
    SEES_ALL_LEVELS,
    SEES_OWN_UNIT_BUT_SECRET,
    FieldAccess,
    customers_with_field_visible,
    field_access,
    is_visible,
    mask,
    own_unit_ids,
    visible_customers,
)
from crm import roles as r
from crm.models import OrgUnit
from crm.registry import TimelineEntry

from .models import Customer

__all__ = ["is_visible", "own_unit_ids", "visible_customers"]


@dataclass
class DuplicateHit:
    customer: Customer
    reason: str  # "mobile", "id_number", "unified_social_credit_code", "name"
    visible: bool

    @property
    def hard(self) -> bool:
        return self.reason != "name"


def find_duplicates(user, customer: Customer) -> list[DuplicateHit]:
    """Same mobile / ID / USCC as an active customer (hard), or same normalised name in the same region (soft)."""
    active = Customer.objects.active()
    if customer.pk:
        active = active.exclude(pk=customer.pk)
    hits: dict[int, DuplicateHit] = {}
    for field in ("mobile", "id_number", "unified_social_credit_code"):
        value = getattr(customer, field)
        if value:
            for other in active.filter(**{field: value}).select_related("account_manager")[:5]:
                hits.setdefault(other.pk, DuplicateHit(other, field, False))
    if customer.name_key and customer.admin_region:
        for other in active.filter(name_key=customer.name_key, admin_region=customer.admin_region).select_related(
            "account_manager"
        )[:5]:
            hits.setdefault(other.pk, DuplicateHit(other, "name", False))
    if hits:
        seen = set(visible_customers(user).filter(pk__in=hits).values_list("pk", flat=True))
        for hit in hits.values():
            hit.visible = hit.customer.pk in seen
    return list(hits.values())


def approval_queue(user) -> QuerySet[Customer]:
    """Registrations waiting for this user's decision."""
    from .permissions import SECRET, approves_level, can_first_review_in_general

    qs = visible_customers(user).select_related("unit", "account_manager")
    R = Customer.Registration
    secret = Q(confidentiality_level=SECRET)
    states = Q(pk__in=[])
    if can_first_review_in_general(user):
        states |= Q(registration_status=R.SUBMITTED, unit__requires_first_review=True) & ~secret
    if approves_level(user, "internal"):
        states |= (Q(registration_status=R.REVIEWED) | Q(registration_status=R.SUBMITTED, unit__requires_first_review=False)) & ~secret
    if approves_level(user, SECRET):
        states |= secret & Q(registration_status__in=[R.SUBMITTED, R.REVIEWED])
    return qs.filter(states).order_by("updated_at")


SORTS = {
    "updated": ("-updated_at", "-id"),
    "code": ("customer_code", "id"),
    "name": ("name", "id"),
    "tier": ("tier", "-updated_at", "-id"),
    "registered": ("-registered_on", "-id"),
}


def _unmasked_match(qs: QuerySet[Customer], user, code: str, value: str) -> QuerySet[Customer]:
    """Matches a sensitive field only where the user sees it unmasked, so a masked match reads as no match;
    without a user (no one to ask the policy about) nothing matches."""
    if user is None:
        return qs.none()
    return qs.filter(**{code: value}, pk__in=customers_with_field_visible(user, code))


def search_customers(qs: QuerySet[Customer], term: str, *, user=None) -> QuerySet[Customer]:
    """Mobile, customer code, last 4 ID digits, or a name substring, chosen by the shape of the term.
    The last 4 ID digits show in the mask, so anyone may search them; a full mobile or ID number is matched
    only against customers whose field `user` sees unmasked."""
    term = (term or "").strip()
    if not term:
        return qs
    compact = re.sub(r"[\s\-]", "", term)
    if re.fullmatch(r"1[3-9]\d{9}", compact):
        return _unmasked_match(qs, user, "mobile", compact)
    if re.fullmatch(r"\d{3}[\dXx]", compact):
        return qs.filter(id_last4=compact.upper())
    if re.fullmatch(r"[A-Za-z0-9]+-\d{6}", term.replace(" ", "")):
        return qs.filter(customer_code=term.replace(" ", "").upper())
    if re.fullmatch(r"\d{17}[\dXx]", compact):
        return _unmasked_match(qs, user, "id_number", compact.upper())
    return qs.filter(name__contains=term)


def filter_customers(user, params) -> QuerySet[Customer]:
    """The customer list: visible rows, filtered and sorted by the query string."""
    qs = visible_customers(user)
    state = params.get("state", "approved")
    if state in Customer.Registration.values:
        qs = qs.filter(registration_status=state)
    return apply_filters(qs, params, user=user)


def apply_filters(qs: QuerySet[Customer], params, *, user=None) -> QuerySet[Customer]:
    """The list's filters, search and sort; also what a data request's saved filter means. `user` is whose
    unmasked fields a search on a sensitive field may match (see `search_customers`)."""
    from django.utils import timezone

    from .forms import CustomerFilterForm
    params = CustomerFilterForm(params).values  # typed by anyone: what fits no filter is ignored
    for field in ("tier", "customer_status", "customer_source", "retail_format", "admin_region"):
        value = params.get(field)
        if value:
            qs = qs.filter(**{field: value})
    if params.get("unit"):
        qs = qs.filter(unit_id__in=OrgUnit.objects.descendant_ids([params["unit"]]))
    if params.get("owner"):
        qs = qs.filter(account_manager_id=params["owner"])
    if params.get("verification_overdue") == "1":
        qs = qs.verification_overdue(timezone.localdate())
    elif params.get("verification_due") == "1":
        qs = qs.verification_due(timezone.localdate())
    if params.get("completeness_below") is not None:
        qs = qs.filter(profile_completeness__lt=params["completeness_below"])
    qs = search_customers(qs, params.get("q", ""), user=user)
    return qs.order_by(*SORTS.get(params.get("sort"), SORTS["updated"]))


@dataclass(frozen=True)
class NextDue:
    label: str
    date: object = None
    overdue: bool = False


def next_due(customer: Customer, today) -> NextDue | None:
    """The customer's next piece of work as the archive schedules it, for the list's phone cards: the
    registration's next step, or the quarterly verification of an approved customer (overdue: past due)."""
    from .models import next_verification_due

    R = Customer.Registration
    state = customer.registration_status
    if state == R.DRAFT:
        return NextDue(gettext("Submit for approval"))
    if state == R.REJECTED:
        return NextDue(gettext("Correct and submit again"))
    if state in (R.SUBMITTED, R.REVIEWED):
        return NextDue(gettext("Waiting for approval"))
    due = next_verification_due(customer.last_verified_on)
    if due is None:
        return None
    return NextDue(gettext("Verification"), due, due < today)


def bulk_scope(user, params, ids=None) -> QuerySet[Customer]:
    """The customers a bulk action reaches: what the list shows the user for these filters
    (`visible_customers(user)` ∩ the filters), narrowed to the selected `ids` when there are any."""
    qs = filter_customers(user, params)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs


# Events that carry old → new values of a choice field say them in words, not codes.
_EVENT_FIELDS = {"tier_changed": "tier", "level_changed": "confidentiality_level", "suspended": "customer_status",
                 "reactivated": "customer_status", "cancelled": "customer_status"}


def _change_words(event) -> str:
    if "new" not in event.data or event.kind == "owner_changed":
        return ""
    field = _EVENT_FIELDS.get(event.kind)
    words = dict(Customer._meta.get_field(field).flatchoices) if field else {}
    old, new = event.data.get("old"), event.data["new"]
    return f"{words.get(old, old) or '—'} → {words.get(new, new)}"


def timeline(customer: Customer, limit: int = 50) -> list[TimelineEntry]:
    """Workflow steps, tier, owner and status changes, verifications, plus renames from the field history.

    Other apps add their own entries (visits...) as timeline sources in `crm.registry`."""
    from .models import CustomerChange

    entries = [
        TimelineEntry(e.at, e.get_kind_display(), _change_words(e), e.actor, e.comment)
        for e in customer.events.select_related("actor")[:limit]
    ]
    if customer.import_job_id:  # imports write no event per customer; the job is the record
        job = customer.import_job
        entries.append(TimelineEntry(
            customer.created_at, gettext("Imported"),
            gettext("%(file)s, row %(row)s") % {"file": job.original_name, "row": customer.import_row}, job.created_by,
        ))
    label = str(Customer._meta.get_field("name").verbose_name)
    entries += [
        TimelineEntry(c.at, label, f"{c.old_value} → {c.new_value}", c.actor)
        for c in CustomerChange.objects.filter(customer=customer, field="name").select_related("actor")[:limit]
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]


@dataclass
class HistoryEntry:
    at: object
    label: str
    old: str
    new: str
    actor: object


def change_history(customer: Customer, limit: int = 50, *, user=None, access: FieldAccess | None = None) -> list[HistoryEntry]:
    """Field changes in words: catalogue labels, choice labels and staff names instead of codes and ids;
    old and new values masked as the field itself is for `user` (no user: masked). `access`: the page's own
    answer for this user and customer, when it has one already."""
    from django.contrib.auth import get_user_model

    from crm.models import display_name

    from .models import CustomerChange

    changes = list(CustomerChange.objects.filter(customer=customer).select_related("actor")[:limit])
    fields = {c.field: Customer._meta.get_field(c.field) for c in changes}
    user_ids = {
        int(v) for c in changes if fields[c.field].is_relation for v in (c.old_value, c.new_value) if v.isdigit()
    }
    users = {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=user_ids)}

    access = access if access is not None and access.user is user else field_access(user, [customer])

    def show(field, value: str) -> str:
        if not access.can_see(customer, field.name):
            return mask(field.name, value)
        if field.is_relation and value.isdigit():
            return users.get(int(value), value) if field.related_model is get_user_model() else value
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return value

    return [
        HistoryEntry(c.at, str(fields[c.field].verbose_name), show(fields[c.field], c.old_value), show(fields[c.field], c.new_value), c.actor)
        for c in changes
    ]


def assignable_owners(user):
    """Reps a user may filter the list by: the sales staff of the units it sees."""
    from django.contrib.auth import get_user_model

    reps = get_user_model().objects.filter(groups__name=r.SALES_REP).order_by("last_name", "first_name")
    if user.is_superuser or r.has_role(user, *SEES_ALL_LEVELS, *SEES_ALL_BUT_SECRET):
        return reps[:500]
    if r.has_role(user, *SEES_OWN_UNIT_BUT_SECRET):
        return reps.filter(staff_profile__units__in=own_unit_ids(user)).distinct()[:500]
    return reps.none()


def capped_count(qs: QuerySet, cap: int = 2_000) -> tuple[int, bool]:
    """Counts up to `cap` rows only, so a million-row table never pays for a full COUNT."""
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def handoverable_customers(user) -> QuerySet[Customer]:
    """Customers a manager may hand over: those it sees, in the units it manages (own unit and below)."""
    from .permissions import hands_over_everywhere

    qs = visible_customers(user)
    return qs if hands_over_everywhere(user) else qs.filter(unit_id__in=own_unit_ids(user))


def unit_ids_with_ancestors(unit_ids) -> set[int]:
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    found, stack = set(), list(unit_ids)
    while stack:
        pk = stack.pop()
        if pk is not None and pk not in found:
            found.add(pk)
            stack.append(parents.get(pk))
    return found


def handover_heirs(user):
    """Who may take over a manager's customers: active sales staff of its units or of the units above them."""
    from django.contrib.auth import get_user_model

    from .permissions import SALES_STAFF, hands_over_everywhere

    staff = get_user_model().objects.filter(is_active=True, groups__name__in=SALES_STAFF)
    if not hands_over_everywhere(user):
        staff = staff.filter(staff_profile__units__in=unit_ids_with_ancestors(own_unit_ids(user)))
    return staff.distinct().order_by("last_name", "first_name", "username")


def handover_requests_to_confirm(user) -> list:
    """Self-handovers waiting for this user's confirmation (never the requester's own)."""
    from .models import HandoverRequest
    from .permissions import can_confirm_handover

    pending = (
        HandoverRequest.objects.filter(status=HandoverRequest.Status.PENDING)
        .exclude(requester=user)
        .select_related("requester", "from_user")[:200]
    )
    return [req for req in pending if can_confirm_handover(user, req)]


def grant_customer_ids(grant_id: int) -> QuerySet:
    """The customers a data request's grant covers (its rows in the guardian table), as a subquery."""
    from .models import CustomerUserObjectPermission

    return CustomerUserObjectPermission.objects.filter(grant_id=grant_id).values_list("content_object_id", flat=True)
