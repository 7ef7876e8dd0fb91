"""Who may hand out which powers in the admin: nobody but a superuser gives more than it holds."""
from django.contrib.auth.models import Group

from .roles import (
    ADMIN, CS_MANAGER, GENERAL_MANAGER, MARKETING_HEAD, ROLE_REACH, ROLES, SALES_MANAGER, SALES_SUPERVISOR, has_role,
    user_role_codes,
)


def permission_names(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def holds_permissions(granter, permissions) -> bool:
    """Handing on a permission one holds gives nobody more than the granter already has."""
    return granter.is_superuser or permission_names(permissions) <= granter.get_all_permissions()


def reach(codes) -> int:
    return max((ROLE_REACH.get(code, 0) for code in codes), default=0)


def may_grant_group(granter, group: Group) -> bool:
    """A role the granter does not hold must reach less far than its own, and carry no permission it lacks."""
    if granter.is_superuser or granter.groups.filter(pk=group.pk).exists():
        return True
    if group.name in ROLES and ROLE_REACH.get(group.name, 0) >= reach(user_role_codes(granter)):
        return False
    return holds_permissions(granter, group.permissions.select_related("content_type"))


def may_manage_user(editor, user) -> bool:
    """A superuser's account and password are a superuser's business only."""
    return editor.is_superuser or not user.is_superuser


def may_set_password(editor, user) -> bool:
    """Setting someone's password is signing in as them: only for accounts whose every role the editor
    could have granted (the admin role resets a rep's password only if it could make a rep)."""
    if not may_manage_user(editor, user):
        return False
    return editor.is_superuser or all(may_grant_group(editor, group) for group in user.groups.all())


# Navigation: the core's own pages. A superuser sees every entry anyway (crm.registry.navigation_for).
def can_open_admin(user) -> bool:
    return has_role(user, ADMIN)


def can_open_reports(user) -> bool:
    return has_role(user, SALES_SUPERVISOR, SALES_MANAGER, CS_MANAGER, MARKETING_HEAD, GENERAL_MANAGER)
