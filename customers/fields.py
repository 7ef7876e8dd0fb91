"""Model fields built from the catalogue: one function maps a catalogue type to a Django field."""
from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import lazy

from . import validators as v
from .catalogue import FieldSpec
from .choice_labels import choices_for


class NormalisedCharField(models.CharField):
    """Normalises before validating (full-width digits, spaces, dashes), so `１３８ 0013-8000` is a mobile."""

    def __init__(self, *args, number=False, **kwargs):
        self.number = number
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.number:
            kwargs["number"] = True
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        return v.normalise_number(value) if self.number else v.normalise_text(value)

    def formfield(self, **kwargs):
        # The typed value may be longer than the stored one until it is normalised.
        return super().formfield(**{"max_length": self.max_length * 2 + 10, **kwargs})


def _label(spec: FieldSpec):
    return lazy(lambda: spec.label, str)()


NUMBER_TYPES = {
    "mobile": (11, [v.validate_mobile]),
    "landline": (20, [v.validate_landline]),
    "idcard": (18, [v.validate_id_number]),
    "uscc": (18, [v.validate_uscc]),
    "bank_account": (30, [v.validate_bank_account]),
    "region": (6, [v.validate_region]),
}

DECIMAL_LIMITS = {"business_area": (0, 100000)}
INT_LIMITS = {"working_years": (0, 60), "delivery_sequence": (1, None)}


def build_field(spec: FieldSpec) -> models.Field:
    common = {"verbose_name": _label(spec), "help_text": "", "blank": True}
    extra_validators = list(v.FIELD_VALIDATORS.get(spec.code, []))
    t = spec.type
    if t == "code":
        return models.CharField(max_length=20, unique=True, null=True, editable=False, **common)
    if t in NUMBER_TYPES:
        length, validators = NUMBER_TYPES[t]
        return NormalisedCharField(max_length=length, number=True, default="", validators=validators, **common)
    if t == "text":
        length = 100 if spec.code == "name" else 200
        return NormalisedCharField(max_length=length, default="", validators=extra_validators, **common)
    if t == "choice":
        return models.CharField(
            max_length=max(len(c) for c in spec.choices), choices=choices_for(spec.code, spec.choices), default="", **common
        )
    if t == "date":
        return models.DateField(null=True, **common)
    if t == "geo":
        return NormalisedCharField(max_length=40, number=True, default="", validators=[v.validate_geo], **common)
    if t == "email":
        return models.EmailField(default="", **common)
    if t == "decimal":
        low, high = DECIMAL_LIMITS.get(spec.code, (0, None))
        validators = [MinValueValidator(low)] + ([MaxValueValidator(high)] if high else [])
        return models.DecimalField(max_digits=16, decimal_places=2, null=True, validators=validators, **common)
    if t == "int":
        low, high = INT_LIMITS.get(spec.code, (0, None))
        validators = [MinValueValidator(low)] + ([MaxValueValidator(high)] if high else [])
        return models.IntegerField(null=True, validators=validators, **common)
    if t == "bool":
        return models.BooleanField(null=True, **common)
    if t == "json":
        return models.JSONField(null=True, **common)
    if t == "photo":
        kinds = ["jpg", "jpeg", "png", "webp"] + (["pdf"] if spec.code == "photo_licence" else [])
        return models.FileField(
            upload_to=f"customers/{spec.code}/%Y/%m/",
            validators=[FileExtensionValidator(kinds), v.validate_upload],
            max_length=200,
            **common,
        )
    if t == "user":
        return models.ForeignKey(
            settings.AUTH_USER_MODEL,
            null=True,
            on_delete=models.PROTECT if spec.code == "account_manager" else models.SET_NULL,
            related_name="customers_as_" + spec.code,
            **common,
        )
    raise ValueError(f"catalogue type {t!r} of {spec.code} has no model field")
