"""Customer forms, built from the catalogue: six tabs, requiredness, applies_to, cross-field rules."""
from django import forms
from django.core.exceptions import ValidationError
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.inputs import MAX_ID, QueryForm, StaffChoiceField
from crm.models import OrgUnit, display_name
from crm.roles import SALES_REP
from customers import permissions, policy

from .catalogue import CATALOGUE, GROUPS, IMPORTANT, REQUIRED
from .choice_labels import choices_for
from .models import TIER_CONFIDENTIALITY, BulkAction, Customer, kinds_of
from .selectors import SORTS, handover_heirs
from .services import SETTABLE_FIELDS, STATUS_TRANSITIONS
from .validators import id_birth_date, id_number_gender, id_number_warning, normalise_number, validate_id_number

GROUP_LABELS = {
    "basic": _("Basic information"),
    "network": _("Network and service"),
    "management": _("Management"),
    "sales": _("Sales"),
    "image": _("Images"),
    "personal": _("Contacts and personal"),
}
EDITABLE = [spec.code for spec in CATALOGUE.editable()]


def _style(field: forms.Field) -> None:
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        widget.attrs.setdefault("class", "form-check-input")
    elif isinstance(widget, (forms.Select, forms.NullBooleanSelect)):
        widget.attrs.setdefault("class", "form-select")
    else:
        widget.attrs.setdefault("class", "form-control")


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["unit", "profile_type", "co_owners", "contact_report", *EDITABLE]
        field_classes = {"co_owners": StaffChoiceField}
        widgets = {
            spec.code: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for spec in CATALOGUE
            if spec.type == "date"
        }

    def __init__(self, *args, user=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings: dict[str, str] = {}  # field → what to double-check; never blocks saving
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.filter(is_active=True)
        if units is not None and units.count() == 1 and not self.instance.pk:
            self.fields["unit"].initial = units.first()
        staff = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["co_owners"].queryset = staff.filter(groups__name=SALES_REP)
        if user is not None:
            self.fields["co_owners"].queryset = self.fields["co_owners"].queryset.exclude(pk=user.pk)
        self.fields["co_owners"].label_from_instance = display_name
        self.fields["co_owners"].widget.attrs["size"] = 4
        self.fields["contact_report"].widget.attrs["rows"] = 2
        for code, field in self.fields.items():
            spec = CATALOGUE.by_code.get(code)
            if spec is not None:
                field.label = spec.label
                field.required = False  # decided in clean(), where applies_to is known
                field.requirement = spec.requirement  # the template marks required (*) and important fields
                if spec.requirement == REQUIRED:
                    field.widget.attrs["data-required"] = "1"
                elif spec.requirement == IMPORTANT:
                    field.widget.attrs["data-important"] = "1"
                field.widget.attrs["data-applies"] = " ".join(sorted(spec.applies_to)) or "all"
                if spec.type == "user":
                    field.queryset = staff
                    field.label_from_instance = display_name  # a person's name, not a login
                if spec.type == "idcard":  # checked as it is typed: an error, or a county to double-check
                    field.widget.attrs.update({"hx-get": reverse("customers:id_check"), "hx-trigger": "change",
                                               "hx-target": f"#check-{code}", "hx-sync": "this:replace"})
                if spec.type == "region":
                    field.widget.attrs.update(
                        {
                            "list": "region-options",
                            "autocomplete": "off",
                            "hx-get": reverse("customers:regions"),
                            "hx-trigger": "input changed delay:250ms",
                            "hx-target": "#region-options",
                            "placeholder": _("Type a district name, e.g. 徐汇"),
                        }
                    )
            _style(field)

        if "confidentiality_level" in self.fields:  # left blank, clean() takes it from the tier
            self.fields["confidentiality_level"].widget.attrs["data-default-from"] = "tier"

        self.masked_fields = []
        if self.instance.pk and user is not None:
            access = policy.field_access(user, [self.instance])
            for code in policy.MASKED_FIELDS:
                if code in self.fields and not access.can_see(self.instance, code):
                    # Never render what the viewer may not see; a field not in the form is never saved.
                    del self.fields[code]
                    self.masked_fields.append(CATALOGUE[code].label)
        if self.instance.pk and self.instance.registration_status == Customer.Registration.APPROVED:
            # After approval the tier changes only through "change tier", which asks for a reason.
            self.fields["tier"].disabled = True
            self.fields["tier"].help_text = _("Use “Change tier” on the customer page.")

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"

    def tabs(self):
        """(group code, label, bound fields) for the template's six tabs."""
        return [
            (group, GROUP_LABELS[group], [self[spec.code] for spec in CATALOGUE.in_group(group) if spec.code in self.fields])
            for group in GROUPS
        ]

    def tabs_with_missing(self):
        """The tabs with how many of their required fields that apply to this customer are still empty
        (from what the form holds now; the page's script keeps the counts live while the rep types)."""
        kinds = kinds_of(str(self["customer_nature"].value() or ""), str(self["profile_type"].value() or ""))
        return [
            (group, label, fields, sum(
                1 for f in fields
                if getattr(f.field, "requirement", "") == REQUIRED and CATALOGUE[f.name].applies(kinds)
                and f.value() in (None, "", [], ())
                and not (f.name == "confidentiality_level" and self["tier"].value())  # follows the tier
            ))
            for group, label, fields in self.tabs()
        ]

    def clean(self):
        cleaned = super().clean()
        probe = Customer(customer_nature=cleaned.get("customer_nature", ""), profile_type=cleaned.get("profile_type", "none"))
        kinds = probe.kinds
        if cleaned.get("tier") and not cleaned.get("confidentiality_level"):
            cleaned["confidentiality_level"] = TIER_CONFIDENTIALITY.get(cleaned["tier"], "internal")
        for spec in CATALOGUE.editable():
            if spec.code not in self.fields:
                continue
            if not spec.applies(kinds):
                cleaned[spec.code] = self.instance._meta.get_field(spec.code).get_default() if spec.type != "user" else None
                self.errors.pop(spec.code, None)
                continue
            if spec.requirement == REQUIRED and cleaned.get(spec.code) in (None, ""):
                self.add_error(spec.code, _("This field is required."))
        if cleaned.get("customer_nature") == "individual" and not cleaned.get("gender") and "gender" not in self.errors:
            self.add_error("gender", _("Gender is required for an individual customer."))
        id_number = normalise_number(cleaned.get("id_number") or "")
        if id_number and "id_number" not in self.errors:
            try:
                validate_id_number(id_number)
            except ValidationError as exc:
                self.add_error("id_number", exc)
                return cleaned
            cleaned["id_number"] = id_number
            if warning := id_number_warning(id_number):
                self.warnings["id_number"] = warning
            if cleaned.get("gender") and id_number_gender(id_number) != cleaned["gender"]:
                self.add_error("gender", _("The gender does not agree with the ID number."))
            birth = id_birth_date(id_number)
            if cleaned.get("birth_date") and cleaned["birth_date"] != birth:
                self.add_error("birth_date", _("The date of birth does not agree with the ID number (%(date)s).") % {"date": birth})
            elif not cleaned.get("birth_date"):
                cleaned["birth_date"] = birth
        return cleaned


class IdNumberCheckForm(QueryForm):
    id_number = forms.CharField(max_length=40, required=False)


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    query = forms.CharField(label=_("Filter"), max_length=1000, required=False)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class SubmitForm(CommentForm):
    # Only the page's "1" acknowledges (a checkbox field would also read "0" as yes).
    acknowledge = forms.TypedChoiceField(label=_("I checked the possible duplicates"), choices=[("1", "1"), ("0", "0")],
                                         coerce=lambda v: v == "1", required=False, empty_value=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class TierForm(ReasonForm):
    tier = forms.ChoiceField(label=_("New tier"), choices=Customer._meta.get_field("tier").choices)
    field_order = ["tier", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].widget.attrs["class"] = "form-select"


class StatusForm(ReasonForm):
    status = forms.ChoiceField(label=_("New status"), choices=Customer._meta.get_field("customer_status").choices)
    field_order = ["status", "reason"]

    def __init__(self, *args, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = STATUS_TRANSITIONS.get(current, set())
        self.fields["status"].choices = [c for c in self.fields["status"].choices if c[0] in allowed]
        self.fields["status"].widget.attrs["class"] = "form-select"


class VerificationForm(forms.Form):
    from .models import Verification

    channel = forms.ChoiceField(label=_("Channel"), choices=Verification.Channel.choices)
    result = forms.ChoiceField(label=_("Result"), choices=Verification.Result.choices)
    static_reviewed = forms.BooleanField(label=_("Static fields reviewed too"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _style(field)


class HandoverForm(forms.Form):
    from_user = forms.ModelChoiceField(label=_("Departing rep"), queryset=get_user_model().objects.none())
    to_users = StaffChoiceField(
        label=_("Hand over to"), queryset=get_user_model().objects.none(), widget=forms.SelectMultiple(attrs={"size": 6})
    )
    customers = forms.CharField(
        label=_("Only these customer codes (optional)"),
        required=False,
        help_text=_("Leave empty to hand over all of the rep's customers; otherwise list codes separated by spaces or commas."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    deactivate = forms.BooleanField(label=_("The rep is leaving: deactivate the account afterwards"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the labels read as headings, as on every other form (not 账户：:)
        super().__init__(*args, **kwargs)
        self.user = user
        staff = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        self.fields["from_user"].queryset = staff
        # Only sales staff of the manager's units (or above) may take customers over; no finance, no archivist.
        self.fields["to_users"].queryset = handover_heirs(user) if user is not None else staff.none()
        self.fields["from_user"].label_from_instance = self.fields["to_users"].label_from_instance = (
            lambda u: f"{display_name(u)} ({u.username})"
        )
        for field in self.fields.values():
            _style(field)

    def clean(self):
        cleaned = super().clean()
        heirs = list(cleaned.get("to_users") or [])
        if self.user is not None and any(u.pk == self.user.pk for u in heirs):
            if len(heirs) > 1:
                self.add_error("to_users", _("To take customers over yourself, choose only yourself: another sales manager confirms it."))
            elif cleaned.get("deactivate"):
                self.add_error("deactivate", _("Deactivate the rep after your handover request has been confirmed."))
        return cleaned

    def is_self_handover(self) -> bool:
        return [u.pk for u in self.cleaned_data["to_users"]] == [self.user.pk]

    def customer_codes(self) -> list[str]:
        import re

        return [c.upper() for c in re.split(r"[\s,，、]+", self.cleaned_data.get("customers") or "") if c]


class CustomerFilterForm(QueryForm):
    """The list's query string (also a data request's saved filter): a value that fits no filter is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("Registration status"), required=False,
                              choices=[("", ""), *Customer.Registration.choices, ("all", "all")])
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", ""), *Customer._meta.get_field("tier").choices])
    customer_status = forms.ChoiceField(label=_("Status"), required=False,
                                        choices=[("", ""), *Customer._meta.get_field("customer_status").choices])
    customer_source = forms.ChoiceField(label=_("Source"), required=False,
                                        choices=[("", ""), *Customer._meta.get_field("customer_source").choices])
    retail_format = forms.ChoiceField(label=_("Retail format"), required=False,
                                      choices=[("", ""), *Customer._meta.get_field("retail_format").choices])
    admin_region = forms.RegexField(label=_("Region"), required=False, regex=r"^\d{2,12}$")
    unit = forms.IntegerField(label=_("Unit"), required=False, min_value=1, max_value=MAX_ID)
    owner = forms.IntegerField(label=_("Account manager"), required=False, min_value=1, max_value=MAX_ID)
    verification_overdue = forms.ChoiceField(label=_("Verification overdue"), required=False, choices=[("", ""), ("1", "1")])
    verification_due = forms.ChoiceField(label=_("Verification due"), required=False, choices=[("", ""), ("1", "1")])
    completeness_below = forms.IntegerField(label=_("Completeness below"), required=False, min_value=0, max_value=100)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[("", ""), *[(k, k) for k in SORTS]])


class HandoverDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Confirm")), ("reject", _("Refuse"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)


class UnmaskForm(forms.Form):
    """Which masked field to reveal and why; the reason goes to the audit log, so it is bounded."""

    field = forms.ChoiceField(label=_("Field"), choices=[(code, code) for code in sorted(policy.MASKED_FIELDS)])
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             error_messages={"required": _("Give a reason to unmask.")})


class IdListField(forms.Field):
    """Checked rows of a list: ids that fit a database column, at most `max_ids` of them."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *args, max_ids: int = 1000, **kwargs):
        self.max_ids = max_ids
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        from crm.inputs import positive_int

        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        ids = [positive_int(v) for v in values]
        if any(pk is None for pk in ids):
            raise ValidationError(_("The selection is not valid; reload the page and select again."), code="invalid")
        if len(ids) > self.max_ids:
            raise ValidationError(_("Select at most %(n)s customers, or act on all customers the filter finds."),
                                  code="too_many", params={"n": self.max_ids})
        return ids


class BulkActionForm(forms.Form):
    """A bulk action from the customer list: what to do, to the checked rows or to every customer the
    filter (`query`, the list's query string) finds."""

    SCOPES = [("selected", _("Selected customers")), ("filtered", _("All customers the filter finds"))]

    action = forms.ChoiceField(label=_("Action"))
    scope = forms.ChoiceField(label=_("Customers"), choices=SCOPES, initial="selected")
    ids = IdListField(label=_("Selected customers"), required=False)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    field = forms.ChoiceField(label=_("Field"), required=False)
    value = forms.CharField(label=_("New value"), required=False, max_length=20)
    region = forms.RegexField(label=_("Region"), required=False, regex=r"^\d{6}$",
                              error_messages={"invalid": _("Enter the 6-digit division code, or choose a district from the list.")})
    owner = forms.ModelChoiceField(label=_("Account manager"), required=False, queryset=get_user_model().objects.none())
    comment = forms.CharField(label=_("Comment or reason"), required=False, max_length=500)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        allowed = permissions.bulk_actions(user)
        self.fields["action"].choices = [(v, label) for v, label in BulkAction.Action.choices if v in allowed]
        self.fields["field"].choices = [("", _("Choose a field")), *((c, CATALOGUE[c].label) for c in SETTABLE_FIELDS)]
        self.fields["owner"].queryset = handover_heirs(user) if "assign_owner" in allowed else get_user_model().objects.none()
        self.fields["owner"].label_from_instance = display_name
        self.fields["owner"].empty_label = _("Choose an account manager")

    @staticmethod
    def value_groups() -> list[tuple[str, str, list]]:
        """The values of each settable choice field, for the value picker: (field code, label, choices)."""
        return [(code, CATALOGUE[code].label, choices_for(code, CATALOGUE[code].choices))
                for code in SETTABLE_FIELDS if CATALOGUE[code].type == "choice"]

    def clean_query(self):
        from django.http import QueryDict

        return QueryDict(self.cleaned_data.get("query") or "")

    def clean(self):
        cleaned = super().clean()
        action, field = cleaned.get("action"), cleaned.get("field")
        if cleaned.get("scope") == "selected" and not cleaned.get("ids") and "ids" not in self.errors:
            self.add_error("ids", _("Select customers in the list first, or act on all customers the filter finds."))
        if action == BulkAction.Action.SET_FIELD:
            if not field:
                self.add_error("field", _("Choose the field to set."))
            elif field == "admin_region":
                if not cleaned.get("region") and "region" not in self.errors:
                    self.add_error("region", _("Choose the region to set."))
                cleaned["value"] = cleaned.get("region") or ""
            elif cleaned.get("value") not in CATALOGUE[field].choices:
                self.add_error("value", _("Choose a value of “%(field)s”.") % {"field": CATALOGUE[field].label})
            if field == "tier" and not (cleaned.get("comment") or "").strip():
                self.add_error("comment", _("Give a reason for the tier change."))
        if action == BulkAction.Action.ASSIGN_OWNER and not cleaned.get("owner") and "owner" not in self.errors:
            self.add_error("owner", _("Choose the account manager."))
        return cleaned

    def selected_ids(self):
        return self.cleaned_data["ids"] if self.cleaned_data["scope"] == "selected" else None

