from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm import roles as r
from crm.inputs import QueryForm, StaffChoiceField
from crm.lists import ListQuery, choices
from crm.models import display_name
from customers.models import Customer

from . import services
from .models import Complaint, Inquiry, Opportunity, Recall, Visit


class VisitForm(forms.ModelForm):
    class Meta:
        model = Visit
        fields = ["visited_on", "channel", "participants", "content", "feedback", "next_plan", "next_on"]
        field_classes = {"participants": StaffChoiceField}
        widgets = {
            "visited_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "content": forms.Textarea(attrs={"rows": 3}),
            "feedback": forms.Textarea(attrs={"rows": 2}),
            "next_plan": forms.Textarea(attrs={"rows": 2}),
            "participants": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user=None, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.first_visit = customer is not None and services.first_visit_in_person(customer)
        participants = self.fields["participants"]
        participants.queryset = companions_for(customer, user)
        participants.required = False
        participants.label = _("Together with")
        participants.label_from_instance = display_name
        participants.help_text = _("Colleagues of the customer's unit who came along.")
        for name, field in self.fields.items():
            if name != "participants":
                field.widget.attrs.setdefault("class", "form-select" if isinstance(field.widget, forms.Select) else "form-control")
        self.fields["channel"].choices = [("", _("Choose how"))] + list(Visit.Channel.choices)
        self.fields["channel"].widget.attrs["data-in-person"] = Visit.Channel.VISIT

    def clean(self):
        data = super().clean()
        if self.customer is not None and not data.get("participants") and data.get("channel") \
                and services.needs_two_reps(self.customer, data["channel"]):
            self.add_error("participants", services.FIRST_VISIT_RULE)
        return data


COMPANION_ROLES = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD)


def companions_for(customer, user):
    """Who may be named as having come along: active sales staff of the customer's unit, not the one logging."""
    staff = get_user_model().objects.filter(is_active=True, groups__name__in=COMPANION_ROLES)
    if customer is not None:
        staff = staff.filter(staff_profile__units=customer.unit_id)
    return staff.exclude(pk=getattr(user, "pk", None)).distinct().order_by("last_name", "first_name", "username")


def _bootstrap(form) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-select" if isinstance(field.widget, forms.Select) else "form-control")


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
QUALITY_ONLY = ("order_number", "product", "quantity", "delivered_on", "defect_count", "batch_number", "production_date",
                "responsible_department", "shift", "sample_kept")


class ComplaintForm(forms.ModelForm):
    """How it came in, what it is about; the quality block (shown for quality complaints) feeds the recall."""

    sample_kept = forms.TypedChoiceField(
        label=_("defective sample kept"), required=False, coerce=lambda v: v == "1", empty_value=None,
        choices=[("", "---------"), ("1", _("Yes")), ("0", _("No"))],
    )

    class Meta:
        model = Complaint
        fields = ["category", "channel", "description", *QUALITY_ONLY]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "delivered_on": DATE_INPUT,
            "production_date": DATE_INPUT,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].required = True
        self.fields["channel"].choices = [("", "---------"), *Complaint.Channel.choices]
        _bootstrap(self)

    def quality_fields(self):
        return [self[name] for name in QUALITY_ONLY]

    def common_fields(self):
        return [self[name] for name in self.fields if name not in QUALITY_ONLY]


class RecallForm(forms.ModelForm):
    """What the quality manager records: the recall's own fields and who is responsible (kept on the complaint)."""

    responsible_department = forms.CharField(label=_("responsible department"), max_length=60, required=False)
    shift = forms.CharField(label=_("shift"), max_length=30, required=False)

    class Meta:
        model = Recall
        fields = ["product", "batch_number", "production_date", "quantity", "distribution", "notified"]
        widgets = {
            "production_date": DATE_INPUT,
            "distribution": forms.Textarea(attrs={"rows": 3}),
            "notified": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        complaint = self.instance.complaint
        self.fields["responsible_department"].initial = complaint.responsible_department
        self.fields["shift"].initial = complaint.shift
        _bootstrap(self)


class RecallQuery(QueryForm):
    status = forms.ChoiceField(label=_("status"), required=False, choices=[("", ""), *Recall.Status.choices])


class RecallStepForm(forms.Form):
    action = forms.ChoiceField(label=_("Step"), choices=[("start", _("Take it on")), ("close", _("Close the recall"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class InquiryForm(forms.ModelForm):
    """The daily call/walk-in entry: each value checked against the model before anything is stored."""

    # The page's checkbox sends "1"; older links send "0" for no (a checkbox field would read "0" as yes).
    trial = forms.TypedChoiceField(label=_("trial"), choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1",
                                   required=False, empty_value=False)

    class Meta:
        model = Inquiry
        fields = ["how", "name", "companions", "product", "source", "summary", "trial"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companions"].required = False  # left empty: nobody came along

    def clean_companions(self):
        return self.cleaned_data.get("companions") or 0


class RollupQuery(QueryForm):
    period = forms.ChoiceField(label=_("Roll-up"), required=False, choices=[("", ""), ("week", "week"), ("month", "month")])
    day = forms.DateField(label=_("Date"), required=False)
    format = forms.ChoiceField(label=_("Format"), required=False, choices=[("", ""), ("xlsx", "xlsx")])


class OpportunityForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = ["title", "content", "deadline", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].required = False

    def clean_amount(self):
        return self.cleaned_data.get("amount") or 0


class OpportunityMoveForm(forms.Form):
    stage = forms.ChoiceField(label=pgettext_lazy("opportunity", "Stage"), choices=Opportunity.Stage.choices)


class CareOptOutForm(forms.Form):
    opt_out = forms.TypedChoiceField(label=_("Greetings"), choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class ComplaintStepForm(forms.Form):
    """One step of a complaint from its page: the step, and the solution when resolving."""

    action = forms.ChoiceField(label=_("Step"), choices=[("respond", _("First response given")), ("resolve", _("Resolve")),
                                                         ("confirm", _("Customer confirmed"))])
    resolution = forms.CharField(label=_("Solution"), required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("action") == "resolve" and not data.get("resolution"):
            self.add_error("resolution", _("Describe the solution."))
        return data


class PoolClaimForm(forms.Form):
    customer = forms.IntegerField(label=_("Customer"), min_value=1, max_value=2**63 - 1)


class OpportunityStepForm(forms.Form):
    """A follow-up note, or closing the opportunity as won or lost (a loss says why)."""

    action = forms.ChoiceField(label=_("Step"), choices=[("follow_up", _("Follow-up")), ("close", _("Close"))])
    note = forms.CharField(label=_("Follow-up"), required=False, max_length=2000)
    result = forms.ChoiceField(label=_("result"), required=False,
                               choices=[("", "")] + [(c, l) for c, l in Opportunity.Result.choices if c != "open"])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("action") == "follow_up" and not data.get("note"):
            self.add_error("note", _("Write what happened."))
        if data.get("action") == "close" and not data.get("result"):
            self.add_error("result", _("Choose won or lost."))
        return data


class ComplaintQuery(ListQuery):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=choices(Complaint.Status.choices))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=choices(Complaint.Category.choices))
    escalated = forms.ChoiceField(label=_("Escalated"), required=False, choices=choices([("1", _("Escalated only"))]))
    since = forms.DateField(label=_("Received from"), required=False)
    until = forms.DateField(label=_("Received until"), required=False)


class OpportunityQuery(ListQuery):
    stage = forms.ChoiceField(label=pgettext_lazy("opportunity", "Stage"), required=False,
                              choices=choices(Opportunity.Stage.choices))
    result = forms.ChoiceField(label=_("result"), required=False, choices=choices(Opportunity.Result.choices))
    mine = forms.ChoiceField(label=_("Rep"), required=False,
                             choices=choices([("1", _("Mine only"))], empty=pgettext_lazy("list filter", "Everyone")))
    due_before = forms.DateField(label=_("Deadline by"), required=False)


class PoolQuery(ListQuery):
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=choices(Customer._meta.get_field("tier").choices))


class WeekQuery(QueryForm):
    week = forms.DateField(label=pgettext_lazy("week", "Week"), required=False)


class TaskStepForm(forms.Form):
    """Closing a job's task from the customer page: keep the tier (why), the new date, or the confirmation."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)
    new_date = forms.DateField(label=_("New date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args, verb: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = verb == "dismiss"
        self.fields["new_date"].required = verb == "renew"
