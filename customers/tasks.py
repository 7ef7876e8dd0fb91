"""Thin, late-acking tasks: a worker killed mid-way leaves the message to be delivered again, and the
service resumes after the last batch it committed."""
from celery import shared_task


@shared_task(acks_late=True)
def run_bulk_action_task(bulk_id: int) -> dict:
    from .bulk import run_bulk_action

    bulk = run_bulk_action(bulk_id)
    return {"bulk": bulk_id, "status": bulk.status if bulk else "gone"}
