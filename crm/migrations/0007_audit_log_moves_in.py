"""The audit log and notifications move to crm (issue 12, layers): the tables stay where they are
(same db_table, triggers on table names), only Django's state changes; confidentiality 0011 drops them
from its state."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0006_jobrun_dedupe_key'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditHead',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('last_hash', models.CharField(max_length=64)),
                        ('count', models.BigIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'confidentiality_audithead',
                    },
                ),
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='at')),
                        ('actor_name', models.CharField(blank=True, max_length=150, verbose_name='who (as recorded)')),
                        ('action', models.CharField(choices=[('login_failed', 'Sign-in failed'), ('read', 'Read a confidential record'), ('unmask', 'Unmasked a field'), ('grant', 'Access granted'), ('revoke', 'Access revoked'), ('approve', 'Approved'), ('reject', 'Rejected'), ('export', 'Exported'), ('print', 'Printed'), ('import', 'Imported'), ('audit_export', 'Exported the audit log'), ('handover', 'Customers handed over'), ('level_lowered', 'Confidentiality level lowered')], db_index=True, max_length=20, verbose_name='action')),
                        ('customer_ids', models.JSONField(blank=True, default=list, verbose_name='customers')),
                        ('subject', models.CharField(blank=True, max_length=200, verbose_name='subject')),
                        ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('detail', models.JSONField(blank=True, default=dict, verbose_name='detail')),
                        ('prev_hash', models.CharField(max_length=64)),
                        ('hash', models.CharField(max_length=64, unique=True)),
                        ('scheme', models.SmallIntegerField(blank=True, editable=False, null=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who')),
                    ],
                    options={
                        'verbose_name': 'audit entry',
                        'verbose_name_plural': 'audit log',
                        'db_table': 'confidentiality_auditentry',
                        'ordering': ['-id'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEntryCustomer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('customer_id', models.BigIntegerField(db_index=True)),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.auditentry')),
                    ],
                    options={
                        'db_table': 'confidentiality_auditentrycustomer',
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('subject', models.CharField(max_length=200)),
                        ('body', models.TextField(blank=True)),
                        ('url', models.CharField(blank=True, max_length=200)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'confidentiality_notification',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='auditentry',
                    index=models.Index(fields=['actor', '-at'], name='audit_actor_at'),
                ),
            ],
            database_operations=[],
        ),
    ]
