"""Production, PostgreSQL: when AUDIT_OWNER_ROLE names the role that should own the audit tables, hand
them over and leave the application's role (AUDIT_APP_ROLE, else the migrating role) SELECT/INSERT only.
Skipped otherwise (development, tests, SQLite): `manage.py audit_ownership` does the same later.
"""
from django.conf import settings
from django.db import migrations


def hand_over(apps, schema_editor):
    owner = getattr(settings, "AUDIT_OWNER_ROLE", "")
    if not owner or schema_editor.connection.vendor != "postgresql":
        return
    from crm.ownership import ownership_sql

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        app = getattr(settings, "AUDIT_APP_ROLE", "") or cursor.fetchone()[0]
    for statement in ownership_sql(owner, app):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("confidentiality", "0008_audit_keyed_chain")]
    operations = [migrations.RunPython(hand_over, migrations.RunPython.noop)]
