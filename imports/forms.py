"""The import pages' POSTs, shaped by forms: the column mapping and options, and the value mapping."""
import hashlib

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.inputs import positive_int

from . import permissions, selectors
from .headers import column_letter
from .models import ImportJob

BLANK = "__blank__"  # a value mapped to an empty cell (optional fields only)


class RowChoiceField(forms.ModelChoiceField):
    """A row by id; an id no database column can hold is an invalid choice, not a database error."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if positive_int(value) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class MappingForm(forms.Form):
    """One field per column of the header (`col_<index>`: a field code or nothing), then the options, then a
    default per field the resource offers one for (`default_<code>`: the value new rows get where their cell
    is empty; the resource checks it)."""

    mode = forms.ChoiceField(label=_("Import as"), choices=ImportJob.Mode.choices, initial=ImportJob.Mode.DRAFT)
    unit = RowChoiceField(label=_("Unit"), queryset=None, required=False)
    owner = RowChoiceField(label=_("Account manager"), queryset=None, required=False)
    save_as = forms.CharField(label=_("Save this mapping as (optional)"), max_length=80, required=False)

    def __init__(self, data=None, *, job: ImportJob, user, columns, default_fields=()):
        super().__init__(data)
        self.job = job
        codes = [("", "")] + [(column.code, column.label) for column in columns]
        for index, _header in enumerate(job.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=_("Field for column %(letter)s") % {"letter": column_letter(index)}, choices=codes, required=False)
        for field in default_fields:
            self.fields[f"default_{field.code}"] = forms.CharField(
                label=_("Default for empty “%(field)s”") % {"field": field.label}, max_length=200, required=False)
        self.defaulted = [field.code for field in default_fields]
        self.fields["unit"].queryset = permissions.import_units(user)
        self.fields["owner"].queryset = selectors.account_managers(user)
        self.fields["unit"].error_messages["invalid_choice"] = _("Choose a unit you may import into.")
        self.fields["owner"].error_messages["invalid_choice"] = _("Choose an account manager from the list.")

    def mapping(self) -> dict[str, str]:
        return {str(i): self.cleaned_data.get(f"col_{i}", "") for i in range(len(self.job.headers))}

    def defaults(self) -> dict[str, str]:
        """Field code → the default typed or chosen; fields left empty have none."""
        return {code: self.cleaned_data[f"default_{code}"] for code in self.defaulted if self.cleaned_data.get(f"default_{code}")}

    def posted(self) -> dict:
        """What was sent, to show the page again as the importer left it."""
        data = self.data
        return {"mapping": {str(i): data.get(f"col_{i}", "") for i in range(len(self.job.headers))},
                "mode": data.get("mode", ImportJob.Mode.DRAFT), "unit_id": positive_int(data.get("unit")),
                "owner_id": positive_int(data.get("owner")), "save_as": data.get("save_as", ""),
                "defaults": {code: str(data.get(f"default_{code}", "")).strip()[:200] for code in self.defaulted}}


class ValueMapForm(forms.Form):
    """One choice per value the preview could not place (`value_<digest of field and value>`):
    a choice of its field, blank (optional fields), or nothing (the rows stay errors)."""

    save_as = forms.CharField(label=_("Save with the column mapping as"), max_length=80, required=False)

    def __init__(self, data=None, *, job: ImportJob, fields: dict, initial=None):
        super().__init__(data, initial=initial)
        self.entries = []  # (form field name, field code, {"value": as written, "count": rows, "rows": sample rows})
        for code, values in sorted((job.counts or {}).get("values", {}).items()):
            if code not in fields:
                continue
            label, choices, optional = fields[code]
            options = [("", _("— not mapped (row stays an error) —"))]
            if optional:
                options.append((BLANK, _("(leave blank)")))
            options += [(value, str(text)) for value, text in choices]
            for entry in values:
                # Named by what it maps, so a page left open over a new preview cannot map another value.
                name = "value_" + hashlib.sha1(f"{code}\x1f{entry['value']}".encode()).hexdigest()[:12]
                self.fields[name] = forms.ChoiceField(label=f"{label}: {entry['value']}", choices=options, required=False)
                self.entries.append((name, code, entry))

    def value_map(self) -> dict[str, dict[str, str]]:
        """{field code: {value as written: choice value, or "" for blank}} of the values the importer mapped."""
        found: dict[str, dict[str, str]] = {}
        for name, code, entry in self.entries:
            choice = self.cleaned_data.get(name, "")
            if choice:
                found.setdefault(code, {})[entry["value"]] = "" if choice == BLANK else choice
        return found
