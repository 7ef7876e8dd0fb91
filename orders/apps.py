from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from crm.demo import register_demo_loader

        from . import contributions, importing  # noqa: F401  (importing registers the product import)
        from .demo import load_demo_orders

        contributions.register()
        register_demo_loader("Demo products and credit terms added", load_demo_orders)
