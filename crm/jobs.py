"""The frame every scheduled job runs in: a JobRun row, primary-key batches with bounded memory,
a retried (never silently skipped) failed batch, and set-based inserts guarded by unique keys."""
import logging
import os
import time
import traceback
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from .models import JobRun

log = logging.getLogger(__name__)
BATCH = int(os.environ.get("CRM_JOB_BATCH", 20_000))
# Seconds to rest between batches: spares a busy database (and lets the kill test catch a run mid-way).
PAUSE = float(os.environ.get("CRM_JOB_BATCH_PAUSE", 0))
RETRIES = 2


def insert_select(table: str, columns: list[str], queryset) -> int:
    """INSERT … SELECT … ON CONFLICT DO NOTHING: one statement per batch, nothing through Python.
    The unique constraint on the natural key is what makes a rerun, or a second worker, harmless."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(columns)}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


def run_in_batches(job: str, base_queryset, step: Callable, batch: int | None = None) -> JobRun:
    """Walks `base_queryset` by primary key ranges; `step(batch_qs)` returns (scanned, created)."""
    batch = batch or BATCH
    run = JobRun.objects.create(job=job)
    bounds = base_queryset.order_by().values_list("pk", flat=True)
    low = bounds.order_by("pk").first()
    high = bounds.order_by("-pk").first()
    errors = []
    if low is not None:
        start = low
        while start <= high:
            end = start + batch - 1
            _run_batch(run, f"batch {start}-{end}", lambda: step(base_queryset.filter(pk__range=(start, end))), errors)
            start = end + 1
    return _finish(run, errors)


def run_over_ids(job: str, ids: list[int], step: Callable[[list[int]], tuple[int, int]], batch: int = 100) -> JobRun:
    """Like `run_in_batches`, for an explicit list of ids (a user's selection, sparse over the table): sorted
    chunks of `batch` ids, each in one transaction with whatever progress `step(chunk)` records, retried
    (never silently skipped) when it fails. `step` returns (scanned, changed)."""
    run = JobRun.objects.create(job=job)
    ordered = sorted(set(ids))
    errors = []
    for start in range(0, len(ordered), batch):
        chunk = ordered[start:start + batch]
        _run_batch(run, f"ids {chunk[0]}-{chunk[-1]}", lambda: step(chunk), errors)
    return _finish(run, errors)


def _run_batch(run: JobRun, label: str, work: Callable[[], tuple[int, int]], errors: list[str]) -> None:
    """One batch in one transaction, retried; its counts go on the run (progress, visible in the admin)."""
    for attempt in range(RETRIES + 1):
        try:
            with transaction.atomic():
                scanned, created = work()
            run.rows_scanned += scanned
            run.tasks_created += created
            run.batches += 1
            run.save(update_fields=["rows_scanned", "tasks_created", "batches"])
            break
        except Exception:  # noqa: BLE001 - retried, then reported in the run log
            if attempt == RETRIES:
                errors.append(f"{label}: {traceback.format_exc(limit=3)}")
                log.exception("job %s: %s failed", run.job, label)
    if PAUSE:
        time.sleep(PAUSE)


def _finish(run: JobRun, errors: list[str]) -> JobRun:
    run.finished_at = timezone.now()
    run.errors = "\n".join(errors)
    run.status = JobRun.Status.FAILED if errors else JobRun.Status.OK
    run.save()
    return run


def run_simple(job: str, work: Callable[[], tuple[int, int]]) -> JobRun:
    """For jobs that are one call to a service (care messages, pool sweep, escalation)."""
    run = JobRun.objects.create(job=job)
    try:
        run.rows_scanned, run.tasks_created = work()
        run.status = JobRun.Status.OK
    except Exception:  # noqa: BLE001 - recorded in the run log and re-raised for Celery's retry
        run.status, run.errors = JobRun.Status.FAILED, traceback.format_exc(limit=5)
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    return run

