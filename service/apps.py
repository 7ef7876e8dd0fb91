from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "service"
    verbose_name = _("Customer service")

    def ready(self):
        from crm.demo import register_demo_loader

        from . import contributions, receivers  # noqa: F401
        from .demo import load_demo_opportunities

        contributions.register()
        register_demo_loader("Demo opportunities added", load_demo_opportunities)
