"""Starting rules for the public pool: A and B exempt; C, D, E return after 90, 60, 30 quiet days."""
from django.db import migrations

RULES = [("A", 0, True), ("B", 0, True), ("C", 90, False), ("D", 60, False), ("E", 30, False)]


def seed(apps, schema_editor):
    PoolRule = apps.get_model("service", "PoolRule")
    for tier, days, exempt in RULES:
        PoolRule.objects.using(schema_editor.connection.alias).get_or_create(
            tier=tier, defaults={"no_followup_days": days or 365, "exempt": exempt, "warn_days_before": 7}
        )


class Migration(migrations.Migration):
    dependencies = [("service", "0006_public_pool")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
