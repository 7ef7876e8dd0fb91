"""Who may import, into which units, and as what: the one layer views and services ask."""
from crm import roles as r
from crm.models import OrgUnit, own_unit_ids

IMPORTERS = (r.ADMIN, r.SALES_MANAGER, r.CS_SPECIALIST)
ALL_UNITS = (r.ADMIN, r.SALES_MANAGER)


def can_import(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or r.has_role(user, *IMPORTERS))


def can_import_active(user) -> bool:
    """Records that skip the approval workflow: administrators only (DOMAIN §8, issue 6)."""
    return user.is_superuser or r.has_role(user, r.ADMIN)


def import_units(user):
    """Units the user may import into: every unit for administrators and sales managers, the own
    unit (and below) for a CS specialist."""
    units = OrgUnit.objects.filter(is_active=True)
    if user.is_superuser or r.has_role(user, *ALL_UNITS):
        return units
    return units.filter(pk__in=own_unit_ids(user))


def may_import_into(user, unit) -> bool:
    return import_units(user).filter(pk=unit.pk).exists()


def default_unit(user):
    units = list(import_units(user)[:2])
    return units[0] if len(units) == 1 else None


def can_see_job(user, job) -> bool:
    return can_import(user) and (job.created_by_id == user.pk or user.is_superuser or r.has_role(user, r.ADMIN))


def can_commit(user, job) -> bool:
    if job.mode == "active" and not can_import_active(user):
        return False
    return can_see_job(user, job)


def can_open_import(user) -> bool:
    """The navigation entry: the import list is for those who may import."""
    return can_import(user)
