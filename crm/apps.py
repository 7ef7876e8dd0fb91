from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"
    verbose_name = _("Organisation and staff")

    def ready(self):
        from . import audit_signals, contributions, signals  # noqa: F401

        contributions.register()
        # django-axes names its admin section "Axes" and ships no Chinese: name it here (its field and model
        # names are lazy strings, translated in our catalogue).
        from django.apps import apps

        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Sign-in lockouts")
        if apps.is_installed("guardian"):  # its generic per-object tables carry no verbose names of their own
            apps.get_app_config("guardian").verbose_name = _("Object permissions")
            for model, single, plural in (
                ("UserObjectPermission", _("object permission of a user"), _("object permissions of users")),
                ("GroupObjectPermission", _("object permission of a role"), _("object permissions of roles")),
            ):
                meta = apps.get_model("guardian", model)._meta
                meta.verbose_name, meta.verbose_name_plural = single, plural
        if apps.is_installed("import_export"):  # no models; named for any page that lists the installed apps
            apps.get_app_config("import_export").verbose_name = _("Import and export")
        if apps.is_installed("django_celery_beat"):  # its task name's label is a plain English string
            apps.get_model("django_celery_beat", "PeriodicTask")._meta.get_field("task").verbose_name = _("job")
