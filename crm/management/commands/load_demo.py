from django.core.management.base import BaseCommand
from django.utils import translation

from crm.demo import load_demo_data


class Command(BaseCommand):
    help = "Load demo org units and one user per role (idempotent)."

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            rows = load_demo_data()
        self.stdout.write(self.style.SUCCESS("Demo users (username / role / password):"))
        for username, label, password in rows:
            self.stdout.write(f"  {username:<12} {label:<10} {password}")
