"""Thin Celery wrappers around the scans and services; each is idempotent and acknowledges late,
so a worker killed mid-run leaves the message to another worker, which completes the work."""
from celery import shared_task

OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "autoretry_for": (Exception,), "max_retries": 3,
           "retry_backoff": True}


@shared_task(**OPTIONS)
def verification_scan() -> int:
    from .scans import verification_scan as scan

    return scan().tasks_created


@shared_task(**OPTIONS)
def revisit_scan() -> int:
    from .scans import revisit_scan as scan

    return scan().tasks_created


@shared_task(**OPTIONS)
def licence_scan() -> int:
    from .scans import licence_scan as scan

    return scan().tasks_created


@shared_task(**OPTIONS)
def escalate_complaints() -> int:
    from crm.jobs import run_simple

    from .services import escalate_late_complaints

    return run_simple("complaint_escalation", lambda: (0, escalate_late_complaints())).tasks_created


@shared_task(**OPTIONS)
def birthday_greetings() -> int:
    from crm.jobs import run_simple

    from .care import send_birthday_greetings, send_holiday_greetings

    return run_simple("care_greetings", lambda: (0, send_birthday_greetings() + send_holiday_greetings())).tasks_created


@shared_task(**OPTIONS)
def public_pool_sweep() -> int:
    from crm.jobs import run_simple

    from .pool import sweep

    def work():
        result = sweep()
        return result["warned"] + result["returned"], result["returned"]

    return run_simple("public_pool_sweep", work).tasks_created


@shared_task(**OPTIONS)
def static_review_scan() -> int:
    from .scans import static_review_scan as scan

    return scan().tasks_created


@shared_task(**OPTIONS)
def tier_review_scan() -> int:
    from .scans import tier_review_scan as scan

    run = scan()
    return run.tasks_created if run else 0


@shared_task(**OPTIONS)
def new_account_scan() -> int:
    from .scans import new_account_scan as scan

    return scan().tasks_created


@shared_task(**OPTIONS)
def escalate_overdue_tasks() -> int:
    from .scans import escalate_overdue_tasks as scan

    return scan().tasks_created
