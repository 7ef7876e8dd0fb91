"""A real worker runs the verification scan through Redis and is SIGKILLed mid-run; a second
worker picks the message up again and completes the work: nothing twice, nothing missing."""
import os
import signal
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from crm import roles as r
from crm.models import JobRun
from crm.tests import worker
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from service.models import FollowUpTask

ROOT = Path(__file__).resolve().parents[2]
QUEUE = "crm-kill-test"
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not os.environ.get("REDIS_URL") or connection.vendor != "postgresql",
                       reason="needs Redis and PostgreSQL shared with a worker process (CI has both)"),
]


def start_worker(log_path: Path):
    return worker.start_worker(log_path, QUEUE, CRM_JOB_BATCH=25, CRM_JOB_BATCH_PAUSE=0.3)


wait_for = worker.wait_for


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_scan_is_replaced_and_the_work_completes_once(make_user, tmp_path):
    from service.tasks import verification_scan

    unit = OrgUnitFactory(code="KILL")
    rep = make_user(r.SALES_REP, units=[unit])
    for _ in range(400):
        CustomerFactory(unit=unit, created_by=rep, last_verified_on=date(2020, 1, 1))
    due = Customer.objects.count()
    first = start_worker(tmp_path / "worker1.log")
    second = None
    try:
        verification_scan.apply_async(queue=QUEUE)
        wait_for(lambda: JobRun.objects.filter(job="verification_scan", batches__gte=3).exists(), 90, "the first batches")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        at_kill = FollowUpTask.objects.count()
        assert 0 < at_kill < due, at_kill
        second = start_worker(tmp_path / "worker2.log")
        wait_for(lambda: JobRun.objects.filter(job="verification_scan", status="ok").exists(), 120, "the rerun")
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
    tasks = FollowUpTask.objects.filter(kind="verification")
    assert tasks.count() == due
    assert tasks.values("customer_id").distinct().count() == due
    runs = JobRun.objects.filter(job="verification_scan")
    assert runs.filter(status="running").count() == 1  # the killed run, left as it died
    assert runs.get(status="ok").tasks_created == due - at_kill
