"""Thin Celery wrappers around the daily order scans; idempotent, acknowledged late."""
from celery import shared_task

OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "autoretry_for": (Exception,), "max_retries": 3,
           "retry_backoff": True}


@shared_task(**OPTIONS)
def overdue_scan() -> int:
    from .services import overdue_scan as scan

    return scan().tasks_created


@shared_task(**OPTIONS)
def late_shipment_scan() -> int:
    from .services import late_shipment_scan as scan

    return scan().tasks_created
