from django.core.management.base import BaseCommand

from orders.services import recompute_trade_figures


class Command(BaseCommand):
    help = "Recompute the customers' trade figures (purchase quantity, amount, products, trade dates...) from their orders."

    def add_arguments(self, parser):
        parser.add_argument("customer_ids", nargs="*", type=int, help="only these customers (default: everyone)")

    def handle(self, *args, customer_ids=(), **options):
        written = recompute_trade_figures(customer_ids or None)
        self.stdout.write(self.style.SUCCESS(f"{written} customers updated."))
