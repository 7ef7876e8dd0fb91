"""guardian's direct foreign-key tables for customers move beside Customer (issue 12, layers): the
tables stay; `grant_id` becomes a plain column and `fields` is added by confidentiality 0011, which
also drops them from its state. Nothing here touches the database."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('customers', '0006_level_change_request'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CustomerGroupObjectPermission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='customers.customer')),
                        ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.group')),
                        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                    ],
                    options={
                        'db_table': 'confidentiality_customergroupobjectpermission',
                        'abstract': False,
                        'unique_together': {('group', 'permission', 'content_object')},
                    },
                ),
                migrations.CreateModel(
                    name='CustomerUserObjectPermission',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('grant_id', models.BigIntegerField(blank=True, db_index=True, null=True)),
                        ('fields', models.JSONField(blank=True, default=list)),
                        ('expires_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='customers.customer')),
                        ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'confidentiality_customeruserobjectpermission',
                        'abstract': False,
                        'indexes': [models.Index(fields=['user', 'permission', 'expires_at'], name='custperm_user_exp')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('grant_id__isnull', True)), fields=('user', 'permission', 'content_object'), name='custperm_one_without_grant')],
                        'unique_together': {('user', 'permission', 'content_object', 'grant_id')},
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
