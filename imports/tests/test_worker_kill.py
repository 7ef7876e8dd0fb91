"""Acceptance 3 of issue 6: a worker killed in the middle of committing a 50,000-row file leaves
no row written; the message goes back to the queue and a second worker writes the file once."""
import os
import signal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files import File
from django.db import connection
from django.test import override_settings

from crm import roles as r
from crm.tests import worker
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from imports import services
from imports.bench import HEADER, generated_rows, write_xlsx
from imports.models import ImportJob

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "crm-import-kill-test"
ROWS = 50_000
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
                       reason="needs Redis and PostgreSQL shared with a worker process (CI has both)"),
]


def start_worker(log_path: Path, pause: float):
    return worker.start_worker(log_path, QUEUE, CRM_IMPORT_COMMIT_PAUSE=pause, CRM_VAR_DIR=settings.VAR_DIR)


wait_for = worker.wait_for


def commit_in_flight() -> bool:
    """The worker's connection holds an open transaction that has inserted the customers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state = 'idle in transaction' AND query LIKE 'INSERT INTO customers_customer%%'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_commit_leaves_nothing_and_the_retry_writes_once(make_user, tmp_path):
    unit = OrgUnitFactory(code="KILL")
    admin = make_user(r.ADMIN, units=[unit])
    path = tmp_path / "customers-50000.xlsx"
    write_xlsx(path, HEADER, generated_rows(ROWS))
    with override_settings(CRM_IMPORT_INLINE_ROWS=ROWS * 2):
        job = services.create_import(actor=admin, upload=File(path.open("rb"), name=path.name))
        services.set_mapping(actor=admin, job_id=job.pk, mapping=job.mapping, mode="draft", unit=unit)
        job = services.start_preview(actor=admin, job_id=job.pk)
    assert job.status == ImportJob.Status.PREVIEWED and job.counts["new"] == ROWS, job.counts
    first = start_worker(tmp_path / "worker1.log", pause=60)
    second = None
    try:
        with override_settings(CRM_IMPORT_INLINE_ROWS=10, CRM_IMPORT_QUEUE=QUEUE):
            job = services.start_commit(actor=admin, job_id=job.pk)
        assert job.status == ImportJob.Status.COMMITTING
        wait_for(commit_in_flight, 120, "the worker to insert the rows inside its transaction")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        # The server ends the dead worker's session and rolls its transaction back.
        wait_for(lambda: not commit_in_flight(), 60, "the killed session to end")
        assert Customer.objects.count() == 0
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.COMMITTING  # as the worker left it
        second = start_worker(tmp_path / "worker2.log", pause=0)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.COMMITTED, 180, "the retry")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
    assert Customer.objects.filter(import_job=job).count() == ROWS
    assert Customer.objects.values("mobile").distinct().count() == ROWS
