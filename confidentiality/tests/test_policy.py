from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers import policy
from customers.models import CustomerUserObjectPermission
from customers.tests.factories import VALID_ID, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user):
    hq = OrgUnitFactory(code="HQ")
    unit = OrgUnitFactory(code="SH", parent=hq)
    other = OrgUnitFactory(code="BJ", parent=hq)
    owner = make_user(r.SALES_REP, units=[unit])
    return {
        "hq": hq, "unit": unit, "other": other, "owner": owner,
        "plain": CustomerFactory(unit=unit, created_by=owner, tier="C", mobile="13812345678", id_number=VALID_ID),
        "secret": CustomerFactory(unit=unit, created_by=owner, tier="A"),
        "elsewhere": CustomerFactory(unit=other, created_by=make_user(r.SALES_REP, units=[other]), tier="B"),
    }


def seen(user, world):
    ids = set(policy.visible_customers(user).values_list("pk", flat=True))
    return {k for k in ("plain", "secret", "elsewhere") if world[k].pk in ids}


def test_tier_sets_the_level(world):
    assert (world["plain"].confidentiality_level, world["secret"].confidentiality_level) == ("internal", "secret")
    assert world["elsewhere"].confidentiality_level == "confidential"


@pytest.mark.parametrize(
    "role, unit_key, expected",
    [
        (r.MARKETING_HEAD, "unit", {"plain", "secret", "elsewhere"}),
        (r.SALES_MANAGER, "unit", {"plain"}),  # issue 14: its unit and below, never the sibling
        (r.SALES_MANAGER, "hq", {"plain", "elsewhere"}),  # at the root: the company, secret records excepted
        (r.GENERAL_MANAGER, "unit", {"plain"}),
        (r.GENERAL_MANAGER, "hq", {"plain", "elsewhere"}),
        (r.CS_MANAGER, "unit", {"plain", "elsewhere"}),
        (r.SALES_SUPERVISOR, "unit", {"plain"}),
        (r.CS_SPECIALIST, "unit", {"plain"}),
        (r.PLANNER, "other", {"elsewhere"}),
        (r.FINANCE, "unit", set()),
    ],
)
def test_levels_by_role(world, make_user, role, unit_key, expected):
    assert seen(make_user(role, units=[world[unit_key]]), world) == expected


def test_owner_sees_own_secret_customer(world):
    assert seen(world["owner"], world) == {"plain", "secret"}


def _grant(user, customer, *, expires_at):
    CustomerUserObjectPermission.objects.create(
        user=user, content_object=customer, expires_at=expires_at,
        permission=Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
    )


def test_grants_open_secret_records_until_they_expire(world, make_user):
    manager = make_user(r.SALES_MANAGER)
    _grant(manager, world["secret"], expires_at=timezone.now() + timedelta(days=1))
    assert "secret" in seen(manager, world)
    CustomerUserObjectPermission.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "secret" not in seen(manager, world)  # the check at use, before any job revokes


def test_masks():
    assert policy.mask("mobile", "13812345678") == "138****5678"
    assert policy.mask("id_number", "440524198001010014") == "440***********0014"
    assert policy.mask("bank_account", "6222021234567890") == "************7890"
    assert policy.mask("mobile", "") == ""


def test_sensitive_fields_are_masked_everywhere_for_a_viewer_without_a_grant(client, world, make_user):
    cs = make_user(r.CS_SPECIALIST, units=[world["unit"]])
    client.force_login(cs)
    customer = world["plain"]
    def table(response):  # the search box echoes what the user typed; the results must not
        return response.content.decode().split('data-testid="customer-table"')[1]

    pages = [
        table(client.get(reverse("customers:list"))),
        table(client.get(reverse("customers:list"), {"q": "13812345678"})),
        client.get(reverse("customers:detail", args=[customer.pk])).content.decode(),
        client.get(reverse("customers:edit", args=[customer.pk])).content.decode(),
    ]
    for page in pages:
        assert "13812345678" not in page and VALID_ID not in page
    assert "138****5678" in pages[0] and "138****5678" not in pages[1]  # a masked number is not confirmed
    assert "110***********002X" in pages[2]


def test_owner_sees_sensitive_fields(client, world):
    client.force_login(world["owner"])
    page = client.get(reverse("customers:detail", args=[world["plain"].pk])).content.decode()
    assert "13812345678" in page and VALID_ID in page


def test_a_grant_covering_the_field_unmasks_it(client, world, make_user):
    from confidentiality.models import AccessGrant, DataRequest

    cs = make_user(r.CS_SPECIALIST, units=[world["unit"]])
    request = DataRequest.objects.create(requester=cs, purpose="回访", scope="customers", data_unit=world["unit"], fields=["mobile"])
    grant = AccessGrant.objects.create(
        request=request, user=cs, fields=["mobile"], form="view", granted_by=cs, expires_at=timezone.now() + timedelta(days=1)
    )
    CustomerUserObjectPermission.objects.create(
        user=cs, content_object=world["plain"], grant_id=grant.pk, fields=grant.fields, expires_at=grant.expires_at,
        permission=Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
    )
    assert policy.can_see_field(cs, world["plain"], "mobile")
    assert not policy.can_see_field(cs, world["plain"], "id_number")


def test_unmask_needs_a_reason_and_is_audited(client, world, make_user):
    cs = make_user(r.CS_SPECIALIST, units=[world["unit"]])
    client.force_login(cs)
    url = reverse("customers:unmask", args=[world["plain"].pk])
    assert client.post(url, {"field": "mobile", "reason": ""}).status_code == 400
    response = client.post(url, {"field": "mobile", "reason": "客户来电核实"})
    assert response.content.decode() == "13812345678"
    entry = AuditEntry.objects.get(action="unmask")
    assert entry.actor == cs and entry.customer_ids == [world["plain"].pk] and entry.reason == "客户来电核实"


def test_an_unmask_reason_goes_through_a_form_and_an_endless_one_is_refused(client, world, make_user):
    client.force_login(make_user(r.CS_SPECIALIST, units=[world["unit"]]))
    url = reverse("customers:unmask", args=[world["plain"].pk])
    response = client.post(url, {"field": "mobile", "reason": "核实" * 300})
    assert response.status_code == 400 and "500" in response.content.decode()
    assert "请填写查看原因" in client.post(url, {"field": "mobile", "reason": "   "}).content.decode()
    assert not AuditEntry.objects.filter(action="unmask").exists()
    assert client.post(url, {"field": "'; drop", "reason": "x"}).status_code == 403


def test_reps_cannot_unmask_others_customers(client, world, make_user):
    client.force_login(make_user(r.SALES_REP, units=[world["unit"]]))
    response = client.post(reverse("customers:unmask", args=[world["plain"].pk]), {"field": "mobile", "reason": "x"})
    assert response.status_code == 404


def test_reading_a_confidential_record_is_audited(client, world, make_user):
    manager = make_user(r.SALES_MANAGER, units=[world["hq"]])
    client.force_login(manager)
    client.get(reverse("customers:detail", args=[world["elsewhere"].pk]))
    client.get(reverse("customers:detail", args=[world["plain"].pk]))
    assert list(AuditEntry.objects.filter(action="read").values_list("customer_ids", flat=True)) == [[world["elsewhere"].pk]]


def test_uploaded_files_go_out_only_through_the_policy(client, world, make_user, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    customer = world["plain"]
    customer.photo_licence.save("id.png", ContentFile(b"\x89PNG fake"), save=False)
    customer.photo_storefront.save("shop.png", ContentFile(b"\x89PNG shop"), save=False)
    customer.save()
    url = lambda field: reverse("customers:file", args=[customer.pk, field])  # noqa: E731
    client.force_login(world["owner"])
    assert b"".join(client.get(url("photo_licence")).streaming_content) == b"\x89PNG fake"
    client.force_login(make_user(r.CS_SPECIALIST, units=[world["unit"]]))
    assert client.get(url("photo_licence")).status_code == 404  # sensitive, not granted
    assert client.get(url("photo_storefront")).status_code == 200
    assert client.get(url("name")).status_code == 404
    client.force_login(make_user(r.SALES_REP, units=[world["other"]]))
    assert client.get(url("photo_storefront")).status_code == 404  # invisible customer
    assert client.get(f"/media/{customer.photo_storefront.name}").status_code == 404


def test_a_masked_number_searched_in_full_reads_exactly_like_an_unknown_one(client, world, make_user):
    """The list's answer to a right guess and to a wrong one must be the same page, bar the echoed term."""
    import re

    client.force_login(make_user(r.CS_SPECIALIST, units=[world["unit"]]))

    def page(term):
        html = client.get(reverse("customers:list"), {"q": term}).content.decode().replace(term, "TERM")
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", html)  # new mask per response

    assert page("13812345678") == page("13812340000")
    assert page(VALID_ID) == page("110105194912310011")


def test_customers_with_field_visible_agrees_with_field_access(world, make_user):
    """The search's subquery and the page's masking are one rule: they must never disagree."""
    from confidentiality.models import AccessGrant, DataRequest

    planner = make_user(r.PLANNER, units=[world["unit"]])
    co_owner = make_user(r.SALES_REP, units=[world["other"]])
    world["elsewhere"].co_owners.add(co_owner)
    live = timezone.now() + timedelta(days=1)
    for customer, fields, revoked in ((world["plain"], ["mobile", "home_address"], None),
                                      (world["secret"], ["id_number"], timezone.now())):
        request = DataRequest.objects.create(requester=planner, purpose="回访", scope="customers",
                                             data_unit=world["unit"], fields=fields)
        grant = AccessGrant.objects.create(request=request, user=planner, fields=fields, form="view",
                                           granted_by=planner, expires_at=live, revoked_at=revoked)
        CustomerUserObjectPermission.objects.create(
            user=planner, content_object=customer, grant_id=grant.pk, fields=grant.fields, expires_at=live,
            permission=Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
        )
    customers = [world[k] for k in ("plain", "secret", "elsewhere")]
    users = [world["owner"], planner, co_owner, make_user(r.MARKETING_HEAD), make_user(is_superuser=True), make_user()]
    for user in users:
        access = policy.field_access(user, customers)
        for code in (*policy.MASKED_FIELDS, "name"):
            ids = set(policy.customers_with_field_visible(user, code).values_list("pk", flat=True))
            assert {c.pk for c in customers if c.pk in ids} == {c.pk for c in customers if access.can_see(c, code)}, (
                user, code)
    assert set(policy.customers_with_field_visible(planner, "mobile").values_list("pk", flat=True)) == {world["plain"].pk}


def test_a_data_request_filter_does_not_confirm_a_masked_number(world, make_user):
    """A planner of another unit asks for `q=<mobile>`: what the request covers (the approvers' count, the grant)
    must not answer the guess."""
    from confidentiality import services

    planner = make_user(r.PLANNER, units=[world["other"]])

    def covered(filter_query):
        request = services.submit_data_request(
            requester=planner, purpose="项目推广", scope="filter", data_unit=world["unit"], filter_query=filter_query,
            form="view", days=3,
        )
        return list(services.scope_customers(request).values_list("pk", flat=True))

    assert covered("q=13812345678") == [] and covered(f"q={VALID_ID}") == []
    assert covered(f"q={world['plain'].name}") == [world["plain"].pk]  # a name is no secret: the filter still works
    assert covered("q=13812345678&tier=C") == []


def test_the_policy_decides_which_reads_are_audited(make_user, unit):
    """One presenter: a confidential or secret record's read is audited; an internal one is not, unless the
    path is a back door (the admin) that audits every level."""
    from crm.models import AuditEntry
    from customers import policy as customer_policy

    reader = make_user(r.MARKETING_HEAD, units=[unit])
    internal = CustomerFactory(unit=unit, confidentiality_level="internal")
    secret = CustomerFactory(unit=unit, confidentiality_level="secret")
    customer_policy.read_customer(reader, internal)
    assert not AuditEntry.objects.filter(action="read").exists()
    access = customer_policy.read_customer(reader, secret)
    assert list(AuditEntry.objects.filter(action="read").values_list("customer_ids", flat=True)) == [[secret.pk]]
    assert not access.can_see(secret, "mobile")  # the head sees the row, not its mobile, without a grant
    customer_policy.read_customer(reader, internal, every_level=True)
    assert AuditEntry.objects.filter(action="read").count() == 2


# --- the order queues' reach (issue 16: order visibility in the one policy) -----------------------------------
@pytest.fixture
def queue_units():
    hq = OrgUnitFactory(code="QHQ")
    return {"hq": hq, "x": OrgUnitFactory(code="QX", parent=hq), "y": OrgUnitFactory(code="QY", parent=hq)}


@pytest.mark.parametrize("role, money, shipping", [
    (r.FINANCE, True, False), (r.GENERAL_MANAGER, True, False), (r.WAREHOUSE, False, True),
    (r.SALES_REP, False, False), (r.MARKETING_HEAD, False, False), (None, False, False),
])
def test_each_queue_role_reaches_the_part_of_an_order_its_work_needs(role, money, shipping):
    user = UserFactory(roles=[role] if role else [])
    reach = policy.queue_reach(user)
    assert (reach.money, reach.shipping) == (money, shipping)


def test_a_registered_hook_gives_its_reach_and_the_answer_is_kept_for_the_request(monkeypatch):
    asked = []
    monkeypatch.setattr(policy, "_reach_hooks", {})
    policy.register_queue_reach("test_delegates", lambda user: asked.append(user.pk) or True, policy.QueueReach(money=True))
    user = UserFactory(roles=[r.SALES_REP])
    assert policy.queue_reach(user).money and policy.queue_reach(user).money
    assert asked == [user.pk]  # asked once: kept on the user object
    inactive = UserFactory(roles=[r.FINANCE], is_active=False)
    assert not policy.queue_reach(inactive).any


def test_the_warehouse_works_every_order_but_no_ones_statement(queue_units):
    customer = CustomerFactory(unit=queue_units["x"])
    warehouse = UserFactory(roles=[r.WAREHOUSE], units=[queue_units["x"]])
    finance = UserFactory(roles=[r.FINANCE], units=[queue_units["x"]])
    assert policy.queue_customers(warehouse).filter(pk=customer.pk).exists()
    assert not policy.queue_customers(warehouse, "money").filter(pk=customer.pk).exists()
    assert policy.queue_customers(finance, "money").filter(pk=customer.pk).exists()
    rep = UserFactory(roles=[r.SALES_REP], units=[queue_units["x"]])
    assert not policy.queue_customers(rep).filter(pk=customer.pk).exists()  # a rep: what the policy shows it


def test_queue_view_names_the_own_unit_but_never_a_secret_or_a_siblings_customer(queue_units, django_assert_max_num_queries):
    inside = CustomerFactory(unit=queue_units["x"], name="本单位客户")
    secret = CustomerFactory(unit=queue_units["x"], name="机密客户", tier="A", confidentiality_level="secret")
    sibling = CustomerFactory(unit=queue_units["y"], name="兄弟客户")
    finance = UserFactory(roles=[r.FINANCE], units=[queue_units["x"]])
    policy.queue_reach(finance), policy.own_unit_ids(finance), policy.r.user_role_codes(finance)  # warm the request cache
    with django_assert_max_num_queries(1):
        view = policy.queue_view(finance, [inside, secret, sibling])
    assert view.name(inside) == "本单位客户"
    for hidden in (secret, sibling):
        assert hidden.name not in view.name(hidden) and hidden.customer_code in view.name(hidden)
        assert hidden.name not in view.label(hidden)
        assert view.money(hidden) and not view.shipping(hidden)
        assert view.address(hidden, "上海市浦东新区世纪大道1号") == "上海市浦东新****"
        assert view.text(hidden, hidden.name) == "****"
    delegate_like = UserFactory(roles=[r.SALES_REP], units=[queue_units["x"]])  # no queue role: names only what it sees
    assert not policy.queue_view(delegate_like, [inside]).names(inside)
    marketing = UserFactory(roles=[r.MARKETING_HEAD])
    assert policy.queue_view(marketing, [secret]).names(secret)


def test_opening_a_masked_record_is_audited_and_an_internal_named_one_is_not(queue_units):
    from crm.models import AuditEntry

    inside = CustomerFactory(unit=queue_units["x"])
    sibling = CustomerFactory(unit=queue_units["y"])
    warehouse = UserFactory(roles=[r.WAREHOUSE], units=[queue_units["x"]])
    policy.read_queue_record(warehouse, inside, subject="SO-1")
    assert not AuditEntry.objects.filter(actor=warehouse).exists()
    policy.read_queue_record(warehouse, sibling, subject="SO-2")
    entry = AuditEntry.objects.get(actor=warehouse)
    assert entry.action == "read" and entry.customer_ids == [sibling.pk] and entry.detail["named"] is False
    assert sibling.name not in entry.subject


def test_a_page_keeps_what_it_found_visible_and_a_direct_question_is_never_kept(queue_units):
    """The per-request cache: the customer page's own finding spares the later checks their query; `is_visible`
    itself keeps nothing, so a caller holding a user object across a grant or a revocation reads it right."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    outside = CustomerFactory(unit=queue_units["y"])
    rep = UserFactory(roles=[r.SALES_REP], units=[queue_units["x"]])
    assert not policy.is_visible(rep, outside)
    outside.co_owners.add(rep)
    assert policy.is_visible(rep, outside)
    outside.co_owners.remove(rep)
    assert not policy.is_visible(rep, outside)
    policy.remember_visible(rep, outside)  # as `_visible_or_404` does for the page it serves
    with CaptureQueriesContext(connection) as ctx:
        assert policy.is_visible(rep, outside)
    assert len(ctx.captured_queries) == 0
