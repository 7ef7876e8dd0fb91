"""Customers as spreadsheet rows (django-import-export), for whoever is allowed to take them out.

One column per catalogue field (photos stay inside), headed by the catalogue label in the active
language, then the unit and the registration status. Cells read as people read the record: choice
labels, staff names, real dates and numbers, 是/否. Sensitive fields are masked unless the viewer
may see them (customers.policy), and every text cell is made formula-safe.
"""
import json
from itertools import islice

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy as _
from import_export.fields import Field
from import_export.resources import ModelResource
from import_export.widgets import Widget

from crm.exports import neutralise, streamed_workbook
from crm.models import display_name
from customers import policy

from .catalogue import CATALOGUE, FieldSpec
from .choice_labels import choice_label
from .models import Customer
from .regions import region_label

BATCH_SIZE = 2000
EXPORT_CODES = tuple(spec.code for spec in CATALOGUE if spec.type != "photo")
USER_CODES = tuple(spec.code for spec in CATALOGUE if spec.type == "user")


class CatalogueWidget(Widget):
    """Renders one catalogue field's stored value the way a person reads it."""

    def __init__(self, spec: FieldSpec):
        super().__init__(coerce_to_string=False)
        self.spec = spec

    def render(self, value, obj=None, **kwargs):
        if value is None or value == "":
            return None
        kind = self.spec.type
        if kind == "choice":
            return choice_label(self.spec.code, value)
        if kind == "user":  # the value is the user id; names come from the batch's lookup
            return (kwargs.get("users") or {}).get(value, "")
        if kind == "bool":
            return gettext("Yes") if value else gettext("No")
        if kind == "json":
            return json.dumps(value, ensure_ascii=False)
        if kind == "region":
            label = region_label(value)
            return f"{value} {label}" if label != value else value
        if kind in ("date", "decimal", "int"):
            return value  # real dates and numbers, not text
        return str(value)


class RegistrationWidget(Widget):
    def __init__(self):
        super().__init__(coerce_to_string=False)

    def render(self, value, obj=None, **kwargs):
        return str(dict(Customer.Registration.choices).get(value, value)) if value else None


class CatalogueField(Field):
    def __init__(self, spec: FieldSpec):
        super().__init__(
            attribute=f"{spec.code}_id" if spec.type == "user" else spec.code,
            column_name=lazy(lambda: spec.label, str)(),
            widget=CatalogueWidget(spec),
            readonly=True,
        )
        self.spec = spec


class CustomerExportResource(ModelResource):
    """Export only. `user` is the viewer: it decides which rows (visible_customers) and which
    sensitive fields (field_access, asked once per batch of rows) come out unmasked."""

    unit_name = Field(attribute="unit__name", column_name=Customer._meta.get_field("unit").verbose_name, readonly=True)
    unit_code = Field(attribute="unit__code", column_name=_("org unit code"), readonly=True)
    registration_status = Field(
        attribute="registration_status",
        column_name=Customer._meta.get_field("registration_status").verbose_name,
        widget=RegistrationWidget(),
        readonly=True,
    )

    class Meta:
        model = Customer
        fields = export_order = (*EXPORT_CODES, "unit_name", "unit_code", "registration_status")
        chunk_size = BATCH_SIZE

    def __init__(self, user=None, grant=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.grant = grant  # a data request's export: only that grant's fields come out unmasked
        self.exported_ids: list[int] = []
        self._access = policy.field_access(None, [])
        self._users: dict[int, str] = {}
        self._batch_ids: set[int] = set()

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        spec = CATALOGUE.by_code.get(field_name)
        if spec is None:
            return super().field_from_django_field(field_name, django_field, readonly)
        return CatalogueField(spec)

    # --- rows ---------------------------------------------------------------------------------
    def get_queryset(self):
        return policy.visible_customers(self.user)

    def filter_export(self, queryset, **kwargs):
        """Whatever queryset comes in, only rows the viewer may see go out."""
        return queryset & policy.visible_customers(self.user)

    def iter_queryset(self, queryset):
        """Rows in batches: the policy's field access and the staff names are looked up once per batch."""
        if isinstance(queryset, QuerySet):
            rows = queryset.select_related("unit").iterator(chunk_size=BATCH_SIZE)
        else:
            rows = iter(queryset)
        while batch := list(islice(rows, BATCH_SIZE)):
            self._prepare(batch)
            yield from batch

    def _prepare(self, batch: list[Customer]) -> None:
        self._access = policy.field_access(self.user, batch, grant=self.grant)
        user_ids = {getattr(c, f"{code}_id") for c in batch for code in USER_CODES} - {None}
        self._users = {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=user_ids)}
        self._batch_ids = {c.pk for c in batch}
        self.exported_ids.extend(self._batch_ids)

    # --- cells --------------------------------------------------------------------------------
    def export_resource(self, instance, selected_fields=None, **kwargs):
        self._ensure_prepared(instance)
        return super().export_resource(instance, selected_fields, **kwargs)

    def _ensure_prepared(self, instance) -> None:
        """A row exported on its own still goes through the policy. (Without this a cell is masked
        more, never less: an unprepared row is neither owned nor granted.)"""
        if instance.pk not in self._batch_ids:
            self._prepare([instance])

    def export_field(self, field, instance, **kwargs):
        """Masked where the policy says so, formula-safe always. Fields are exported directly (no
        dehydrate_<name> methods, no field-name lookups): a 200,000-row export is 20 million cells."""
        if isinstance(field, CatalogueField):
            code = field.spec.code
            raw = field.get_value(instance)
            if code in policy.MASKED_FIELDS and not self._access.can_see(instance, code):
                value = policy.mask(code, raw)
            else:
                value = field.widget.render(raw, users=self._users)
        else:
            value = field.export(instance, **kwargs)
        return None if value == "" else neutralise(value)

    def export_xlsx(self, queryset=None, *, title: str, watermark: str, selected_fields=None) -> bytes:
        """Like `export()`, but streamed into a write-only workbook instead of a tablib Dataset held in memory."""
        if queryset is None:
            queryset = self.get_queryset()
        queryset = self.filter_export(queryset)
        export_fields = self.get_export_fields(selected_fields)
        headers = [str(field.column_name) for field in export_fields]

        def rows():
            for obj in self.iter_queryset(queryset):
                self._ensure_prepared(obj)
                yield [self.export_field(field, obj) for field in export_fields]

        return streamed_workbook(title=title, watermark=watermark, headers=headers, rows=rows())
