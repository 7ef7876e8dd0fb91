from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy as _lazy
from import_export.admin import ExportMixin
from import_export.formats.base_formats import XLSX

from customers import policy
from customers.policy import visible_customers
from imports.permissions import can_import

from . import permissions, services
from .catalogue import CATALOGUE, WORKFLOW_FIELDS
from .models import Customer, CustomerChange, CustomerEvent, HandoverNotice, Verification
from .resources import CustomerExportResource


class CustomerDataAdmin(admin.ModelAdmin):
    """Customer data in the admin obeys the pages' policy: only visible customers' rows, sensitive
    fields masked (shown through `shown_<field>`), never searched or filtered on, and every read of
    one record or its history audited. `sensitive` maps a model field to the catalogue code it
    holds, or to a function of the row giving that code (None: nothing sensitive in this row)."""

    customer_path = "customer"  # the row's customer; "" when the row is the customer
    sensitive: dict = {}

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        for name in self.sensitive:
            setattr(self, f"shown_{name}", self._shown_column(name))

    def _shown_column(self, name):
        def shown(obj):
            return self.shown(obj, name)

        shown.short_description = self.model._meta.get_field(name).verbose_name  # and no ordering by it
        return shown

    def customer_of(self, obj):
        return getattr(obj, self.customer_path) if self.customer_path else obj

    def code_of(self, obj, name):
        code = self.sensitive[name]
        return code(obj) if callable(code) else code

    def shown(self, obj, name):
        """The value, masked unless the page's field access lets the viewer see it (no access known: masked)."""
        value, code = getattr(obj, name), self.code_of(obj, name)
        access = getattr(obj, "_field_access", None)
        if code not in policy.SENSITIVE_FIELDS or (access is not None and access.can_see(self.customer_of(obj), code)):
            return value
        return policy.mask(code, value)

    def _hidden(self, request, obj) -> list[str]:
        """The sensitive fields of this row the viewer may not see."""
        if obj is None:
            return []
        access = getattr(obj, "_field_access", None) or policy.field_access(request.user, [self.customer_of(obj)])
        obj._field_access = access
        customer = self.customer_of(obj)
        return [name for name in self.sensitive
                if self.code_of(obj, name) in policy.SENSITIVE_FIELDS and not access.can_see(customer, self.code_of(obj, name))]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        visible = visible_customers(request.user)
        if not visible.query.where:
            return qs  # sees every customer: no subquery over millions of rows
        if not self.customer_path:
            return qs & visible
        return qs.filter(**{f"{self.customer_path}__in": visible.values("pk")})

    def get_list_select_related(self, request):
        extra = super().get_list_select_related(request)
        if not self.customer_path:
            return extra
        return [*(extra if isinstance(extra, (list, tuple)) else ()), self.customer_path]

    def get_list_display(self, request):
        return [f"shown_{name}" if name in self.sensitive else name for name in super().get_list_display(request)]

    def get_search_fields(self, request):
        return [f for f in super().get_search_fields(request) if not self._touches_sensitive(f.lstrip("^=@"))]

    def lookup_allowed(self, lookup, value, request=None):
        # A filter on a masked field would confirm its value by the rows it leaves.
        return not self._touches_sensitive(lookup) and super().lookup_allowed(lookup, value, request)

    def _touches_sensitive(self, path: str) -> bool:
        parts = path.split("__")
        return parts[0] in self.sensitive or any(part in policy.SENSITIVE_FIELDS for part in parts)

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self._hidden(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(f"shown_{name}" for name in self._hidden(request, obj))]

    def get_fields(self, request, obj=None):
        # Masked and read-only fields where the model has them, not at the end of the form.
        hidden = self._hidden(request, obj)
        fields = [f for f in super().get_fields(request, obj) if f not in hidden]
        model_fields = sorted([*self.model._meta.fields, *self.model._meta.many_to_many], key=lambda f: f.creation_counter)
        order = {f.name: i for i, f in enumerate(model_fields)}
        return sorted(fields, key=lambda f: order.get(f.removeprefix("shown_"), len(order)))

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except DisallowedModelAdminLookup:
            messages.error(request, _("Masked fields cannot be searched or filtered on."))
            return redirect(request.path)

    def get_changelist_instance(self, request):
        cl = super().get_changelist_instance(request)
        rows = list(cl.result_list)
        access = policy.field_access(request.user, [self.customer_of(row) for row in rows])
        for row in rows:
            row._field_access = access
        return cl

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        request._admin_customer_row = obj
        return obj

    def _audit_read(self, request, response, view: str):
        obj = getattr(request, "_admin_customer_row", None)
        if obj is not None and request.method == "GET" and response.status_code == 200:
            customer = self.customer_of(obj)
            policy.read_customer(request.user, customer, request=request, every_level=True,
                                 detail={"admin": self.opts.label_lower, "view": view, "id": obj.pk})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Audited like the customer's page, at every confidentiality level: the admin is a back door."""
        return self._audit_read(request, super().change_view(request, object_id, form_url, extra_context), "change")

    def history_view(self, request, object_id, extra_context=None):
        return self._audit_read(request, super().history_view(request, object_id, extra_context), "history")


@admin.register(Customer)
class CustomerAdmin(ExportMixin, CustomerDataAdmin):
    """Export only (imports have their own workflow); the same rules, workbook and audit row as the list's export."""

    resource_classes = [CustomerExportResource]
    export_formats = [XLSX]
    customer_path = ""
    sensitive = {code: code for code in policy.SENSITIVE_FIELDS}
    # Who owns and who may see a customer change through their workflows (registration, handover,
    # tier review), which record and notify; here anyone could make itself the owner and read unmasked.
    policy_fields = (*sorted(WORKFLOW_FIELDS), "co_owners", "unit", "confidentiality_level")
    list_display = ("customer_code", "name", "mobile", "tier", "registration_status", "customer_status", "unit", "account_manager")
    list_filter = ("registration_status", "tier", "customer_status")
    search_fields = ("customer_code", "name")
    raw_id_fields = ("account_manager", "created_by", "phone_order_clerk", "delivery_person", "service_staff", "licence_officer")
    show_full_result_count = False
    # The base django-import-export puts its export button on; it adds the link to the import pages.
    change_list_template = "admin/customers/customer/change_list_with_import.html"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "can_import": can_import(request.user)})

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(self.policy_fields if obj is not None else ())]

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
class CustomerChangeAdmin(CustomerDataAdmin):
    sensitive = {"old_value": lambda change: change.field, "new_value": lambda change: change.field}
    list_display = ("customer", "field_label", "old_value", "new_value", "actor", "at", "source")
    raw_id_fields = ("customer",)

    @admin.display(description=_lazy("field"), ordering="field")
    def field_label(self, obj):
        """The field as the form names it (手机号), not its code (mobile)."""
        from django.core.exceptions import FieldDoesNotExist

        spec = CATALOGUE.by_code.get(obj.field)
        if spec:
            return spec.label
        try:  # a workflow field (registration_status, last_verified_on) is not in the catalogue
            return Customer._meta.get_field(obj.field).verbose_name
        except FieldDoesNotExist:
            return obj.field

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(CustomerEvent, CustomerDataAdmin, list_display=("customer", "kind", "actor", "at"), raw_id_fields=("customer",))
admin.site.register(Verification, CustomerDataAdmin, list_display=("customer", "channel", "result", "verifier", "verified_on"),
                    raw_id_fields=("customer",))
admin.site.register(HandoverNotice, CustomerDataAdmin, list_display=("customer", "previous_owner", "new_owner", "created_at"),
                    raw_id_fields=("customer",))
