from django.contrib import admin

from crm.admin import ReadOnlyAdmin
from crm.models import AuditEntry
from customers.admin import CustomerDataAdmin

from .models import AccessGrant, ArchiveLoan, DataRequest, Destruction, LeakIncident, Printout
from .selectors import may_read_audit


class AuditReaderAdmin(ReadOnlyAdmin):
    """The log, requests, grants, leaks and destructions name customers of every unit and level: the
    admin shows them to those who may read the audit log, as its page does, and to no one else."""

    def has_view_permission(self, request, obj=None):
        return may_read_audit(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return may_read_audit(request.user) and super().has_module_permission(request)


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditReaderAdmin):
    list_display = ("at", "actor_name", "action", "subject", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "subject")
    show_full_result_count = False


for model, columns in (
    (DataRequest, ("id", "requester", "data_unit", "form", "status", "created_at")),
    (AccessGrant, ("request", "user", "form", "expires_at", "revoked_at")),
    (Printout, ("grant", "printed_by", "copies", "return_due", "returned_at")),
    (LeakIncident, ("id", "reported_by", "reported_at", "status", "penalty")),
    (Destruction, ("id", "rule", "proposed_by", "approved_by", "status")),
):
    admin.site.register(model, AuditReaderAdmin, list_display=columns)


@admin.register(ArchiveLoan)
class ArchiveLoanAdmin(ReadOnlyAdmin, CustomerDataAdmin):
    list_display = ("customer", "borrower", "kind", "status", "due_at")
