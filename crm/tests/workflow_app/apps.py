from django.apps import AppConfig


class WorkflowAppConfig(AppConfig):
    """A throwaway app, installed by the test settings only, that contributes the way a real app does."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "crm.tests.workflow_app"
    label = "crm_workflow_app"

    def ready(self):
        from . import contributions

        contributions.register()
