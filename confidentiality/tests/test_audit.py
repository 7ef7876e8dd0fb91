import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from confidentiality.audit import record, verify_chain
from confidentiality.models import AuditEntry, AuditEntryCustomer

pytestmark = pytest.mark.django_db


def test_entries_chain_to_each_other(make_user):
    user = make_user()
    first = record("read", actor=user, customers=[3, 1], reason="回访")
    second = record("export", actor=user, customers=[2])
    assert second.prev_hash == first.hash != second.hash
    assert first.customer_ids == [1, 3]
    assert list(AuditEntryCustomer.objects.filter(entry=first).values_list("customer_id", flat=True).order_by("customer_id")) == [1, 3]
    assert verify_chain() == []
    call_command("verify_audit_chain")


@pytest.mark.parametrize("statement", ["UPDATE {t} SET reason = 'x'", "DELETE FROM {t}"])
def test_update_and_delete_fail_in_the_database(statement):
    record("login_failed", subject="someone")
    table = AuditEntry._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(t=table))
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1


def _tamper(sql: str, *params):
    """Edits the table behind the triggers' back, as someone with database access would."""
    from confidentiality import audit

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            audit.MAINTENANCE = True
            cursor.execute(sql, params)
            audit.MAINTENANCE = False
        else:
            cursor.execute("SET session_replication_role = replica")  # a superuser skipping triggers
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")


def test_an_edited_row_breaks_the_chain():
    record("read", reason="first")
    entry = record("read", reason="second")
    record("read", reason="third")
    _tamper(f"UPDATE {AuditEntry._meta.db_table} SET reason = %s WHERE id = %s", "changed", entry.pk)
    assert any("edited" in p for p in verify_chain())
    with pytest.raises(CommandError):
        call_command("verify_audit_chain")


def test_a_removed_row_breaks_the_chain():
    record("read", reason="first")
    entry = record("read", reason="second")
    record("read", reason="third")
    _tamper(f"DELETE FROM {AuditEntryCustomer._meta.db_table} WHERE entry_id = %s", entry.pk)
    _tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", entry.pk)
    assert any("does not follow" in p for p in verify_chain())


def test_failed_sign_in_is_audited_with_the_ip(client, make_user):
    user = make_user()
    client.post(reverse("login"), {"username": user.username, "password": "wrong-pass-1"}, REMOTE_ADDR="10.1.2.3")
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.subject == user.username and entry.ip == "10.1.2.3"
