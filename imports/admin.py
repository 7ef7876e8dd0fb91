from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import ReadOnlyAdmin

from .models import ImportJob, SavedMapping
from .resources import get_resource


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



class SavedMappingForm(forms.ModelForm):
    class Meta:
        model = SavedMapping
        fields = ("name", "resource", "mapping", "value_map")

    def clean_value_map(self):
        """{field code: {value as written: choice value, or "" for blank}}, each choice one of the field's."""
        value_map = self.cleaned_data.get("value_map") or {}
        resource = self.cleaned_data.get("resource") or self.instance.resource
        try:
            fields = get_resource(resource).choice_fields()
        except (ImportError, KeyError):  # no such resource: no value can be mapped
            fields = {}
        if not isinstance(value_map, dict):
            raise forms.ValidationError(_('Write an object: {"field code": {"value in the file": "choice"}}.'))
        for code, values in value_map.items():
            if code not in fields or not isinstance(values, dict):
                raise forms.ValidationError(_("“%(code)s” is not a choice field.") % {"code": code})
            label, choices, optional = fields[code]
            allowed = {value for value, _text in choices} | ({""} if optional else set())
            for written, choice in values.items():
                if choice not in allowed:
                    raise forms.ValidationError(_("“%(choice)s” is not one of the choices for %(field)s.")
                                                % {"choice": choice, "field": label})
        return value_map


@admin.register(SavedMapping)
class SavedMappingAdmin(admin.ModelAdmin):
    form = SavedMappingForm
    list_display = ("name", "resource", "created_by", "created_at")
    list_filter = ("resource",)
    search_fields = ("name",)
    readonly_fields = ("headers", "signature", "created_by", "created_at")  # the signature is the headers'
    fields = ("name", "resource", "headers", "mapping", "value_map", "signature", "created_by", "created_at")

    def has_add_permission(self, request):
        return False  # a mapping is saved from an import's mapping page, where its headers are known
