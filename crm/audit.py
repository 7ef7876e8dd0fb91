"""Writing and checking the audit log. `record` is the only way rows get in."""
import hashlib
import hmac
import json
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import display_name

from .models import AuditEntry, AuditEntryCustomer, AuditHead

GENESIS = "0" * 64
# Rows written before the chain was keyed carry scheme None and plain SHA-256; they still verify.
KEYED = 2
# SQLite only, test suite only: lets Django's flush empty the audit tables between transactional tests.
MAINTENANCE = False


def keyed_digest(message: str) -> str:
    """HMAC with a key the database does not hold: whoever edits rows cannot recompute the chain."""
    return hmac.new(settings.AUDIT_CHAIN_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    fields = {
        "prev": prev_hash,
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "customers": entry.customer_ids,
        "subject": entry.subject,
        "ip": entry.ip,
        "reason": entry.reason,
        "detail": entry.detail,
    }
    if entry.scheme is not None:
        fields["scheme"] = entry.scheme
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    if entry.scheme == KEYED:
        return keyed_digest(payload)
    return hashlib.sha256(payload.encode()).hexdigest()


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def record(
    action: str,
    *,
    actor=None,
    customers: Iterable = (),
    request=None,
    reason: str = "",
    subject: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Appends one row, chained to the previous one under a lock so concurrent writers never fork the chain."""
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
    ids = sorted({c if isinstance(c, int) else c.pk for c in customers})
    entry = AuditEntry(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=display_name(actor) if getattr(actor, "pk", None) else "",
        action=action,
        customer_ids=ids,
        subject=subject[:200],
        ip=client_ip(request),
        reason=reason,
        detail=detail or {},
        prev_hash=head.last_hash,
        scheme=KEYED,
    )
    entry.hash = _digest(head.last_hash, entry)
    entry.save()
    AuditEntryCustomer.objects.bulk_create(AuditEntryCustomer(entry=entry, customer_id=pk) for pk in ids)
    head.last_hash, head.count = entry.hash, head.count + 1
    head.save(update_fields=["last_hash", "count"])
    return entry


def verify_chain(batch_size: int = 5000, anchor: dict | None = None) -> list[str]:
    """Recomputes every hash in order and holds the chain against the latest anchor kept outside the
    database (see anchors.py); returns the problems found (empty: the chain is intact)."""
    from . import anchors

    problems = []
    if anchor is None:
        anchor, anchor_problem = anchors.latest()
        if anchor_problem:
            problems.append(anchor_problem)
    anchored_hash = None
    prev, count, last_id, keyed_seen = GENESIS, 0, 0, False
    while True:
        rows = list(AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.pk}: does not follow the previous entry (a row is missing or was altered)")
            if _digest(entry.prev_hash, entry) != entry.hash:
                problems.append(f"entry {entry.pk}: its content does not match its hash (edited)")
            if entry.scheme == KEYED:
                keyed_seen = True
            elif entry.scheme is not None or keyed_seen:
                problems.append(f"entry {entry.pk}: unkeyed after keyed entries (the chain was recomputed)")
            prev, count, last_id = entry.hash, count + 1, entry.pk
            if anchor and count == anchor["count"]:
                anchored_hash = entry.hash
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != count):
        problems.append(f"the chain ends at {count} entries but {head.count} were written (rows removed at the end)")
    if anchor and anchor["count"] > count:
        problems.append(
            f"the chain has {count} entries but {anchor['count']} were anchored at {anchor['at']} "
            "(truncated or rewound)"
        )
    elif anchor and anchor["count"] and anchored_hash != anchor["last_hash"]:
        problems.append(
            f"entry no. {anchor['count']} differs from the anchor written at {anchor['at']} "
            "(the chain was rewritten)"
        )
    return problems
