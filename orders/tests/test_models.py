"""The cheap choice labels say what Django's own get_FOO_display says, in either language."""
import pytest
from django.db import models as dj
from django.utils import translation

from orders.models import Order, Payment


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_equal_djangos_display(language):
    with translation.override(language):
        for model, field, method in ((Order, "status", "get_status_display"),
                                     (Order, "transport", "get_transport_display"),
                                     (Order, "payment_mode", "get_payment_mode_display"),
                                     (Payment, "method", "get_method_display"),
                                     (Payment, "status", "get_status_display")):
            for value, _label in model._meta.get_field(field).choices:
                obj = model(**{field: value})
                assert getattr(obj, method)() == dj.Model._get_FIELD_display(obj, model._meta.get_field(field))
        assert Order(status="unknown").get_status_display() == "unknown"
    with translation.override("zh-hans"):
        assert Order(status="paid").get_status_display() != "Paid"
