"""Demo data for `make run`: three org units and one user per role. Safe to load any number of times."""
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import roles as r
from .models import OrgUnit
from .services import sync_role_groups

DEMO_PASSWORD = "crm-demo-2026"

# (label, loader) registered by the apps in `AppConfig.ready()`, run after the units and users in app order:
# the core loads no domain app's data itself (issue 12, layers).
DEMO_LOADERS: list[tuple[str, object]] = []


def register_demo_loader(label: str, loader) -> None:
    """`loader()` adds the app's demo data (idempotent) and returns how many records it added."""
    if all(existing is not loader for _label, existing in DEMO_LOADERS):
        DEMO_LOADERS.append((label, loader))

DEMO_UNITS = [
    # code, name, kind, parent code
    ("HQ", "华东集团总部", OrgUnit.Kind.COMPANY, None),
    ("SH01", "上海分公司", OrgUnit.Kind.BRANCH, "HQ"),
    ("SH01T1", "上海销售一组", OrgUnit.Kind.TEAM, "SH01"),
]

# username, family name, given name, role, unit code
DEMO_USERS = [
    ("rep", "王", "小明", r.SALES_REP, "SH01T1"),
    ("supervisor", "李", "娜", r.SALES_SUPERVISOR, "SH01T1"),
    ("manager", "张", "伟", r.SALES_MANAGER, "SH01"),
    ("cs", "刘", "芳", r.CS_SPECIALIST, "SH01"),
    ("csmanager", "陈", "静", r.CS_MANAGER, "HQ"),
    ("marketing", "杨", "洋", r.MARKETING_HEAD, "HQ"),
    ("planner", "赵", "磊", r.PLANNER, "SH01"),
    ("archivist", "黄", "敏", r.ARCHIVIST, "HQ"),
    ("finance", "周", "杰", r.FINANCE, "HQ"),
    ("gm", "吴", "刚", r.GENERAL_MANAGER, "HQ"),
    ("quality", "孙", "丽", r.QUALITY, "HQ"),
    ("admin", "郑", "强", r.ADMIN, "HQ"),
]


@transaction.atomic
def load_demo_data() -> list[tuple[str, str, str]]:
    """Returns (username, role label, password) for every demo user."""
    sync_role_groups()
    units: dict[str, OrgUnit] = {}
    for code, name, kind, parent in DEMO_UNITS:
        units[code], _ = OrgUnit.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": units.get(parent)}
        )
    User = get_user_model()
    created = []
    for username, last, first, role, unit in DEMO_USERS:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"last_name": last, "first_name": first, "is_active": True, "is_staff": role == r.ADMIN},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        user.groups.set([Group.objects.get(name=role)])
        user.staff_profile.units.set([units[unit]])
        created.append((username, r.role_label(role), DEMO_PASSWORD))
    return created
