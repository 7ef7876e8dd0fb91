import re

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.lists import ListQuery, choices
from crm.models import AuditEntry, OrgUnit
from customers.catalogue import CATALOGUE
from customers.policy import SENSITIVE_FIELDS

from .models import DataRequest, LeakIncident


class DataRequestForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 2}))
    data_unit = forms.ModelChoiceField(label=_("Unit holding the data"), queryset=OrgUnit.objects.filter(is_active=True))
    scope = forms.ChoiceField(label=_("Scope"), choices=DataRequest.Scope.choices)
    customer_codes = forms.CharField(
        label=_("Customer codes"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For chosen customers: codes separated by spaces or commas."),
    )
    filter_query = forms.CharField(
        label=_("Filter"), required=False, help_text=_("For a filtered list: filled in for you when you export the customer list as filtered; no need to type it."), max_length=1000
    )
    fields = forms.MultipleChoiceField(
        label=_("Sensitive fields needed"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(code, CATALOGUE[code].label_zh) for code in SENSITIVE_FIELDS],
    )
    form = forms.ChoiceField(label=_("Form"), choices=DataRequest.Form.choices)
    days = forms.IntegerField(label=_("Period (days)"), min_value=1, max_value=30, initial=7)
    copies = forms.IntegerField(label=_("Copies (printing)"), min_value=1, max_value=20, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = [(code, CATALOGUE[code].label) for code in SENSITIVE_FIELDS]
        for name, field in self.fields.items():
            if name != "fields":
                field.widget.attrs.setdefault("class", "form-select" if isinstance(field.widget, forms.Select) else "form-control")

    def codes(self) -> list[str]:
        return [c.upper() for c in re.split(r"[\s,，、]+", self.cleaned_data.get("customer_codes") or "") if c]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == DataRequest.Scope.CUSTOMERS and not self.codes():
            self.add_error("customer_codes", _("List the customer codes."))
        if cleaned.get("scope") == DataRequest.Scope.FILTER and not cleaned.get("filter_query"):
            self.add_error("filter_query", _("Give the filter."))
        return cleaned


class AuditQuery(ListQuery):
    """The audit log's search: a date that is no date (2026-02-30, garbage) is ignored with a message.
    The search box looks for the person (name or username) only: the subject may name customers the reader may not see."""

    person = forms.CharField(label=_("Username"), required=False, max_length=150)
    customer = forms.CharField(label=_("Customer code"), required=False, max_length=40)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=choices(AuditEntry.Action.choices))
    since = forms.DateField(label=_("From"), required=False)
    until = forms.DateField(label=_("Until"), required=False)
    format = forms.ChoiceField(label=_("Format"), required=False, choices=[("", ""), ("xlsx", "xlsx")],
                               widget=forms.HiddenInput)


class RequestQuery(ListQuery):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=choices(DataRequest.Status.choices))
    form = forms.ChoiceField(label=_("Form"), required=False, choices=choices(DataRequest.Form.choices))
    since = forms.DateField(label=_("Requested from"), required=False)
    until = forms.DateField(label=_("Requested until"), required=False)


class LeakQuery(ListQuery):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=choices(LeakIncident.Status.choices))
    penalty = forms.ChoiceField(label=_("Penalty"), required=False, choices=choices(LeakIncident.Penalty.choices))


class GrantedQuery(ListQuery):
    """The granted customers' page: a search among them, nothing more."""


class CopiesForm(forms.Form):
    copies = forms.IntegerField(label=_("Copies (printing)"), min_value=1, max_value=20, required=False)


class CheckInForm(forms.Form):
    returned_copies = forms.IntegerField(label=_("Copies returned"), min_value=0, max_value=1000)


class DecisionForm(forms.Form):
    """Approve, reject or fulfil a data request: a comment, or the reason of a rejection (the service asks for it)."""

    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class LeakReportForm(forms.Form):
    description = forms.CharField(label=_("What happened"), max_length=5000)
    customer_codes = forms.CharField(label=_("Customer codes"), required=False, max_length=2000)

    def codes(self) -> list[str]:
        return [c.upper() for c in self.cleaned_data["customer_codes"].replace(",", " ").split() if c]


class LeakDecisionForm(forms.Form):
    from .models import LeakIncident as _Leak

    remediation = forms.CharField(label=_("Remediation steps"), max_length=5000)
    penalty = forms.ChoiceField(label=_("Penalty"), choices=_Leak.Penalty.choices)
    deduction = forms.IntegerField(label=_("Deduction (CNY)"), required=False, min_value=0, max_value=100_000)


class LoanRequestForm(forms.Form):
    from .models import ArchiveLoan as _Loan

    customer_code = forms.CharField(label=_("Customer code"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=_Loan.Kind.choices,
                             error_messages={"invalid_choice": _("Choose reading on site, a loan or a copy."),
                                             "required": _("Choose reading on site, a loan or a copy.")})
    purpose = forms.CharField(label=_("Purpose"), max_length=2000)


class LoanStepForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    complete = forms.BooleanField(label=_("complete"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
