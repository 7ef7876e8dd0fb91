import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from crm.anchors import write_anchor
from crm.audit import record, verify_chain
from crm.models import AuditEntry, AuditEntryCustomer, AuditHead

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
    from crm import audit

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


AUDIT_TABLES = [AuditEntry._meta.db_table, AuditEntryCustomer._meta.db_table, AuditHead._meta.db_table]


def _wipe():
    """Empties the audit log as the tables' owner could (TRUNCATE on PostgreSQL, DELETE on SQLite)."""
    if connection.vendor == "postgresql":
        _tamper("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred foreign-key checks
        _tamper(f"TRUNCATE {', '.join(AUDIT_TABLES)}")
        _tamper("SET CONSTRAINTS ALL DEFERRED")
    else:
        for table in (AuditEntryCustomer._meta.db_table, AuditEntry._meta.db_table, AuditHead._meta.db_table):
            _tamper(f"DELETE FROM {table}")


def _rechain(from_pk: int, *, scheme, key=None, reason=None):
    """Rewrites the chain from `from_pk` on as an intruder would: optionally edits the row, recomputes
    every later hash (unkeyed, or with a key of their own) and moves the head to match."""
    from crm import audit

    prev, count = audit.GENESIS, 0
    for entry in AuditEntry.objects.order_by("pk"):
        count += 1
        if entry.pk >= from_pk:
            if reason is not None and entry.pk == from_pk:
                entry.reason = reason
            entry.scheme, entry.prev_hash = scheme, prev
            with override_settings(AUDIT_CHAIN_KEY=key or "not the key"):
                entry.hash = audit._digest(prev, entry)
            _tamper(f"UPDATE {AuditEntry._meta.db_table} SET reason = %s, scheme = %s, prev_hash = %s, hash = %s "
                    "WHERE id = %s", entry.reason, entry.scheme, entry.prev_hash, entry.hash, entry.pk)
        prev = entry.hash
    _tamper(f'UPDATE {AuditHead._meta.db_table} SET last_hash = %s, "count" = %s', prev, count)


def _broken(*fragments):
    problems = verify_chain()
    assert problems, "verify_chain found nothing"
    for fragment in fragments:
        assert any(fragment in p for p in problems), problems
    with pytest.raises(CommandError):
        call_command("verify_audit_chain")
    return problems


def test_truncate_is_refused_in_the_database():
    record("read", customers=[1], reason="first")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred checks
        statements = [f"TRUNCATE {', '.join(AUDIT_TABLES)}", f"TRUNCATE {AuditHead._meta.db_table}"]
    else:
        statements = [f"DELETE FROM {t}" for t in AUDIT_TABLES]
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    assert AuditEntry.objects.count() == 1 and AuditHead.objects.get().count == 1


@pytest.mark.parametrize("change", [
    "\"count\" = \"count\" - 1",
    "last_hash = '{genesis}'",
    "\"count\" = \"count\" + 1",
])
def test_the_head_only_moves_forward(change):
    from crm.audit import GENESIS

    record("read", reason="first")
    record("read", reason="second")
    for sql in [f"UPDATE {AuditHead._meta.db_table} SET {change.format(genesis=GENESIS)}",
                f"DELETE FROM {AuditHead._meta.db_table}"]:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
    third = record("read", reason="third")
    assert AuditHead.objects.get().count == 3 and AuditHead.objects.get().last_hash == third.hash
    assert verify_chain() == []


def test_a_truncated_log_is_found_by_the_anchor():
    record("read", reason="first")
    record("read", reason="second")
    write_anchor()
    _wipe()
    _broken("were anchored")
    record("read", reason="after the wipe")
    record("read", reason="after the wipe")
    record("read", reason="after the wipe")
    _broken("differs from the anchor")


def test_a_rewound_head_is_found_by_the_anchor():
    record("read", reason="first")
    second = record("read", reason="second")
    third = record("read", reason="third")
    write_anchor()
    _tamper(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", third.pk)
    _tamper(f'UPDATE {AuditHead._meta.db_table} SET last_hash = %s, "count" = 2', second.hash)
    _broken("were anchored")


def test_a_chain_recomputed_without_the_key_is_found():
    record("read", reason="first")
    second = record("read", reason="second")
    record("read", reason="third")
    _rechain(second.pk, scheme=2, reason="changed")
    _broken("edited")


def test_a_chain_recomputed_unkeyed_is_found():
    record("read", reason="first")
    second = record("read", reason="second")
    record("read", reason="third")
    _rechain(second.pk, scheme=None, reason="changed")
    _broken("unkeyed after keyed")


def test_a_chain_recomputed_unkeyed_from_the_start_is_found_by_the_anchor():
    first = record("read", reason="first")
    record("read", reason="second")
    write_anchor()
    _rechain(first.pk, scheme=None, reason="changed")
    _broken("differs from the anchor")


def test_rows_chained_before_the_key_still_verify():
    """A migrated database: its old rows are plain SHA-256 (scheme NULL), new rows continue keyed."""
    first = record("read", reason="before")
    record("read", reason="before")
    _rechain(first.pk, scheme=None)
    assert AuditEntry.objects.filter(scheme__isnull=True).count() == 2
    record("read", reason="after")
    assert AuditEntry.objects.filter(scheme=2).count() == 1
    write_anchor()
    assert verify_chain() == []
    call_command("verify_audit_chain")


def test_the_daily_anchor_goes_to_a_file_the_log_and_mail(settings, mailoutbox, caplog):
    from crm.tasks import anchor_audit_chain
    from crm.models import JobRun

    settings.AUDIT_ANCHOR_EMAILS = ["audit@example.com"]
    assert settings.CELERY_BEAT_SCHEDULE["audit-anchor"]["task"] == anchor_audit_chain.name
    entry = record("read", reason="first")
    with caplog.at_level("INFO", logger="crm.anchors"):
        anchor_audit_chain()
    record("read", reason="second")
    anchor_audit_chain()
    lines = (settings.AUDIT_ANCHOR_DIR / "anchors.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 2 and first["count"] == 1 and first["last_hash"] == entry.hash and first["last_id"] == entry.pk
    assert first["hmac"] and entry.hash in caplog.text
    assert len(mailoutbox) == 2 and mailoutbox[0].to == ["audit@example.com"] and entry.hash in mailoutbox[0].body
    assert JobRun.objects.filter(job="audit_anchor").count() == 2
    assert verify_chain() == []


def test_a_forged_anchor_is_reported(settings):
    record("read", reason="first")
    anchor = write_anchor()
    path = settings.AUDIT_ANCHOR_DIR / "anchors.jsonl"
    with open(path, "a") as file:
        file.write(json.dumps({**anchor, "count": 0, "last_hash": "0" * 64}) + "\n")
    _broken("not genuine")


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_still_empty_the_audit_log():
    """Django's flush after this test must get through the TRUNCATE/DELETE triggers."""
    record("read", reason="flushed afterwards")
    assert AuditHead.objects.get().count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and ownership are PostgreSQL's")
def test_the_application_role_may_only_read_and_append_after_the_hand_over():
    """Runs the production script in the test's transaction (rolled back, roles included), then acts
    as the application's role: appending works, emptying or unhooking the log does not."""
    import uuid

    suffix = uuid.uuid4().hex[:8]
    owner, app = f"crm_audit_owner_{suffix}", f"crm_app_{suffix}"
    record("read", customers=[1], reason="before")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {owner} NOLOGIN")
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("audit_ownership", owner=owner, app_role=app, execute=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {app}")
    try:
        entry = record("read", customers=[2], reason="as the application")
        assert AuditHead.objects.get().last_hash == entry.hash
        for sql in [f"TRUNCATE {', '.join(AUDIT_TABLES)}", f"ALTER TABLE {AUDIT_TABLES[0]} DISABLE TRIGGER ALL",
                    f"DROP TRIGGER {AUDIT_TABLES[0]}_append_only ON {AUDIT_TABLES[0]}"]:
            with pytest.raises(DatabaseError, match="permission denied|must be owner"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert verify_chain() == []


def test_the_hand_over_refuses_an_application_role_that_could_become_the_owner():
    from crm.ownership import ownership_sql

    assert "pg_has_role('crm', 'audit_owner', 'MEMBER')" in ownership_sql("audit_owner", "crm")[0]
    with pytest.raises(CommandError, match="Name both roles"):
        call_command("audit_ownership", owner="", app_role="crm")
    with pytest.raises(CommandError, match="not a role name"):
        call_command("audit_ownership", owner='x"; DROP TABLE y; --', app_role="crm")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")
def test_the_flush_switch_does_not_work_for_the_application_even_as_the_tables_owner():
    """The test suite's way past the TRUNCATE trigger needs a superuser: an application role that owns
    the tables (no hand-over yet) and sets the switch is still refused."""
    import uuid

    app = f"crm_app_{uuid.uuid4().hex[:8]}"
    record("read", customers=[1], reason="first")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in AUDIT_TABLES:
            cursor.execute(f"ALTER TABLE {table} OWNER TO {app}")
        cursor.execute(f"SET ROLE {app}")
    try:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL crm.audit_maintenance = 'on'")
                cursor.execute(f"TRUNCATE {', '.join(AUDIT_TABLES)}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEntry.objects.count() == 1


def test_verify_audit_chain_can_anchor_after_a_clean_check():
    from crm.anchors import latest

    entry = record("read", reason="first")
    call_command("verify_audit_chain", anchor=True)
    anchor, problem = latest()
    assert problem == "" and anchor["count"] == 1 and anchor["last_hash"] == entry.hash
