"""What the core itself puts in the navigation, registered from CrmConfig.ready()."""
from django.utils.translation import gettext_lazy as _

from . import permissions, registry


def register() -> None:
    registry.register_nav("home", _("Dashboard"), "home", menu="main", order=0)
    # Reports have no app yet; the entry announces them to the roles that will read them.
    registry.register_nav("reports", _("Reports"), None, menu="reports", order=10, visible=permissions.can_open_reports)
    registry.register_nav("admin", _("Users, roles and units"), "admin:index", menu="admin", order=90,
                          visible=permissions.can_open_admin)
