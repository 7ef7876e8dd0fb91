from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Imports")

    def ready(self):
        from crm import registry

        from . import permissions

        registry.register_nav("import", _("Excel import"), "imports:list", menu="admin", order=10,
                              visible=permissions.can_open_import)
