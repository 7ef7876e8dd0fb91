"""A real worker runs the verification scan through Redis and is SIGKILLed mid-run; a second
worker picks the message up again and completes the work: nothing twice, nothing missing."""
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from crm import roles as r
from crm.models import JobRun
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


def start_worker(log_path: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CRM_JOB_BATCH": "25", "CRM_JOB_BATCH_PAUSE": "0.3", "CELERY_VISIBILITY_TIMEOUT": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-Q", QUEUE, "--without-gossip",
         "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


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
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(30)
    tasks = FollowUpTask.objects.filter(kind="verification")
    assert tasks.count() == due
    assert tasks.values("customer_id").distinct().count() == due
    runs = JobRun.objects.filter(job="verification_scan")
    assert runs.filter(status="running").count() == 1  # the killed run, left as it died
    assert runs.get(status="ok").tasks_created == due - at_kill
