from celery import shared_task


@shared_task(acks_late=True)
def revoke_expired_grants() -> int:
    """Hourly: expired access grants lose their permission rows (idempotent)."""
    from .services import revoke_expired_grants as revoke

    return revoke()
