from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from confidentiality.audit import record
from confidentiality.models import AuditEntry
from crm import roles as r
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_audit_search_by_person_customer_action_and_period(client, make_user, unit):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    customer = CustomerFactory(unit=unit, customer_code="SH-000001")
    record("read", actor=alice, customers=[customer], subject="甲")
    record("export", actor=bob, customers=[customer], subject="乙")
    record("read", actor=bob, subject="丙")
    client.force_login(make_user(r.CS_MANAGER))

    def subjects(**params):
        page = client.get(reverse("confidentiality:audit"), params).content.decode()
        table = page.split('data-testid="audit-table"')[1]
        return {s for s in ("甲", "乙", "丙") if f"<td>{s}</td>" in table}

    assert subjects(person="bob") == {"乙", "丙"}
    assert subjects(customer="SH-000001") == {"甲", "乙"}
    assert subjects(action="read") == {"甲", "丙"}
    assert subjects(since="2000-01-01", until="2000-12-31") == set()


def test_audit_export_is_itself_logged(client, make_user):
    record("read", subject="x")
    manager = make_user(r.MARKETING_HEAD)
    client.force_login(manager)
    response = client.get(reverse("confidentiality:audit"), {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.max_row >= 3
    assert AuditEntry.objects.filter(action="audit_export", actor=manager).exists()


def test_reps_cannot_read_the_audit_log(client, make_user):
    client.force_login(make_user(r.SALES_REP))
    assert client.get(reverse("confidentiality:audit")).status_code == 403
