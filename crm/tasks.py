import os
import socket

from celery import shared_task


@shared_task
def ping() -> dict:
    """Answers with the worker's identity: proves a task crossed the broker into another process."""
    return {"pid": os.getpid(), "hostname": socket.gethostname()}
