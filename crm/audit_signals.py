"""Failed sign-ins go to the audit log with the IP they came from; SQLite connections learn the
function the audit log's triggers consult."""
from django.contrib.auth.signals import user_login_failed
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from . import audit
from .audit import record


@receiver(connection_created)
def register_audit_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("crm_audit_maintenance", 0, lambda: int(audit.MAINTENANCE))


@receiver(user_login_failed)
def audit_login_failure(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "")
    record("login_failed", request=request, subject=str(username)[:150], detail={"username": str(username)[:150]})
