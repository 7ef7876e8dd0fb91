from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfidentialityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "confidentiality"
    verbose_name = _("Confidentiality")

    def ready(self):
        from . import signals  # noqa: F401
