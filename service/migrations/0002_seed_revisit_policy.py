"""DOMAIN §3: A revisited by the marketing head every 3 months, B by a sales manager every 3 months,
every customer by its owner at least once a quarter. Admins change these rows later."""
from django.db import migrations

RULES = [("A", "marketing_head", 3), ("B", "sales_manager", 3), ("", "owner", 3)]


def seed(apps, schema_editor):
    RevisitRule = apps.get_model("service", "RevisitRule")
    for tier, who, months in RULES:
        RevisitRule.objects.using(schema_editor.connection.alias).get_or_create(tier=tier, who=who, defaults={"every_months": months})


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
