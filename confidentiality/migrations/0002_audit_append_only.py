"""The audit log is append-only in the database itself: UPDATE and DELETE fail for everyone.

SQLite: the triggers ask the SQL function `crm_audit_maintenance()` (registered on every connection
by confidentiality.signals); it answers 1 only while the test suite empties the database between
transactional tests (see conftest.py). Without the function the trigger errors, which refuses too.
PostgreSQL: row triggers; TRUNCATE is not a row event, so the production role must not own the table.
"""
from django.db import migrations


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION crm_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    tables = ["confidentiality_auditentry", "confidentiality_auditentrycustomer"]
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION crm_audit_append_only()"
            )
    elif vendor == "sqlite":
        for table in tables:
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    "WHEN crm_audit_maintenance() = 0 "
                    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
                )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in ["confidentiality_auditentry", "confidentiality_auditentrycustomer"]:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")


class Migration(migrations.Migration):
    dependencies = [("confidentiality", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
