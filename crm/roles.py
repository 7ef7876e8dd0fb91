"""The roles of DOMAIN §1. Each is a Django group whose name is the role code; labels are translated."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: str


SALES_REP = "sales_rep"
SALES_SUPERVISOR = "sales_supervisor"
SALES_MANAGER = "sales_manager"
CS_SPECIALIST = "cs_specialist"
CS_MANAGER = "cs_manager"
MARKETING_HEAD = "marketing_head"
PLANNER = "planner"
ARCHIVIST = "archivist"
FINANCE = "finance"
GENERAL_MANAGER = "general_manager"
WAREHOUSE = "warehouse"
QUALITY = "quality"
ADMIN = "admin"

ROLES: dict[str, Role] = {
    role.code: role
    for role in (
        Role(SALES_REP, _("Sales rep")),
        Role(SALES_SUPERVISOR, _("Sales supervisor")),
        Role(SALES_MANAGER, _("Sales manager")),
        Role(CS_SPECIALIST, _("CS specialist")),
        Role(CS_MANAGER, _("CS manager")),
        Role(MARKETING_HEAD, _("Marketing head")),
        Role(PLANNER, _("Project planner")),
        Role(ARCHIVIST, _("Archivist")),
        Role(FINANCE, _("Finance")),
        Role(GENERAL_MANAGER, _("General manager")),
        Role(WAREHOUSE, _("Warehouse")),
        Role(QUALITY, _("Quality manager")),
        Role(ADMIN, _("System administrator")),
    )
}

# Model permissions each role's group carries; object-level access comes from guardian grants.
ROLE_MODEL_PERMISSIONS: dict[str, list[str]] = {
    ADMIN: [
        "auth.add_user", "auth.change_user", "auth.view_user",
        "auth.add_group", "auth.change_group", "auth.view_group",
        "crm.add_orgunit", "crm.change_orgunit", "crm.view_orgunit",
        "crm.add_staffprofile", "crm.change_staffprofile", "crm.view_staffprofile",
        "axes.view_accessattempt", "axes.delete_accessattempt",
        "django_celery_beat.view_periodictask", "django_celery_beat.change_periodictask",
        "crm.view_jobrun", "crm.view_calendarday", "crm.add_calendarday", "crm.change_calendarday",
        "imports.view_importjob", "imports.view_savedmapping", "imports.change_savedmapping",
        "imports.delete_savedmapping",
        "dealers.view_franchiserules", "dealers.add_franchiserules", "dealers.change_franchiserules",
        "dealers.view_creditpolicy", "dealers.add_creditpolicy", "dealers.change_creditpolicy",
        "dealers.view_creditgraderule", "dealers.add_creditgraderule", "dealers.change_creditgraderule",
        "orders.view_product", "orders.add_product", "orders.change_product",
        "orders.view_approvaldelegate", "orders.add_approvaldelegate", "orders.change_approvaldelegate",
        "orders.delete_approvaldelegate",
        # Seed 001's monthly targets and the revisit rules (contacts a month) are data the admin keeps.
        "service.view_monthlytarget", "service.add_monthlytarget", "service.change_monthlytarget",
        "service.view_revisitrule", "service.add_revisitrule", "service.change_revisitrule",
    ],
}


# How far each role may reach when granting roles: the marketing head every record, the CS manager every
# unit but secret records, the unit roles their unit (reps its pool). Sales managers and the general manager
# read only their own unit and below (customers.policy.MANAGES_OWN_UNIT) but keep rank 2 here: their other
# powers (approvals, handovers) must not become grantable by a unit role.
# A role may be granted only by a superuser, one who holds it, or one whose roles reach further.
ROLE_REACH: dict[str, int] = {
    MARKETING_HEAD: 3,
    SALES_MANAGER: 2, CS_MANAGER: 2, GENERAL_MANAGER: 2,
    SALES_SUPERVISOR: 1, CS_SPECIALIST: 1, PLANNER: 1, SALES_REP: 1,
}


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code


def user_role_codes(user) -> set[str]:
    """The role codes a user holds, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_role_codes", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._role_codes = cached
    return cached


def has_role(user, *codes: str) -> bool:
    return bool(user_role_codes(user) & set(codes))
