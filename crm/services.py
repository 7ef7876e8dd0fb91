"""Write-side operations on org units, staff and roles."""
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .roles import ROLE_MODEL_PERMISSIONS, ROLES


def sync_role_groups(*, using: str = "default") -> None:
    """Make sure every role group exists and carries its model permissions (idempotent)."""
    with transaction.atomic(using=using):
        for code in ROLES:
            group, _ = Group.objects.using(using).get_or_create(name=code)
            wanted = ROLE_MODEL_PERMISSIONS.get(code, [])
            if not wanted:
                continue
            perms = []
            for dotted in wanted:
                app_label, codename = dotted.split(".")
                perm = (
                    Permission.objects.using(using)
                    .filter(content_type__app_label=app_label, codename=codename)
                    .first()
                )
                if perm is not None:
                    perms.append(perm)
            group.permissions.add(*perms)
