from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from crm import registry

        from . import permissions

        # The pages come with the orders release; until then the entries say so.
        registry.register_nav("orders", _("Orders"), None, menu="orders", order=10, visible=permissions.can_open_orders)
        registry.register_nav("payments", _("Payments and credit"), None, menu="orders", order=20,
                              visible=permissions.can_open_payments)
