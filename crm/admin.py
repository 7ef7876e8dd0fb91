from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, gettext_lazy as _

from .models import CalendarDay, JobRun, OrgUnit, StaffProfile
from .permissions import holds_permissions, may_grant_group, may_manage_user, may_set_password, permission_names
from .roles import ROLES, role_label

admin.site.site_header = _("Customer Management administration")
admin.site.site_title = _("Customer Management")
admin.site.index_title = _("Users, roles and units")


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "requires_first_review", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ("units",)
    verbose_name_plural = _("staff profile")


def _added(form, field: str, instance) -> list:
    """What the form adds to a many-to-many field, compared with what the saved instance holds."""
    before = set(getattr(instance, field).values_list("pk", flat=True)) if instance.pk else set()
    return [item for item in form.cleaned_data.get(field) or () if item.pk not in before]


def _refuse_permissions_not_held(form, field: str, granter, instance) -> None:
    added = _added(form, field, instance)
    if added and not holds_permissions(granter, added):
        missing = sorted(permission_names(added) - granter.get_all_permissions())
        form.add_error(field, _("You cannot grant permissions you do not hold yourself: %(perms)s.") % {"perms": ", ".join(missing)})


def guarded_user_form(form_class, granter):
    """The user form refuses, for anyone but a superuser, whatever would give more than the granter has."""

    class GuardedUserForm(form_class):
        def clean(self):
            cleaned = super().clean()
            if granter.is_superuser:
                return cleaned
            user = self.instance
            if "is_superuser" in cleaned and cleaned["is_superuser"] != user.is_superuser:
                self.add_error("is_superuser", _("Only a superuser can grant superuser status."))
            if cleaned.get("is_staff") and not user.is_staff:
                self.add_error("is_staff", _("Only a superuser can give access to the admin site."))
            if "groups" in cleaned:
                refused = [g for g in _added(self, "groups", user) if not may_grant_group(granter, g)]
                if refused:
                    self.add_error("groups", _("You cannot grant a role that sees more than your own: %(roles)s.") % {
                        "roles": "、".join(role_label(g.name) for g in refused)})
            if "user_permissions" in cleaned:
                _refuse_permissions_not_held(self, "user_permissions", granter, user)
            return cleaned

    return GuardedUserForm


def guarded_group_form(form_class, granter):
    """Renaming a role group, or naming a group as a role, would hand out the role; so would adding permissions."""

    class GuardedGroupForm(form_class):
        def clean(self):
            cleaned = super().clean()
            if granter.is_superuser:
                return cleaned
            group = self.instance
            name = cleaned.get("name")
            if name is not None and name != group.name and (name in ROLES or group.name in ROLES):
                self.add_error("name", _("Only a superuser can rename a role or give a group a role's name."))
            if "permissions" in cleaned:
                _refuse_permissions_not_held(self, "permissions", granter, group)
            return cleaned

    return GuardedGroupForm


# Permissions read "客户 · 新增", not "customers | customer | Can add customer" (their stored names are English).
PERMISSION_ACTIONS = {"add": _("add"), "change": _("change"), "delete": _("delete"), "view": _("view")}


def permission_label(permission) -> str:
    model = permission.content_type.model_class()
    subject = model._meta.verbose_name if model is not None else permission.content_type.model
    action, _sep, rest = permission.codename.partition("_")
    if action in PERMISSION_ACTIONS and model is not None and rest == model._meta.model_name:
        return f"{subject} · {PERMISSION_ACTIONS[action]}"
    return f"{subject} · {gettext(permission.name)}"  # an app's own permission: its name is in our catalogue


class ChinesePermissionsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and field is not None:
            field.queryset = field.queryset.select_related("content_type")
            field.label_from_instance = permission_label
        return field


class RoleFilter(admin.SimpleListFilter):
    """The user list filtered by role, named as the UI names roles (业务员), not by group code."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(name, role_label(name)) for name in Group.objects.order_by("name").values_list("name", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(ChinesePermissionsMixin, BaseUserAdmin):
    inlines = (StaffProfileInline,)
    list_display = ("username", "last_name", "first_name", "is_active", "roles", "units")
    list_filter = ("is_active", RoleFilter, "staff_profile__status", "staff_profile__units")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups", "staff_profile__units")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return "、".join(role_label(g.name) for g in obj.groups.all())

    @admin.display(description=_("org units"))
    def units(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return "、".join(u.name for u in profile.units.all()) if profile else ""

    def get_inline_instances(self, request, obj=None):
        # The profile is created with the user (signal); edit it once the user exists.
        return super().get_inline_instances(request, obj) if obj else []

    def get_form(self, request, obj=None, **kwargs):
        return guarded_user_form(super().get_form(request, obj, **kwargs), request.user)

    def has_change_permission(self, request, obj=None):
        # Also guards the password form, which asks this with the user whose password it sets.
        return super().has_change_permission(request, obj) and (obj is None or may_manage_user(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or may_manage_user(request.user, obj))

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        if user is not None and not may_set_password(request.user, user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(ChinesePermissionsMixin, BaseGroupAdmin):
    list_display = ("name", "label")

    @admin.display(description=_("role"))
    def label(self, obj):
        return role_label(obj.name)

    def get_form(self, request, obj=None, **kwargs):
        return guarded_group_form(super().get_form(request, obj, **kwargs), request.user)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """The run log of the scheduled jobs, for admins: read only."""

    list_display = ("job", "started_at", "finished_at", "status", "rows_scanned", "tasks_created", "batches")
    list_filter = ("job", "status")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _superuser_only_changes(model_admin_class):
    """The beat schedule runs grant expiry and the audit anchor: switching a job off is a superuser's
    decision, not the admin role's."""

    class Guarded(model_admin_class):
        def has_add_permission(self, request, *args):
            return request.user.is_superuser

        def has_change_permission(self, request, obj=None):
            return request.user.is_superuser

        def has_delete_permission(self, request, obj=None):
            return request.user.is_superuser

    return Guarded


for _model in list(admin.site._registry):
    if _model._meta.app_label == "django_celery_beat":
        _admin_class = type(admin.site._registry[_model])
        admin.site.unregister(_model)
        admin.site.register(_model, _superuser_only_changes(_admin_class))


class ReadOnlyAdmin(admin.ModelAdmin):
    """These records change only through their workflows; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
