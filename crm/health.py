"""Liveness of the two things every request and job depends on."""
from django.db import connection

from .celery import app as celery_app


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database does not answer
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_status(timeout: float = 2.0) -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
            conn.default_channel  # the filesystem transport checks its folders here
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"
    return "ok"
