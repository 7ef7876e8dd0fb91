"""Model fields of the dealer card: the customer catalogue's `build_field`, with the card's own choice
labels and ranges (percentages 0–100, a year of birth, a day of the month)."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from customers.catalogue import FieldSpec
from customers.fields import _label, build_field

from .catalogue import PERCENT_FIELDS
from .choice_labels import choices_for

INT_RANGES = {"operator_birth_year": (1900, 2100), "usual_payment_day": (1, 31), "credit_days": (0, 365)}


def build_dealer_field(spec: FieldSpec) -> models.Field:
    if spec.type == "choice":
        return models.CharField(
            verbose_name=_label(spec), max_length=max(len(c) for c in spec.choices),
            choices=choices_for(spec.code, spec.choices), default="", blank=True,
        )
    if spec.code in PERCENT_FIELDS:
        return models.DecimalField(verbose_name=_label(spec), max_digits=5, decimal_places=2, null=True, blank=True,
                                   validators=[MinValueValidator(0), MaxValueValidator(100)])
    if spec.code in INT_RANGES:
        low, high = INT_RANGES[spec.code]
        return models.IntegerField(verbose_name=_label(spec), null=True, blank=True,
                                   validators=[MinValueValidator(low), MaxValueValidator(high)])
    return build_field(spec)
