"""Read side of confidentiality: approvers' queues, a requester's requests, the audit log search."""
import re
from dataclasses import dataclass

from django.db.models import Count, Q

from crm import roles as r
from crm.inputs import positive_int
from crm.lists import search
from crm.models import AuditEntry, AuditEntryCustomer
from customers.policy import CONFIDENTIAL, INTERNAL, SECRET, SEES_ALL_LEVELS, own_unit_ids, visible_customers

from .models import AccessGrant, DataRequest, Printout
from .services import may_act, scope_customers

S = DataRequest.Status


def data_request_queue(user) -> list[DataRequest]:
    """Requests whose next step is this user's; the states are few, so the role check runs in Python."""
    states = Q(pk__in=[])
    if r.has_role(user, r.MARKETING_HEAD):
        states |= Q(status=S.SUBMITTED)
    if r.has_role(user, r.CS_MANAGER):
        states |= Q(status=S.MARKETING_APPROVED, cross_unit=True)
    if r.has_role(user, r.CS_SPECIALIST):
        states |= Q(status__in=[S.SUBMITTED, S.MARKETING_APPROVED, S.CS_CONFIRMED], data_unit_id__in=own_unit_ids(user))
    candidates = DataRequest.objects.filter(states).select_related("requester", "data_unit").order_by("created_at")[:500]
    return [request for request in candidates if may_act(user, request)]


def printouts_to_check_in(user):
    if not r.has_role(user, r.CS_SPECIALIST):
        return Printout.objects.none()
    return Printout.objects.filter(
        returned_at__isnull=True, grant__request__data_unit_id__in=own_unit_ids(user)
    ).select_related("grant__request", "printed_by")


def search_audit(*, actor=None, customer_id=None, action="", since=None, until=None, who=""):
    """`who` is part of the person's name or username; never the subject, which may name customers the reader may not see."""
    qs = AuditEntry.objects.select_related("actor")
    if actor:
        qs = qs.filter(actor=actor)
    for word in who.split()[:5]:
        qs = qs.filter(Q(actor_name__icontains=word) | Q(actor__username__icontains=word))
    if customer_id:
        qs = qs.filter(pk__in=AuditEntryCustomer.objects.filter(customer_id=customer_id).values("entry_id"))
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.order_by("-id")


AUDIT_CUSTOMERS_SHOWN = 20
# Actions whose subject, when written by customers/, is the customer itself (its name in older rows).
_SUBJECT_IS_THE_CUSTOMER = {AuditEntry.Action.READ, AuditEntry.Action.REJECT, AuditEntry.Action.UNMASK}


@dataclass
class AuditRow:
    entry: AuditEntry
    customers: list[str]
    more: int
    subject: str


def audit_rows(user, entries, *, shown: int = AUDIT_CUSTOMERS_SHOWN) -> list[AuditRow]:
    """The log as this reader may read it: a customer it may not see appears by code only, and a
    subject that could name such a customer (names were stored there) is replaced by the code."""
    from customers.models import Customer

    entries = list(entries)
    # Entries beyond `shown` customers are exports, grants and imports: their subject is a number or a file name.
    ids = sorted({pk for entry in entries for pk in entry.customer_ids[:shown]})
    known, visible = {}, set()
    for start in range(0, len(ids), 500):  # SQLite's limit on query parameters
        chunk = ids[start:start + 500]
        known.update({pk: (code, name) for pk, code, name in
                      Customer.objects.filter(pk__in=chunk).values_list("pk", "customer_code", "name")})
        visible.update(visible_customers(user).filter(pk__in=chunk).values_list("pk", flat=True))

    def code(pk: int) -> str:
        return (known.get(pk) or ("", ""))[0] or f"#{pk}"

    rows = []
    for entry in entries:
        labels = [f"{known[pk][1]} ({code(pk)})" if pk in visible and pk in known else code(pk)
                  for pk in entry.customer_ids[:shown]]
        hidden = [pk for pk in entry.customer_ids[:shown] if pk not in visible]
        subject = entry.subject
        if hidden and subject:
            codes = {code(pk) for pk in hidden}
            if entry.action in _SUBJECT_IS_THE_CUSTOMER and subject not in codes:
                subject = "、".join(sorted(codes))
            else:
                for pk in hidden:
                    name = (known.get(pk) or ("", ""))[1]
                    if name:
                        subject = subject.replace(name, code(pk))
        rows.append(AuditRow(entry=entry, customers=labels, more=max(len(entry.customer_ids) - shown, 0), subject=subject))
    return rows


def may_see_request(user, request: DataRequest) -> bool:
    """The requester, whoever acts or acted on it, the data unit's CS specialists and audit readers."""
    return (
        request.requester_id == user.pk
        or may_act(user, request)
        or may_read_audit(user)
        or (r.has_role(user, r.CS_SPECIALIST) and request.data_unit_id in own_unit_ids(user))
        or request.events.filter(actor=user).exists()
    )


def may_count_scope(user, request: DataRequest) -> bool:
    """Only those who decide on a request count what it covers in the data's unit: shown to anyone
    else, the count of `q=<mobile>` or `q=<ID number>` would tell whether such a customer exists there."""
    if user.is_superuser or r.has_role(user, *SEES_ALL_LEVELS):
        return True
    if user.pk == request.requester_id:
        return False
    return may_act(user, request) or request.events.filter(actor=user).exclude(status=S.SUBMITTED).exists()


def scope_by_level(request: DataRequest) -> dict[str, int]:
    """What a request covers per confidentiality level: what its approvers and fulfiller decide on,
    without showing them records (secret ones included) they may not see."""
    rows = scope_customers(request).order_by().values("confidentiality_level").annotate(n=Count("pk"))
    counts = {row["confidentiality_level"]: row["n"] for row in rows}
    return {level: counts.get(level, 0) for level in (INTERNAL, CONFIDENTIAL, SECRET)}


def granted_count(request: DataRequest) -> int | None:
    """How many customers the request's grant gave (the requester has seen them all), once fulfilled."""
    return AccessGrant.objects.filter(request=request).values_list("customer_count", flat=True).first()


AUDIT_READERS = (r.MARKETING_HEAD, r.CS_MANAGER, r.SALES_MANAGER, r.GENERAL_MANAGER)


def may_read_audit(user) -> bool:
    return user.is_superuser or r.has_role(user, *AUDIT_READERS)


def requests_of(user):
    """The data requests a user filed, newest first."""
    return DataRequest.objects.filter(requester=user).order_by("-created_at", "-pk")


def search_requests(requests, text: str):
    """A request's number (SQ202612-00042, or its serial 42) or words of its purpose."""
    number = re.fullmatch(r"(?:SQ\d{6}-)?0*(\d{1,10})", text.strip().upper())
    if number and positive_int(number.group(1)):
        return requests.filter(Q(pk=int(number.group(1))) | Q(purpose__icontains=text.strip()))
    return search(requests, text, ("purpose",))
