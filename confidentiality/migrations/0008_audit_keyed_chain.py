"""The audit chain gets keyed (HMAC) rows, and the database refuses what the row triggers of 0002 let
through: TRUNCATE of the audit tables, and any move of the chain's head (`audithead`) other than one
step forward onto the entry just appended. Existing rows keep `scheme` NULL (plain SHA-256) and verify.

The only way past these triggers is the test suite's flush: on PostgreSQL a superuser session that set
`crm.audit_maintenance` for its transaction (conftest.py), on SQLite `crm_audit_maintenance()` (0002).
The application's role is no superuser in production, and does not own the tables (0007).
"""
from django.db import migrations, models

TABLES = ["confidentiality_auditentry", "confidentiality_auditentrycustomer", "confidentiality_audithead"]
HEAD = "confidentiality_audithead"
ENTRY = "confidentiality_auditentry"
GENESIS = "0" * 64

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION crm_audit_maintenance() RETURNS boolean AS $$
    SELECT coalesce(current_setting('crm.audit_maintenance', true), '') = 'on'
       AND current_setting('is_superuser') = 'on';
$$ LANGUAGE sql STABLE;

CREATE OR REPLACE FUNCTION crm_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF crm_audit_maintenance() THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION crm_audit_head_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW."count" = 0 AND NEW.last_hash = '{GENESIS}'
       AND NOT EXISTS (SELECT 1 FROM {HEAD}) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW."count" = OLD."count" + 1
       AND EXISTS (SELECT 1 FROM {ENTRY} WHERE hash = NEW.last_hash AND prev_hash = OLD.last_hash) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: its head only moves forward (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""

SQLITE_HEAD = [
    f"""CREATE TRIGGER {HEAD}_forward BEFORE UPDATE ON {HEAD}
    WHEN crm_audit_maintenance() = 0 AND NOT (
        NEW.id = OLD.id AND NEW."count" = OLD."count" + 1
        AND EXISTS (SELECT 1 FROM {ENTRY} WHERE hash = NEW.last_hash AND prev_hash = OLD.last_hash))
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its head only moves forward'); END""",
    f"""CREATE TRIGGER {HEAD}_first BEFORE INSERT ON {HEAD}
    WHEN crm_audit_maintenance() = 0 AND NOT (
        NEW."count" = 0 AND NEW.last_hash = '{GENESIS}' AND NOT EXISTS (SELECT 1 FROM {HEAD}))
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its head only moves forward'); END""",
    f"""CREATE TRIGGER {HEAD}_no_delete BEFORE DELETE ON {HEAD}
    WHEN crm_audit_maintenance() = 0
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: its head only moves forward'); END""",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTIONS, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION crm_audit_no_truncate()"
            )
        schema_editor.execute(
            f"CREATE TRIGGER {HEAD}_forward BEFORE INSERT OR UPDATE OR DELETE ON {HEAD} "
            "FOR EACH ROW EXECUTE FUNCTION crm_audit_head_forward()"
        )
    elif vendor == "sqlite":
        for statement in SQLITE_HEAD:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {HEAD}_forward ON {HEAD}")
        for function in ("crm_audit_no_truncate", "crm_audit_head_forward", "crm_audit_maintenance"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    elif vendor == "sqlite":
        for name in ("forward", "first", "no_delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {HEAD}_{name}")


class Migration(migrations.Migration):
    dependencies = [("confidentiality", "0007_secret_requests")]
    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="scheme",
            field=models.SmallIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
    ]
