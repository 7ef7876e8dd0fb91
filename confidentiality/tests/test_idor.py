"""A rep probing customers it may not see learns nothing: 404s, empty searches, bare duplicate notes."""
import pytest
from django.urls import reverse

from crm import roles as r
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from customers.tests.factories import VALID_ID, CustomerFactory

from .test_permission_matrix import MATRIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(make_user, client):
    unit = OrgUnitFactory(code="SH")
    rep = make_user(r.SALES_REP, units=[unit])
    owner = make_user(r.SALES_REP, units=[unit], last_name="赵", first_name="六")
    hidden = CustomerFactory(unit=unit, created_by=owner, name="隐藏客户有限公司", mobile="13700007777",
                             id_number=VALID_ID, customer_code="SH-000777")
    client.force_login(rep)
    return rep, hidden


def test_every_customer_url_is_404_for_an_invisible_customer(client, setting):
    rep, hidden = setting
    names = [name for name, (how, _) in MATRIX.items() if how in ("customer", "customer_post", "customer_file")]
    assert len(names) >= 5
    for name in names:
        for pk in (hidden.pk, hidden.pk + 1000):  # someone else's, and one that does not exist: the same answer
            args = {"customers:action": [pk, "approve"], "customers:file": [pk, "photo_storefront"]}.get(name, [pk])
            response = client.get(reverse(name, args=args)) if "post" not in MATRIX[name][0] else client.post(
                reverse(name, args=args), {"field": "mobile", "reason": "x", "opt_out": "1"})
            assert response.status_code == 404, (name, pk, response.status_code)


@pytest.mark.parametrize("term", ["13700007777", "隐藏客户", "SH-000777", "002X", VALID_ID])
def test_search_finds_nothing_invisible(client, setting, term):
    _rep, hidden = setting
    for state in ("approved", "all"):
        page = client.get(reverse("customers:list"), {"q": term, "state": state}).content.decode()
        table = page.split('data-testid="customer-table"')[1]
        assert hidden.name not in table and "SH-000777" not in table and "7777" not in table


def test_region_autocomplete_carries_no_customer_data(client, setting):
    page = client.get(reverse("customers:regions"), {"admin_region": "隐藏"}).content.decode()
    assert "隐藏客户" not in page


def test_duplicate_warning_names_only_the_owner(client, setting):
    rep, hidden = setting
    draft = CustomerFactory(unit=hidden.unit, created_by=rep, mobile="13700007777", customer_code=None,
                            registration_status=Customer.Registration.DRAFT, customer_status="")
    page = client.get(reverse("customers:detail", args=[draft.pk])).content.decode()
    warning = page.split('data-testid="duplicates"')[1].split("</div>")[0]
    assert "赵六" in warning
    for secret in (hidden.name, "SH-000777", reverse("customers:detail", args=[hidden.pk])):
        assert secret not in warning


@pytest.mark.parametrize("role", [r.SALES_MANAGER, r.GENERAL_MANAGER])
def test_a_unit_manager_reads_its_unit_and_below_never_a_sibling(client, make_user, role):
    """Issue 14 item 1: a sales manager (and the general manager) of X lists, searches, opens and approves the
    customers of X's child unit, and a sibling unit Y's not at all (404, nothing listed, nothing found)."""
    hq = OrgUnitFactory(code="HQ")
    x, y = OrgUnitFactory(code="X", parent=hq), OrgUnitFactory(code="Y", parent=hq)
    child = OrgUnitFactory(code="XC", parent=x)
    manager = make_user(role, units=[x])
    below = CustomerFactory(unit=child, name="下级单位客户", customer_code="XC-000001")
    sibling = CustomerFactory(unit=y, name="兄弟单位客户", customer_code="Y-000001", mobile="13700008888")
    waiting = CustomerFactory(unit=y, name="兄弟单位待审", customer_code=None,
                              registration_status=Customer.Registration.SUBMITTED, customer_status="")
    client.force_login(manager)
    assert client.get(reverse("customers:detail", args=[sibling.pk])).status_code == 404
    assert client.get(reverse("customers:detail", args=[below.pk])).status_code == 200
    listed = client.get(reverse("customers:list")).content.decode()
    assert "下级单位客户" in listed and "兄弟单位客户" not in listed
    for term in ("兄弟单位", "Y-000001", "13700008888"):
        table = client.get(reverse("customers:list"), {"q": term, "state": "all"}).content.decode()
        assert "兄弟单位" not in table.split('data-testid="customer-table"')[1], term
    assert "下级单位客户" in client.get(reverse("customers:list"), {"q": "下级单位"}).content.decode()
    # Exports are the marketing head's (DOMAIN §6); the export URL gives a manager nothing of Y either.
    export = client.get(reverse("customers:export"), {"q": "兄弟单位"})
    assert export.status_code == 403 and "兄弟单位".encode() not in export.content
    if role == r.SALES_MANAGER:  # the approval queue follows the same scope
        queue = client.get(reverse("customers:approvals")).content.decode()
        assert "兄弟单位待审" not in queue
        mine = CustomerFactory(unit=child, name="下级单位待审", customer_code=None,
                               registration_status=Customer.Registration.SUBMITTED, customer_status="")
        assert "下级单位待审" in client.get(reverse("customers:approvals")).content.decode()
        assert client.post(reverse("customers:action", args=[waiting.pk, "approve"]), {"comment": "x"}).status_code == 404
        assert mine.pk
