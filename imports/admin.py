from django.contrib import admin

from django.utils.translation import gettext_lazy as _

from crm.admin import ReadOnlyAdmin

from .models import ImportJob, SavedMapping


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Read-only: an import is made, previewed and written through its own pages (imports:list)."""

    list_display = ("original_name", "resource", "status", "counts_summary", "created_by", "created_at")
    list_filter = ("status", "resource")
    search_fields = ("original_name",)
    list_select_related = ("created_by",)
    show_full_result_count = False

    @admin.display(description=_("counts"))
    def counts_summary(self, job) -> str:
        c = job.counts or {}
        if not c:
            return "—"
        return " · ".join(f"{key} {c.get(key, 0)}" for key in ("rows", "new", "updated", "unchanged", "duplicates", "errors"))



@admin.register(SavedMapping)
class SavedMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "resource", "created_by", "created_at")
    list_filter = ("resource",)
    search_fields = ("name",)
    readonly_fields = ("headers", "signature", "created_by", "created_at")  # the signature is the headers'
    fields = ("name", "resource", "headers", "mapping", "signature", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # a mapping is saved from an import's mapping page, where its headers are known
