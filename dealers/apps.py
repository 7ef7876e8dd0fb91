from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dealers"
    verbose_name = _("Dealers")

    def ready(self):
        from crm import registry

        from . import permissions

        # The pages come with the dealers release; until then the entry says so.
        registry.register_nav("dealers", _("Dealers"), None, menu="customers", order=50,
                              visible=permissions.can_open_dealers)
