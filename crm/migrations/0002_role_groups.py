"""Creates one Django group per role of DOMAIN §1 (the group name is the role code)."""
from django.db import migrations

ROLE_CODES = [
    "sales_rep", "sales_supervisor", "sales_manager", "cs_specialist", "cs_manager",
    "marketing_head", "planner", "archivist", "finance", "general_manager", "admin",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for code in ROLE_CODES:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=code)


def drop_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLE_CODES).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, drop_groups)]
