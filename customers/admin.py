from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from import_export.admin import ExportMixin
from import_export.formats.base_formats import XLSX

from confidentiality.policy import visible_customers
from imports.permissions import can_import

from . import permissions, services
from .models import Customer, CustomerChange, CustomerEvent, HandoverNotice, Verification
from .resources import CustomerExportResource


@admin.register(Customer)
class CustomerAdmin(ExportMixin, admin.ModelAdmin):
    """Export only (imports have their own workflow); the same rules, workbook and audit row as the list's export."""

    resource_classes = [CustomerExportResource]
    export_formats = [XLSX]
    list_display = ("customer_code", "name", "tier", "registration_status", "customer_status", "unit", "account_manager")
    list_filter = ("registration_status", "tier", "customer_status")
    search_fields = ("customer_code", "name", "mobile")
    raw_id_fields = ("account_manager", "created_by", "phone_order_clerk", "delivery_person", "service_staff", "licence_officer")
    show_full_result_count = False
    # The base django-import-export puts its export button on; it adds the link to the import pages.
    change_list_template = "admin/customers/customer/change_list_with_import.html"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "can_import": can_import(request.user)})

    def has_export_permission(self, request):
        return permissions.can_export_directly(request.user)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request) & visible_customers(request.user)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """Streams through the service instead of a tablib Dataset; a refusal (e.g. too many rows)
        comes back to the export form as a message."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            content, _filename, _count = services.export_customers(
                actor=request.user,
                params=request.GET,
                request=request,
                queryset=queryset,
                selected_fields=self.get_export_resource_fields_from_form(kwargs.get("export_form")),
            )
        except services.CustomerError as exc:
            raise ValueError(str(exc)) from exc
        return content

    def get_export_filename(self, request, queryset, file_format):
        return f"customers-{timezone.localtime():%Y%m%d-%H%M%S}.{file_format.get_extension()}"


@admin.register(CustomerChange)
class CustomerChangeAdmin(admin.ModelAdmin):
    list_display = ("customer", "field", "old_value", "new_value", "actor", "at", "source")
    raw_id_fields = ("customer",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(CustomerEvent, list_display=("customer", "kind", "actor", "at"), raw_id_fields=("customer",))
admin.site.register(Verification, list_display=("customer", "channel", "result", "verifier", "verified_on"), raw_id_fields=("customer",))
admin.site.register(HandoverNotice, list_display=("customer", "previous_owner", "new_owner", "created_at"), raw_id_fields=("customer",))
