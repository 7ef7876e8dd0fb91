"""The audit log, notifications and guardian's customer tables leave confidentiality's state (issue 12,
layers): crm 0007 and customers 0007 took them over with the same tables. The grant rows lose their
database foreign key to AccessGrant (customers sits below confidentiality) and carry the grant's
fields, which the policy used to read from AccessGrant."""
from django.db import migrations, models


def copy_grant_fields(apps, schema_editor):
    AccessGrant = apps.get_model("confidentiality", "AccessGrant")
    Row = apps.get_model("confidentiality", "CustomerUserObjectPermission")
    for pk, fields in AccessGrant.objects.values_list("pk", "fields"):
        Row.objects.filter(grant_id=pk).update(fields=list(fields or ()))


class Migration(migrations.Migration):

    dependencies = [
        ("confidentiality", "0011_workflow_events"),
        ("crm", "0007_audit_log_moves_in"),
        ("customers", "0007_grant_table_moves_in"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customeruserobjectpermission",
            name="grant",
            field=models.ForeignKey(
                blank=True, null=True, db_constraint=False, on_delete=models.DO_NOTHING, related_name="permissions",
                to="confidentiality.accessgrant",
            ),
        ),
        migrations.AddField(
            model_name="customeruserobjectpermission",
            name="fields",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(copy_grant_fields, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CustomerUserObjectPermission"),
                migrations.DeleteModel(name="CustomerGroupObjectPermission"),
                migrations.DeleteModel(name="AuditEntryCustomer"),
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="AuditHead"),
                migrations.DeleteModel(name="Notification"),
            ],
            database_operations=[],
        ),
    ]
