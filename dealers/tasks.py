"""Thin Celery wrappers around the dealer services; each is idempotent (unique keys on fees, checks and
open proposals; reminders sent once) and acknowledges late."""
from celery import shared_task

OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "autoretry_for": (Exception,), "max_retries": 3,
           "retry_backoff": True}


def _last_month():
    from dateutil.relativedelta import relativedelta
    from django.utils import timezone

    return timezone.localdate().replace(day=1) - relativedelta(months=1)


@shared_task(**OPTIONS)
def hq_share_check() -> int:
    """On the 1st: last month's HQ purchase share of every member against its contract."""
    from crm.jobs import run_simple

    from .services import check_hq_share

    return run_simple("dealer_hq_share_check", lambda: check_hq_share(_last_month())).tasks_created


@shared_task(**OPTIONS)
def monthly_fees() -> int:
    """On the 1st: last month's membership and operating fees as charges."""
    from crm.jobs import run_simple

    from .services import charge_monthly_fees

    return run_simple("dealer_monthly_fees", lambda: charge_monthly_fees(_last_month())).tasks_created


@shared_task(**OPTIONS)
def plan_reminders() -> int:
    from django.utils import timezone

    from crm.jobs import run_simple

    from .services import plan_reminders as remind

    return run_simple("dealer_plan_reminders", lambda: remind(timezone.localdate())).tasks_created


@shared_task(**OPTIONS)
def credit_grade_proposals() -> int:
    from crm.jobs import run_simple

    from .services import propose_grades

    return run_simple("dealer_credit_proposals", propose_grades).tasks_created


@shared_task(**OPTIONS)
def registration_check_reminders() -> int:
    from django.utils import timezone

    from crm.jobs import run_simple

    from .services import registration_check_reminders as remind

    return run_simple("dealer_registration_checks", lambda: remind(timezone.localdate())).tasks_created
