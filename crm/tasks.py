import os
import socket

from celery import shared_task


@shared_task
def ping() -> dict:
    """Answers with the worker's identity: proves a task crossed the broker into another process."""
    return {"pid": os.getpid(), "hostname": socket.gethostname()}


@shared_task(acks_late=True)
def anchor_audit_chain() -> int:
    """Daily: the audit chain's head goes outside the database (file, log line, optional e-mail)."""
    from .anchors import write_anchor
    from .jobs import run_simple

    return run_simple("audit_anchor", lambda: (write_anchor()["count"], 1)).tasks_created
