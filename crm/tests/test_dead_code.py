"""Issue 12 item 8: names nothing used were removed; they must not come back as a second home for a rule."""
import importlib

import pytest

REMOVED = [
    ("customers.models", "MAJOR_FIELDS"),  # the timeline decides which changes are major (customers.selectors)
    ("customers.policy", "UNMASKERS"),  # policy.may_unmask decides who unmasks
    ("confidentiality.retention", "TRANSACTION_YEARS"),
    ("customers.importing", "EXTRA"),
    ("imports.sql", "json_param"),
    ("imports.readers", "SI_RE"),
    ("imports.views", "_int"),  # crm.inputs.positive_int reads ids
]


@pytest.mark.parametrize("module, name", REMOVED, ids=[f"{m}.{n}" for m, n in REMOVED])
def test_unused_names_are_gone(module, name):
    assert not hasattr(importlib.import_module(module), name)
