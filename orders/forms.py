"""Every POST of the orders pages goes through one of these forms."""
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.inputs import QueryForm
from customers.validators import validate_upload

from .models import ZERO, Order, Payment, Product, TransitClaim

MAX_LINES = 50
MONEY_MAX = Decimal("99999999999999.99")


def money(label, *, required=True, minimum=ZERO):
    return forms.DecimalField(label=label, max_digits=16, decimal_places=2, required=required,
                              validators=[MinValueValidator(minimum)], max_value=MONEY_MAX)


class Styled:
    """Bootstrap classes on every widget (small, the queues show many forms on one page)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")
            if isinstance(field, forms.DateField):
                widget.input_type = "date"


class OrderForm(Styled, forms.ModelForm):
    class Meta:
        model = Order
        fields = ["payment_mode", "delivery_address", "transport", "destination_station", "remittance", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2}), "delivery_address": forms.TextInput()}


class LineForm(forms.Form):
    product = forms.CharField(label=_("product code"), max_length=40,
                              widget=forms.TextInput(attrs={"list": "product-options", "autocomplete": "off",
                                                            "class": "form-control form-control-sm line-product"}))
    quantity = forms.DecimalField(label=_("quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001"),
                                  max_value=Decimal("99999999999"),
                                  widget=forms.NumberInput(attrs={"class": "form-control form-control-sm line-qty",
                                                                  "step": "any"}))
    unit_price = forms.DecimalField(label=_("unit price"), max_digits=16, decimal_places=2, min_value=ZERO,
                                    max_value=Decimal("99999999999999.99"), required=False,
                                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm line-price",
                                                                    "step": "0.01"}))

    def clean_product(self):
        code = self.cleaned_data["product"].strip().split(" ", 1)[0]
        product = Product.objects.filter(code=code, active=True).first()
        if product is None:
            raise forms.ValidationError(_("No active product with code %(code)s."), params={"code": code[:40]})
        return product

    def clean(self):
        data = super().clean()
        if data.get("product") is not None and data.get("unit_price") is None:
            data["unit_price"] = data["product"].list_price
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]:
            raise forms.ValidationError(_("An order needs at least one line."))


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, min_num=1, max_num=MAX_LINES,
                                    validate_max=True, absolute_max=MAX_LINES)


class CommentForm(Styled, forms.Form):
    comment = forms.CharField(label=_("comment"), required=False, max_length=500)


class ReasonForm(Styled, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class ShipForm(Styled, forms.Form):
    carrier = forms.CharField(label=_("carrier"), max_length=100)
    waybill = forms.CharField(label=_("waybill number"), max_length=60)
    shipped_on = forms.DateField(label=_("shipped on"), initial=timezone.localdate)


class DeliverForm(Styled, forms.Form):
    delivered_on = forms.DateField(label=_("delivered on"), initial=timezone.localdate)


class ReturnForm(Styled, forms.Form):
    line = forms.IntegerField(label=_("order line"), min_value=1, max_value=2**62)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    reason = forms.CharField(label=_("reason"), max_length=300)
    hq_at_fault = forms.BooleanField(label=_("HQ at fault (HQ pays the freight)"), required=False)
    on = forms.DateField(label=_("date"), initial=timezone.localdate)


class ClaimForm(Styled, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=TransitClaim.Kind.choices)
    description = forms.CharField(label=_("description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("evidence"), validators=[validate_upload])
    on = forms.DateField(label=_("reported on"), initial=timezone.localdate)


class PaymentForm(Styled, forms.Form):
    customer_code = forms.CharField(label=_("customer code"), max_length=40)
    method = forms.ChoiceField(label=_("payment method"), choices=Payment.Method.choices)
    amount = money(_("amount"), minimum=Decimal("0.01"))
    discount_interest = money(_("discount interest"), required=False)
    received_on = forms.DateField(label=_("received on"), initial=timezone.localdate)
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)
    payer = forms.CharField(label=_("payer"), max_length=200, required=False)


class ConfirmForm(Styled, forms.Form):
    orders = forms.CharField(label=_("order numbers first settled (optional)"), max_length=500, required=False)

    def clean_orders(self):
        return [n.strip() for n in self.cleaned_data["orders"].replace("，", ",").split(",") if n.strip()][:50]


class AccountPeriodForm(Styled, forms.Form):
    limit = money(_("credit limit"), minimum=Decimal("0.01"))
    period_days = forms.IntegerField(label=_("credit period (days)"), min_value=1, max_value=31, initial=30)
    investigation = forms.CharField(label=_("credit investigation"), max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 4}))


class DecideForm(Styled, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("comment"), required=False, max_length=500)


class MonthForm(QueryForm):
    month = forms.DateField(label=_("month"), input_formats=["%Y-%m"], required=False)


class OrderQuery(Styled, QueryForm):
    status = forms.ChoiceField(label=_("status"), choices=[("", "")] + list(Order.Status.choices), required=False)
    q = forms.CharField(label=_("order number"), max_length=40, required=False)
    page = forms.IntegerField(min_value=1, max_value=100_000, required=False)


class ProductImportForm(forms.Form):
    """The product list's sheet; the import pages read, map and preview it."""

    file = forms.FileField(label=_("Product file (.xlsx, .xls or .csv)"),
                           error_messages={"required": _("Choose a file to upload.")})
