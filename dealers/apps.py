from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dealers"
    verbose_name = _("Dealers")

    def ready(self):
        from crm import registry

        from . import permissions

        registry.register_nav("dealers", _("Dealers"), "dealers:list", menu="customers", order=50,
                              visible=permissions.can_open_dealers)
