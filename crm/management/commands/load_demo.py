from django.core.management.base import BaseCommand
from django.utils import translation

from crm.demo import load_demo_data


class Command(BaseCommand):
    help = "Load demo org units, one user per role and a few customers (idempotent)."

    def handle(self, *args, **options):
        from customers.demo import load_demo_customers

        with translation.override("zh-hans"):
            rows = load_demo_data()
            customers = load_demo_customers()
        self.stdout.write(self.style.SUCCESS("Demo users (username / role / password):"))
        for username, label, password in rows:
            self.stdout.write(f"  {username:<12} {label:<10} {password}")
        self.stdout.write(f"Demo customers added: {customers}")
