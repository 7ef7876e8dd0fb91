"""Anchors of the audit chain kept outside the database: once a day the head (how many entries,
the last hash) goes, with an HMAC under AUDIT_CHAIN_KEY, to an append-only file, the log and
optionally by e-mail. Whoever rewinds, truncates or rebuilds the chain in the database cannot
change what was anchored before, and `verify_audit_chain` holds the chain against the latest anchor."""
import hmac
import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .audit import GENESIS, keyed_digest
from .models import AuditEntry, AuditHead

log = logging.getLogger(__name__)
FILENAME = "anchors.jsonl"
FIELDS = ("at", "count", "last_id", "last_hash")


def _path() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR) / FILENAME


def _signature(anchor: dict) -> str:
    return keyed_digest(json.dumps({k: anchor[k] for k in FIELDS}, sort_keys=True, separators=(",", ":")))


def write_anchor() -> dict:
    """Appends the current head; the file is opened for appending only and synced before returning."""
    head = AuditHead.objects.filter(pk=1).first()
    count, last_hash = (head.count, head.last_hash) if head else (0, GENESIS)
    last = AuditEntry.objects.filter(hash=last_hash).values_list("pk", flat=True).first() if count else None
    anchor = {"at": timezone.now().isoformat(), "count": count, "last_id": last, "last_hash": last_hash}
    anchor["hmac"] = _signature(anchor)
    line = json.dumps(anchor, sort_keys=True, separators=(",", ":"))
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    log.info("audit chain anchor %s", line)
    if settings.AUDIT_ANCHOR_EMAILS:
        send_mail(
            f"Audit chain anchor {anchor['at'][:10]}: {count} entries",
            line,
            None,
            settings.AUDIT_ANCHOR_EMAILS,
        )
    return anchor


def _genuine(line: str) -> dict | None:
    try:
        anchor = json.loads(line)
        if all(k in anchor for k in FIELDS) and hmac.compare_digest(str(anchor.get("hmac", "")), _signature(anchor)):
            return anchor
    except (ValueError, TypeError, AttributeError):
        pass
    return None


def latest() -> tuple[dict | None, str]:
    """The last genuine anchor and, if lines after it are forged or damaged, a problem to report."""
    path = _path()
    if not path.exists():
        return None, ""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for back, line in enumerate(reversed(lines)):
        anchor = _genuine(line)
        if anchor is not None:
            break
    else:
        anchor, back = None, len(lines)
    problem = f"{back} line(s) at the end of {path} are not genuine anchors (their HMAC does not match)" if back else ""
    return anchor, problem
