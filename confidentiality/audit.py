"""Writing and checking the audit log. `record` is the only way rows get in."""
import hashlib
import json
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from crm.models import display_name

from .models import AuditEntry, AuditEntryCustomer, AuditHead

GENESIS = "0" * 64
# SQLite only, test suite only: lets Django's flush empty the audit tables between transactional tests.
MAINTENANCE = False


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    payload = json.dumps(
        {
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
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
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
    )
    entry.hash = _digest(head.last_hash, entry)
    entry.save()
    AuditEntryCustomer.objects.bulk_create(AuditEntryCustomer(entry=entry, customer_id=pk) for pk in ids)
    head.last_hash, head.count = entry.hash, head.count + 1
    head.save(update_fields=["last_hash", "count"])
    return entry


def verify_chain(batch_size: int = 5000) -> list[str]:
    """Recomputes every hash in order; returns the problems found (empty: the chain is intact)."""
    problems = []
    prev, count, last_id = GENESIS, 0, 0
    while True:
        rows = list(AuditEntry.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.pk}: does not follow the previous entry (a row is missing or was altered)")
            if _digest(entry.prev_hash, entry) != entry.hash:
                problems.append(f"entry {entry.pk}: its content does not match its hash (edited)")
            prev, count, last_id = entry.hash, count + 1, entry.pk
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != count):
        problems.append(f"the chain ends at {count} entries but {head.count} were written (rows removed at the end)")
    return problems
