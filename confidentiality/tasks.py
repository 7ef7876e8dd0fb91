from celery import shared_task


@shared_task(acks_late=True)
def revoke_expired_grants() -> int:
    """Hourly: expired access grants lose their permission rows (idempotent)."""
    from .services import revoke_expired_grants as revoke

    return revoke()


@shared_task(acks_late=True)
def monthly_lending_report() -> int:
    """On the 5th: the list of paper files out goes to the general manager (once per month)."""
    from .archive import send_outstanding_report

    return send_outstanding_report()
