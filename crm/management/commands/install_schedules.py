"""Writes CELERY_BEAT_SCHEDULE into django-celery-beat's tables (what beat also does at start), so
admins see and change the schedules in the admin before beat first runs. Safe to run again."""
from django.conf import settings
from django.core.management.base import BaseCommand
from django_celery_beat.schedulers import ModelEntry

from crm.celery import app


class Command(BaseCommand):
    help = "Install the periodic job schedules into the database (idempotent)."

    def handle(self, *args, **options):
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            ModelEntry.from_entry(name, app=app, **entry)
        self.stdout.write(f"{len(settings.CELERY_BEAT_SCHEDULE)} schedules installed.")
