"""Which pages each role sees in the navigation. The one place that decides it."""
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from imports.permissions import IMPORTERS

from . import roles as r

ALL = None  # every signed-in user


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str | None  # None: the page comes with a later release
    roles: frozenset[str] | None = ALL

    def url(self) -> str | None:
        return reverse(self.url_name) if self.url_name else None


def _roles(*codes: str) -> frozenset[str]:
    return frozenset(codes)


SALES = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)
CUSTOMER_READERS = SALES + (r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD, r.PLANNER)

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("home", _("Dashboard"), "home"),
    NavItem("inbox", _("To-do"), "service:inbox"),
    NavItem("customers", _("Customers"), "customers:list", _roles(*CUSTOMER_READERS)),
    NavItem("registrations", _("Registration approvals"), "customers:approvals", _roles(r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD)),
    NavItem("handover", _("Customer handover"), "customers:handover", _roles(r.SALES_MANAGER, r.MARKETING_HEAD)),
    NavItem("handover_requests", _("Handover confirmations"), "customers:handover_requests",
            _roles(r.SALES_MANAGER, r.MARKETING_HEAD)),
    NavItem("level_requests", _("Confidentiality approvals"), "customers:level_requests", _roles(r.MARKETING_HEAD)),
    NavItem("visits", _("Visits"), "service:weekly", _roles(*SALES, r.MARKETING_HEAD)),
    NavItem("inquiries", _("Calls and walk-ins"), "service:inquiries", _roles(*SALES, r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD)),
    NavItem("opportunities", _("Opportunities"), "service:opportunities", _roles(*SALES, r.MARKETING_HEAD)),
    NavItem("pool", _("Public pool"), "service:pool", _roles(r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)),
    NavItem("complaints", _("Complaints"), "service:complaints", _roles(*SALES, r.CS_SPECIALIST, r.CS_MANAGER)),
    NavItem("data_requests", _("Data requests"), "confidentiality:requests"),
    NavItem(
        "data_request_queue",
        _("Data request approvals"),
        "confidentiality:queue",
        _roles(r.MARKETING_HEAD, r.CS_MANAGER, r.CS_SPECIALIST),
    ),
    NavItem(
        "audit",
        _("Audit log"),
        "confidentiality:audit",
        _roles(r.MARKETING_HEAD, r.CS_MANAGER, r.SALES_MANAGER, r.GENERAL_MANAGER),
    ),
    NavItem("archive", _("Archive lending"), "confidentiality:archive", _roles(*CUSTOMER_READERS, r.ARCHIVIST, r.GENERAL_MANAGER)),
    NavItem("dealers", _("Dealers"), None, _roles(r.SALES_MANAGER, r.MARKETING_HEAD, r.FINANCE)),
    NavItem("orders", _("Orders"), None, _roles(*SALES, r.FINANCE, r.GENERAL_MANAGER)),
    NavItem("payments", _("Payments and credit"), None, _roles(r.FINANCE)),
    NavItem(
        "reports",
        _("Reports"),
        None,
        _roles(r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_MANAGER, r.MARKETING_HEAD, r.GENERAL_MANAGER),
    ),
    NavItem("leaks", _("Leak incidents"), "confidentiality:leaks"),
    NavItem("import", _("Excel import"), "imports:list", _roles(*IMPORTERS)),  # = imports.permissions.can_import
    NavItem("admin", _("Users, roles and units"), "admin:index", _roles(r.ADMIN)),
)


def navigation_for(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    held = r.user_role_codes(user)
    return [item for item in NAV_ITEMS if user.is_superuser or item.roles is ALL or item.roles & held]
