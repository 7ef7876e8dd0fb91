"""The model is held to the catalogue: same 102 codes, maintenance classes, types and choices."""
import csv
from collections import Counter
from pathlib import Path

from django.db import models

from customers.catalogue import CATALOGUE, CSV_PATH
from customers.forms import CustomerForm
from customers.models import Customer

SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "customer_fields.csv"

TYPE_TO_MODEL = {
    "text": models.CharField, "choice": models.CharField, "date": models.DateField, "decimal": models.DecimalField,
    "int": models.IntegerField, "bool": models.BooleanField, "photo": models.FileField, "user": models.ForeignKey,
    "json": models.JSONField, "email": models.EmailField, "code": models.CharField, "mobile": models.CharField,
    "landline": models.CharField, "idcard": models.CharField, "uscc": models.CharField, "bank_account": models.CharField,
    "region": models.CharField, "geo": models.CharField,
}


def test_catalogue_has_102_fields_in_the_expected_classes():
    assert len(CATALOGUE) == 102
    classes = Counter("system" if s.is_system else "dynamic" if s.is_dynamic else "static" for s in CATALOGUE)
    assert classes == {"static": 66, "dynamic": 22, "system": 14}
    assert {s.group for s in CATALOGUE} == {"basic", "network", "management", "sales", "image", "personal"}


def test_project_copy_of_the_catalogue_matches_the_shared_spec():
    if SPEC.exists():
        assert CSV_PATH.read_text(encoding="utf-8") == SPEC.read_text(encoding="utf-8")


def test_every_catalogue_field_is_a_model_field_of_the_right_type_and_choices():
    with CSV_PATH.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        field = Customer._meta.get_field(row["code"])
        assert isinstance(field, TYPE_TO_MODEL[row["type"]]), row["code"]
        if row["type"] == "choice":
            assert [value for value, _ in field.choices] == row["choices"].split("|"), row["code"]
        else:
            assert not field.choices, row["code"]


def test_system_and_workflow_fields_are_never_in_the_form():
    form_fields = set(CustomerForm.base_fields)
    for spec in CATALOGUE:
        if spec.is_system or spec.code in {"customer_code", "customer_status", "account_manager"}:
            assert spec.code not in form_fields, spec.code
        else:
            assert spec.code in form_fields, spec.code
    assert len([s for s in CATALOGUE if s.is_system]) == 14


def test_form_has_six_tabs_in_catalogue_order():
    tabs = CustomerForm(units=None).tabs()
    assert [group for group, _, _ in tabs] == ["basic", "network", "management", "sales", "image", "personal"]
    assert sum(len(fields) for _, _, fields in tabs) == len(CATALOGUE.editable())


def test_labels_follow_the_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(Customer._meta.get_field("mobile").verbose_name) == "手机号"
        assert dict(Customer._meta.get_field("tier").choices)["A"].startswith("A 级")
    with translation.override("en"):
        assert str(Customer._meta.get_field("mobile").verbose_name) == "Mobile phone"
