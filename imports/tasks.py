"""Thin, late-acking tasks: a worker killed mid-way leaves the message to be delivered again, and
both services start over safely (the preview from scratch, the commit in one transaction)."""
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model

from . import services


@shared_task(acks_late=True)
def preview_import(job_id: int) -> dict:
    job = services.run_preview(job_id)
    return {"job": job_id, "status": job.status if job else "gone"}


@shared_task(acks_late=True)
def commit_import_task(job_id: int, actor_id: int) -> dict:
    actor = get_user_model().objects.get(pk=actor_id)
    try:
        job = services.commit_import(actor=actor, job_id=job_id, background=True,
                                     pause=settings.CRM_IMPORT_COMMIT_PAUSE)
    except services.ImportRefused as exc:
        services.fail_commit(job_id, str(exc))
        return {"job": job_id, "status": "refused", "error": str(exc)}
    return {"job": job_id, "status": job.status}
