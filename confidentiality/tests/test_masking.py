"""Issue 11, items 1 and 5: a sensitive value is masked wherever it appears (history, export, forms),
and so are the values read off it (the birth date in an ID number)."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from confidentiality.models import AccessGrant, DataRequest
from crm import roles as r
from crm.actor import acting_as
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers import policy, selectors
from customers.models import CustomerUserObjectPermission
from customers.tests.factories import VALID_ID, CustomerFactory

pytestmark = pytest.mark.django_db

OLD_MOBILE, NEW_MOBILE = "13700001111", "13711112222"
OLD_BANK, NEW_BANK = "6222021234567890", "6222029876543210"
BIRTH = "1949-12-31"  # read off VALID_ID


@pytest.fixture
def world(make_user):
    hq = OrgUnitFactory(code="HQ")
    unit = OrgUnitFactory(code="SH", parent=hq)
    owner = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=owner, mobile=OLD_MOBILE, bank_account=OLD_BANK,
                               id_number=VALID_ID, gender="female", birth_date=date(1949, 12, 31))
    with acting_as(owner):
        customer.mobile, customer.bank_account = NEW_MOBILE, NEW_BANK
        customer.save()
    return {"unit": unit, "owner": owner, "customer": customer}


VIEWERS = [r.PLANNER, r.CS_SPECIALIST, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_MANAGER, r.GENERAL_MANAGER,
           r.MARKETING_HEAD]


def _section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"')[1].split("</ul>")[0]


@pytest.mark.parametrize("role", VIEWERS)
def test_the_change_history_masks_what_the_viewer_may_not_see(client, world, make_user, role):
    client.force_login(make_user(role, units=[world["unit"]]))
    page = client.get(reverse("customers:detail", args=[world["customer"].pk])).content.decode()
    history = _section(page, "history")
    for value in (OLD_MOBILE, NEW_MOBILE, OLD_BANK, NEW_BANK):
        assert value not in page
    assert "137****1111 → 137****2222" in history
    assert "************7890 → ************3210" in history


def test_the_history_masks_values_read_off_the_id_number_too(world, make_user):
    customer = world["customer"]
    with acting_as(world["owner"]):
        customer.birth_date, customer.home_address = date(1950, 1, 1), "上海市徐汇区漕溪北路88弄5号"
        customer.save()
    cs = make_user(r.CS_SPECIALIST, units=[world["unit"]])
    history = {e.label: e for e in selectors.change_history(customer, user=cs)}
    assert (history["出生日期"].old, history["出生日期"].new) == (policy.age_band(date(1949, 12, 31)),
                                                             policy.age_band(date(1950, 1, 1)))
    assert history["家庭地址"].new == "上海市徐汇区****"
    owner_view = {e.label: e for e in selectors.change_history(customer, user=world["owner"])}
    assert owner_view["出生日期"].new == "1950-01-01"


def test_the_owner_sees_the_history_in_full(client, world):
    client.force_login(world["owner"])
    history = _section(client.get(reverse("customers:detail", args=[world["customer"].pk])).content.decode(), "history")
    assert f"{OLD_MOBILE} → {NEW_MOBILE}" in history and f"{OLD_BANK} → {NEW_BANK}" in history


def test_history_without_a_viewer_is_masked_and_the_timeline_carries_no_sensitive_value(world):
    """Fail closed: a caller that forgets to say who is looking gets masked values."""
    history = {e.label: e for e in selectors.change_history(world["customer"])}
    assert (history["手机号"].old, history["手机号"].new) == ("137****1111", "137****2222")
    timeline = " ".join(f"{e.label} {e.detail} {e.comment}" for e in selectors.timeline(world["customer"]))
    assert OLD_MOBILE not in timeline and NEW_BANK not in timeline


def test_a_birth_date_shows_as_an_age_band_where_the_id_number_is_masked(client, world, make_user):
    client.force_login(make_user(r.CS_SPECIALIST, units=[world["unit"]]))
    page = client.get(reverse("customers:detail", args=[world["customer"].pk])).content.decode()
    birth = page.split('data-field="birth_date"')[1].split("</dd>")[0]
    assert "110***********002X" in page
    assert BIRTH not in page and "1949" not in birth and "12月31" not in birth
    assert policy.age_band(date(1949, 12, 31)) in birth and "岁" in birth


def test_the_owner_sees_the_birth_date(client, world):
    client.force_login(world["owner"])
    page = client.get(reverse("customers:detail", args=[world["customer"].pk])).content.decode()
    assert "1949" in page.split('data-field="birth_date"')[1].split("</dd>")[0]


def test_age_bands():
    today = date(2026, 12, 1)
    assert policy.age_band(date(1990, 12, 1), today) == "30–39岁"
    assert policy.age_band(date(1990, 12, 2), today) == "30–39岁"
    assert policy.age_band(date(1986, 12, 2), today) == "30–39岁"
    assert policy.age_band(date(1986, 12, 1), today) == "40–49岁"
    assert policy.age_band("1949-12-31", today) == "70–79岁"  # as the history stores it
    assert policy.mask("birth_date", None) == ""


def test_a_grant_covering_the_id_number_covers_the_birth_date(world, make_user):
    cs = make_user(r.CS_SPECIALIST, units=[world["unit"]])
    customer = world["customer"]
    assert not policy.can_see_field(cs, customer, "birth_date")
    request = DataRequest.objects.create(requester=cs, purpose="核实", scope="customers", data_unit=world["unit"],
                                         fields=["id_number"])
    grant = AccessGrant.objects.create(request=request, user=cs, fields=["id_number"], form="view", granted_by=cs,
                                       expires_at=timezone.now() + timedelta(days=1))
    CustomerUserObjectPermission.objects.create(
        user=cs, content_object=customer, grant_id=grant.pk, fields=grant.fields, expires_at=grant.expires_at,
        permission=Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
    )
    assert policy.can_see_field(cs, customer, "birth_date") and policy.can_see_field(cs, customer, "id_number")
    assert not policy.can_see_field(cs, customer, "mobile")


def test_the_edit_form_does_not_render_the_birth_date_of_a_masked_id(client, world, make_user):
    client.force_login(make_user(r.CS_SPECIALIST, units=[world["unit"]]))
    page = client.get(reverse("customers:edit", args=[world["customer"].pk])).content.decode()
    assert 'name="birth_date"' not in page and BIRTH not in page and VALID_ID not in page


def test_the_export_masks_the_birth_date_with_the_id_number(client, world, make_user):
    client.force_login(make_user(r.MARKETING_HEAD, units=[world["unit"]]))
    response = client.get(reverse("customers:export"))
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[1])
    row = next(row for row in rows[2:] if row[header.index("客户代码")] == world["customer"].customer_code)
    assert row[header.index("身份证号码")] == "110***********002X"
    assert row[header.index("出生日期")] == policy.age_band(date(1949, 12, 31))
    assert row[header.index("银行帐号")] == "************3210"


def test_an_unmasker_may_reveal_the_birth_date_with_a_reason(client, world, make_user):
    cs = make_user(r.CS_SPECIALIST, units=[world["unit"]])
    client.force_login(cs)
    response = client.post(reverse("customers:unmask", args=[world["customer"].pk]),
                           {"field": "birth_date", "reason": "客户来电核实"})
    assert response.content.decode() == BIRTH
    assert AuditEntry.objects.get(action="unmask").detail == {"field": "birth_date"}
