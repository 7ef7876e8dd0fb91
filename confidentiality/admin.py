from django.contrib import admin

from .models import AccessGrant, ArchiveLoan, AuditEntry, DataRequest, Destruction, LeakIncident, Printout


class ReadOnlyAdmin(admin.ModelAdmin):
    """These records change only through their workflows; the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "subject", "ip")
    list_filter = ("action",)
    search_fields = ("actor_name", "subject")
    show_full_result_count = False


for model, columns in (
    (DataRequest, ("id", "requester", "data_unit", "form", "status", "created_at")),
    (AccessGrant, ("request", "user", "form", "expires_at", "revoked_at")),
    (Printout, ("grant", "printed_by", "copies", "return_due", "returned_at")),
    (ArchiveLoan, ("customer", "borrower", "kind", "status", "due_at")),
    (LeakIncident, ("id", "reported_by", "reported_at", "status", "penalty")),
    (Destruction, ("id", "rule", "proposed_by", "approved_by", "status")),
):
    admin.site.register(model, ReadOnlyAdmin, list_display=columns)
