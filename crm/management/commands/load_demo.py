from django.core.management.base import BaseCommand
from django.utils import translation

from crm.demo import DEMO_LOADERS, load_demo_data


class Command(BaseCommand):
    help = "Load demo org units, one user per role and each app's registered demo data (idempotent)."

    def handle(self, *args, **options):
        with translation.override("zh-hans"):
            rows = load_demo_data()
            added = [(label, loader()) for label, loader in DEMO_LOADERS]
        self.stdout.write(self.style.SUCCESS("Demo users (username / role / password):"))
        for username, label, password in rows:
            self.stdout.write(f"  {username:<12} {label:<10} {password}")
        for label, count in added:
            self.stdout.write(f"{label}: {count}")
