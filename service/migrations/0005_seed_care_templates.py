"""Greeting templates to start from (the weather ones are from seed 000); admins edit them."""
from django.db import migrations

TEMPLATES = [
    ("birthday", "生日祝福", "{name}您好，今天是您的生日，祝您生日快乐、身体健康、万事如意！"),
    ("holiday", "节日问候", "{name}您好，佳节将至，祝您和家人节日快乐，阖家幸福！"),
    ("weather", "降温提醒", "问候经常，关怀时常，用心传递，真诚祝愿，天冷了，多注意身体，风起了，多加件衣服。"),
]


def seed(apps, schema_editor):
    CareTemplate = apps.get_model("service", "CareTemplate")
    for kind, name, body in TEMPLATES:
        CareTemplate.objects.using(schema_editor.connection.alias).get_or_create(kind=kind, name=name, defaults={"body": body})


class Migration(migrations.Migration):
    dependencies = [("service", "0004_care_messages")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
