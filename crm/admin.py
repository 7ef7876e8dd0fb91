from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, JobRun, OrgUnit, StaffProfile
from .roles import role_label

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


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(BaseUserAdmin):
    inlines = (StaffProfileInline,)
    list_display = ("username", "last_name", "first_name", "is_active", "roles", "units")
    list_filter = ("is_active", "groups", "staff_profile__status", "staff_profile__units")

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


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(BaseGroupAdmin):
    list_display = ("name", "label")

    @admin.display(description=_("role"))
    def label(self, obj):
        return role_label(obj.name)


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
