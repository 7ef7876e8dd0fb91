"""The warehouse's group (仓库, issue 16: it ships the approved orders), created the way 0002 created the others."""
from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).get_or_create(name="warehouse")


def drop_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name="warehouse").delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_chinese_labels")]
    operations = [migrations.RunPython(create_group, drop_group)]
