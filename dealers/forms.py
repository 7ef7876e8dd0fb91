"""The dealer card form (tabs by catalogue section) and the franchise and rule forms."""
import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.inputs import QueryForm

from .catalogue import CATALOGUE, REQUIRED, SALES_CHANNELS
from .models import Dealer

SECTION_LABELS = {
    "operator": _("Operator"), "finance": _("Finance"), "business": _("Business"),
    "franchise": _("Franchise"), "credit": _("Credit standing"),
}
CHANNEL_LABELS = {"retail_store": _("Retail stores"), "institutions": _("Institutions"), "wholesale": _("Wholesale"),
                  "other": _("Other")}
# Set by the franchise workflow or the credit approvals, or edited as their own fields below.
NOT_ON_FORM = {"franchise_status", "credit_grade", "credit_limit", "credit_days", "sales_channels", "supply_brands"}
HUNDRED = Decimal("100")


class DealerCardForm(forms.ModelForm):
    class Meta:
        model = Dealer
        fields = [spec.code for spec in CATALOGUE if spec.code not in NOT_ON_FORM]

    def __init__(self, *args, hidden=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.masked_fields = []
        for code in hidden:  # fields the user may not see are left out, never shown masked in an input
            if code in self.fields:
                self.masked_fields.append(str(CATALOGUE[code].label))
                del self.fields[code]
        for channel in SALES_CHANNELS:
            initial = (self.instance.sales_channels or {}).get(channel)
            self.fields[f"channel_{channel}"] = forms.DecimalField(
                label=_("%(channel)s share (%%)") % {"channel": CHANNEL_LABELS[channel]}, required=False,
                min_value=0, max_value=100, decimal_places=2, initial=initial)
        self.fields["supply_brands_text"] = forms.CharField(
            label=CATALOGUE["supply_brands"].label, required=False, widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("One brand a line: brand and percent, e.g. “海尔 40”."),
            initial="\n".join(f"{b.get('brand', '')} {b.get('percent', '')}" for b in (self.instance.supply_brands or [])))
        for name, field in self.fields.items():
            spec = CATALOGUE.by_code.get(name)
            if spec is not None and spec.requirement == REQUIRED:
                field.required = True
                field.widget.attrs["data_required"] = "1"
            css = "form-check-input" if isinstance(field.widget, forms.CheckboxInput) else (
                "form-select" if isinstance(field.widget, forms.Select) else "form-control")
            field.widget.attrs.setdefault("class", css)
            if isinstance(field, forms.DateField):
                field.widget.input_type = "date"

    @property
    def tabs(self):
        groups = []
        for section, label in SECTION_LABELS.items():
            names = [spec.code for spec in CATALOGUE.in_section(section) if spec.code in self.fields]
            if section == "business":
                names = [f"channel_{c}" for c in SALES_CHANNELS] + ["supply_brands_text"] + names
            if names:
                groups.append((section, label, [self[name] for name in names]))
        return groups

    def clean_supply_brands_text(self):
        brands = []
        for number, line in enumerate((self.cleaned_data.get("supply_brands_text") or "").splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            match = re.fullmatch(r"(.+?)[\s:：,，]+(\d+(?:\.\d+)?)\s*[%％]?", line)
            if not match:
                raise forms.ValidationError(_("Line %(n)s: write a brand and its percent, e.g. “海尔 40”."), params={"n": number})
            brands.append({"brand": match[1].strip()[:50], "percent": float(match[2])})
        if sum(Decimal(str(b["percent"])) for b in brands) > HUNDRED:
            raise forms.ValidationError(_("The brands' shares add up to more than 100%."))
        return brands

    def clean(self):
        data = super().clean()
        shares = {c: data.get(f"channel_{c}") for c in SALES_CHANNELS}
        given = {c: v for c, v in shares.items() if v is not None}
        if given:
            total = sum(given.values(), Decimal(0))
            if total != HUNDRED:
                self.add_error(None, _("The sales channel shares add up to %(total)s%%; they must add up to 100%%.")
                               % {"total": f"{total.normalize():f}"})
                for channel in SALES_CHANNELS:
                    self.add_error(f"channel_{channel}", _("The shares must add up to 100%."))
        if data.get("premises") == "rented" and data.get("monthly_rent") is None and "monthly_rent" in self.fields:
            self.add_error("monthly_rent", _("The monthly rent is required when the premises are rented."))
        return data

    def card_values(self) -> dict:
        """The cleaned values as the card stores them (channel shares as one object, brands as a list)."""
        values = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}
        shares = {c: self.cleaned_data.get(f"channel_{c}") for c in SALES_CHANNELS}
        values["sales_channels"] = ({c: float(v or 0) for c, v in shares.items()}
                                    if any(v is not None for v in shares.values()) else None)
        values["supply_brands"] = self.cleaned_data.get("supply_brands_text") or None
        return values


class AdviceForm(forms.Form):
    text = forms.CharField(label=_("Correction advice"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=())
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = list(reasons.items())


class WithdrawalForm(forms.Form):
    notice_on = forms.DateField(label=_("Written notice received on"), widget=forms.DateInput(attrs={"type": "date"}))
    leaves_on = forms.DateField(label=_("Requested end date"), widget=forms.DateInput(attrs={"type": "date"}))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)


MONTH_RE = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"


class ProgressFilter(QueryForm):
    """The progress table's query string; values that do not fit are dropped and named (crm.inputs.QueryForm)."""

    month = forms.RegexField(label=_("Month"), regex=MONTH_RE, required=False, max_length=7)
    region = forms.RegexField(label=_("Region code"), regex=r"^[0-9]{2,6}$", required=False, max_length=6)
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", "")] + [(t, t) for t in "ABCDE"])


class PlanForm(forms.Form):
    """One quantity field per active product, for the month chosen."""

    month = forms.RegexField(label=_("Month"), regex=MONTH_RE, max_length=7)

    def __init__(self, *args, products, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        current = current or {}
        for product in self.products:
            self.fields[f"q_{product.pk}"] = forms.DecimalField(
                label=f"{product.code} {product.name} ({product.unit})", required=False, min_value=0,
                max_digits=12, decimal_places=2, initial=current.get(product.pk),
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "step": "any"}))

    def lines(self) -> dict:
        return {p.pk: self.cleaned_data.get(f"q_{p.pk}") for p in self.products if self.cleaned_data.get(f"q_{p.pk}")}


class DeadlineForm(forms.Form):
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
