from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from crm.demo import register_demo_loader

        from . import contributions
        from .demo import load_demo_customers

        contributions.register()
        register_demo_loader("Demo customers added", load_demo_customers)
