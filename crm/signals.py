"""Every user has a staff profile, whoever created the user (admin, demo data, factories)."""
from django.conf import settings
from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from .models import StaffProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def ensure_staff_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        StaffProfile.objects.get_or_create(user=instance)


@receiver(post_migrate)
def sync_role_groups_after_migrate(sender, **kwargs):
    # Permissions of later apps exist only after their migrations; attach them then.
    if sender.name == "crm":
        from .services import sync_role_groups

        sync_role_groups(using=kwargs.get("using", "default"))
