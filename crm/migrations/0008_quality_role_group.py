"""The quality manager's group (质量管理员, issue 14 item 2), created the way 0002 created the others."""
from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).get_or_create(name="quality")


def drop_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name="quality").delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0007_audit_log_moves_in")]
    operations = [migrations.RunPython(create_group, drop_group)]
