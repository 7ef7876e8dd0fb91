"""Customer data in the admin: the pages' visibility and masking, no searching on masked fields, audited reads."""
import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers.models import CustomerChange
from service.models import CareMessage, CareTemplate

from .factories import VALID_ID, CustomerFactory

pytestmark = pytest.mark.django_db

MOBILE, MASKED = "13912345678", "139****5678"


def with_perms(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def world(make_user):
    sh = OrgUnitFactory(code="SH", name="上海分公司")
    rep = make_user(r.SALES_REP, units=[sh], is_staff=True)
    return {
        "rep": with_perms(rep, "view_customer", "change_customer", "view_customerchange"),
        # A CS manager sees every unit's non-secret customers, owns none of them: masked.
        "manager": with_perms(make_user(r.CS_MANAGER, units=[sh], is_staff=True),
                              "view_customer", "change_customer", "view_customerchange", "view_caremessage", "view_auditentry"),
        "customer": CustomerFactory(unit=sh, created_by=rep, customer_code="SH-000001", name="宁波商行", mobile=MOBILE,
                                    id_number=VALID_ID),
        "secret": CustomerFactory(unit=sh, created_by=rep, customer_code="SH-000002", name="机密大客户", tier="A"),
    }


def page(client, user, url, **params):
    client.force_login(user)
    response = client.get(url, params)
    return response, response.content.decode()


def test_the_change_list_masks_and_hides_what_the_pages_do(client, world):
    response, html = page(client, world["manager"], reverse("admin:customers_customer_changelist"))
    assert response.status_code == 200
    assert MASKED in html and MOBILE not in html
    assert "宁波商行" in html and "机密大客户" not in html  # secret: not without a grant


def test_the_owner_sees_its_own_customer_unmasked_in_the_admin(client, world):
    _response, html = page(client, world["rep"], reverse("admin:customers_customer_change", args=[world["customer"].pk]))
    assert MOBILE in html and VALID_ID in html


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_the_change_form_masks_sensitive_fields_and_the_read_is_audited(client, world, make_user, who):
    user = world[who] if who != "superuser" else make_user(is_superuser=True, is_staff=True)
    customer = world["customer"]
    response, html = page(client, user, reverse("admin:customers_customer_change", args=[customer.pk]))
    assert response.status_code == 200
    assert MASKED in html and MOBILE not in html
    assert "110***********002X" in html and VALID_ID not in html
    entry = AuditEntry.objects.get(action="read", actor=user)
    assert entry.customer_ids == [customer.pk] and entry.detail["admin"] == "customers.customer"


def test_the_history_is_audited_and_closed_to_those_who_do_not_see_the_customer(client, world):
    manager = world["manager"]
    response, html = page(client, manager, reverse("admin:customers_customer_history", args=[world["customer"].pk]))
    assert response.status_code == 200 and MOBILE not in html
    assert AuditEntry.objects.get(action="read", actor=manager).detail["view"] == "history"
    response, html = page(client, manager, reverse("admin:customers_customer_history", args=[world["secret"].pk]))
    assert response.status_code == 302 and "机密大客户" not in html
    response, html = page(client, manager, reverse("admin:customers_customer_change", args=[world["secret"].pk]))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="read").count() == 1


def test_searching_or_filtering_by_a_masked_field_confirms_nothing(client, world, make_user):
    url = reverse("admin:customers_customer_changelist")
    _response, html = page(client, world["manager"], url, q=MOBILE)
    assert "宁波商行" not in html
    for lookup in ({"mobile": MOBILE}, {"mobile__startswith": "139123"}, {"id_number__endswith": "002X"}):
        response, html = page(client, world["manager"], url, **lookup)
        assert response.status_code == 302 and response["Location"] == url
        assert "不能按已遮蔽的字段搜索或筛选。" in [str(m) for m in get_messages(response.wsgi_request)]
    root = make_user(is_superuser=True, is_staff=True)  # may export: the export's filter is refused the same way
    response, _html = page(client, root, reverse("admin:customers_customer_export"), mobile=MOBILE)
    assert response.status_code == 400
    client.post(reverse("admin:customers_customer_export") + f"?mobile={MOBILE}",
                {"format": "0", "resource": "0", "customerexportresource_customer_code": "on"})
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_field_history_masks_old_and_new_values(client, world):
    CustomerChange.objects.create(customer=world["customer"], field="mobile", old_value=MOBILE, new_value="13700001234")
    CustomerChange.objects.create(customer=world["secret"], field="name", old_value="机密旧名", new_value="机密大客户")
    url = reverse("admin:customers_customerchange_changelist")
    _response, html = page(client, world["manager"], url)
    assert MASKED in html and "137****1234" in html and MOBILE not in html and "13700001234" not in html
    assert "机密旧名" not in html
    response, _html = page(client, world["manager"], url, new_value__startswith="137")
    assert response.status_code == 302 and response["Location"] == url
    change = CustomerChange.objects.get(field="mobile")
    response, html = page(client, world["manager"], reverse("admin:customers_customerchange_change", args=[change.pk]))
    assert response.status_code == 200 and MASKED in html and MOBILE not in html
    assert AuditEntry.objects.filter(action="read", actor=world["manager"], customer_ids=[world["customer"].pk]).exists()


def test_a_text_messages_address_is_masked_like_the_mobile(client, world):
    template = CareTemplate.objects.create(name="生日", kind="birthday", body="{name} 生日快乐")
    CareMessage.objects.create(customer=world["customer"], template=template, occasion="birthday-2026", channel="sms",
                               to=MOBILE, body="生日快乐")
    message = CareMessage.objects.get()
    response, html = page(client, world["manager"], reverse("admin:service_caremessage_change", args=[message.pk]))
    assert response.status_code == 200 and MASKED in html and MOBILE not in html


def test_the_audit_log_in_the_admin_is_for_audit_readers_only(client, world, make_user):
    clerk = with_perms(make_user(r.ADMIN, is_staff=True), "view_auditentry")
    response, _html = page(client, clerk, reverse("admin:crm_auditentry_changelist"))
    assert response.status_code == 403
    response, _html = page(client, world["manager"], reverse("admin:crm_auditentry_changelist"))
    assert response.status_code == 200


def form_data(form, **changes):
    """The admin form as the browser would send it back, with `changes` applied."""
    data = {}
    for name in form.fields:
        if name.startswith("photo"):
            continue  # files are not sent back
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is None:
            continue
        else:
            data[name] = value
    data.update(changes)
    return data


def test_the_admin_form_cannot_make_a_viewer_the_owner_nor_wipe_what_it_masks(client, world):
    manager, customer = world["manager"], world["customer"]
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(manager)
    form = client.get(url).context["adminform"].form
    response = client.post(url, form_data(form, contact_name="王经理", account_manager=manager.pk,
                                          co_owners=[manager.pk], confidentiality_level="internal"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.contact_name == "王经理"
    assert customer.account_manager == world["rep"] and not customer.co_owners.exists()
    assert (customer.mobile, customer.id_number) == (MOBILE, VALID_ID)


def test_the_field_history_names_fields_as_the_form_does(client, world):
    """The admin's history showed codes (registration_status) and titled a row `CustomerChange object (1)`."""
    from django.utils import translation

    from customers.catalogue import CATALOGUE
    from customers.models import Customer

    CustomerChange.objects.create(customer=world["customer"], field="name", old_value="旧名", new_value="宁波商行")
    change = CustomerChange.objects.create(customer=world["customer"], field="registration_status",
                                           old_value="draft", new_value="submitted")
    _response, html = page(client, world["manager"], reverse("admin:customers_customerchange_changelist"))
    with translation.override("zh-hans"):
        status_label = str(Customer._meta.get_field("registration_status").verbose_name)
        name_label = str(CATALOGUE.by_code["name"].label)
    assert f'<td class="field-field_label">{status_label}</td>' in html
    assert f'<td class="field-field_label">{name_label}</td>' in html
    assert ">registration_status<" not in html
    _response, html = page(client, world["manager"], reverse("admin:customers_customerchange_change", args=[change.pk]))
    assert f"客户变更 #{change.pk}" in html and "object (" not in html
