"""A real worker process takes a task from the configured broker (Redis in CI, files locally)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from crm.celery import app
from crm.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


def test_ping_answers_with_its_process_identity():
    assert ping.run()["pid"] == os.getpid()


@pytest.mark.celery_worker
def test_a_separate_worker_process_runs_a_task_enqueued_from_django(tmp_path):
    if os.environ.get("REDIS_URL"):
        assert app.connection_for_write().transport.driver_type == "redis"
    queue = "crm-integration-test"  # the dev worker listens on "celery" only
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool=solo", "-Q", queue,
         "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        result = ping.apply_async(queue=queue)
        answer = result.get(timeout=90)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    assert answer["pid"] == worker.pid != os.getpid(), (tmp_path / "worker.log").read_text()
