import pytest
from django.http import QueryDict

from crm import roles as r
from crm.actor import acting_as
from crm.tests.factories import OrgUnitFactory
from customers import selectors, services
from customers.models import Customer
from customers.tests.factories import VALID_ID, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user):
    hq = OrgUnitFactory(code="HQ")
    sh, bj = OrgUnitFactory(code="SH", parent=hq), OrgUnitFactory(code="BJ", parent=hq)
    team = OrgUnitFactory(code="SHT1", parent=sh)
    rep = make_user(r.SALES_REP, units=[team])
    other_rep = make_user(r.SALES_REP, units=[bj])
    customers = {
        "own": CustomerFactory(unit=team, created_by=rep),
        "co_owned": CustomerFactory(unit=bj, created_by=other_rep),
        "team": CustomerFactory(unit=team, created_by=other_rep),
        "beijing": CustomerFactory(unit=bj, created_by=other_rep),
    }
    customers["co_owned"].co_owners.add(rep)
    return {"hq": hq, "sh": sh, "bj": bj, "team": team, "rep": rep, "c": customers}


def visible(user, world):
    ids = set(selectors.visible_customers(user).values_list("pk", flat=True))
    return {name for name, c in world["c"].items() if c.pk in ids}


def test_rep_sees_owned_and_co_owned(world):
    assert visible(world["rep"], world) == {"own", "co_owned"}


@pytest.mark.parametrize("role", [r.SALES_SUPERVISOR, r.CS_SPECIALIST, r.PLANNER])
def test_unit_roles_see_their_unit_and_below(world, make_user, role):
    assert visible(make_user(role, units=[world["sh"]]), world) == {"own", "team"}


@pytest.mark.parametrize("role", [r.MARKETING_HEAD, r.CS_MANAGER])
def test_company_wide_readers_see_everything(world, make_user, role):
    assert visible(make_user(role), world) == {"own", "co_owned", "team", "beijing"}


@pytest.mark.parametrize("role", [r.SALES_MANAGER, r.GENERAL_MANAGER])
def test_unit_managers_see_their_unit_and_below_the_root_one_everything(world, make_user, role):
    """Issue 14 item 1: Shanghai's manager never reads Beijing's customers; one placed at the root reads all."""
    assert visible(make_user(role, units=[world["sh"]]), world) == {"own", "team"}
    assert visible(make_user(role, units=[world["hq"]]), world) == {"own", "co_owned", "team", "beijing"}
    assert visible(make_user(role), world) == set()


@pytest.mark.parametrize("role", [r.ARCHIVIST, r.FINANCE, r.ADMIN, None])
def test_other_roles_see_no_customers(world, make_user, role):
    user = make_user(role) if role else make_user()
    assert visible(user, world) == set()


def test_inactive_users_see_nothing(world):
    world["rep"].is_active = False
    assert visible(world["rep"], world) == set()


def test_search_understands_mobile_code_id_and_name(world, make_user):
    manager = make_user(r.SALES_MANAGER)
    target = CustomerFactory(unit=world["sh"], created_by=manager, name="永辉超市", mobile="13511112222",
                             id_number=VALID_ID, customer_code="SH-000042")
    for term in ("135 1111 2222", "sh-000042", "002x", VALID_ID, "辉超"):
        found = list(selectors.filter_customers(manager, QueryDict(f"q={term}")).values_list("pk", flat=True))
        assert found == [target.pk], term


def test_filters_combine(world, make_user):
    manager = make_user(r.SALES_MANAGER, units=[world["hq"]])  # at the root: the company
    target = CustomerFactory(unit=world["bj"], created_by=manager, tier="A")
    below = target.profile_completeness + 1
    qs = selectors.filter_customers(manager, QueryDict(f"tier=A&unit={world['bj'].pk}&completeness_below={below}"))
    assert list(qs) == [target]
    assert not selectors.filter_customers(manager, QueryDict(f"tier=A&completeness_below={below - 1}")).exists()
    assert selectors.filter_customers(manager, QueryDict(f"unit={world['sh'].pk}")).count() == 2  # SH and its team


def test_capped_count():
    CustomerFactory.create_batch(5)
    assert selectors.capped_count(Customer.objects.all(), cap=3) == (3, True)
    assert selectors.capped_count(Customer.objects.all(), cap=10) == (5, False)


def test_timeline_and_history_speak_in_words(world, make_user):
    manager = make_user(r.SALES_MANAGER, units=[world["sh"]], first_name="伟", last_name="王")
    customer = world["c"]["own"]
    services.change_tier(actor=manager, customer_id=customer.pk, tier="B", reason="采购额上升")
    with acting_as(manager):
        customer.name = "新店名"
        customer.save()
    heir = make_user(r.SALES_REP, units=[customer.unit], first_name="芳", last_name="李")
    services.handover_customers(actor=manager, from_user=world["rep"], to_users=[heir], customer_ids=[customer.pk])
    labels = [e.label for e in selectors.timeline(customer)]
    assert labels[:3] == ["客户经理变更", "客户名称/店铺名称", "等级变更"]
    history = {e.label: e for e in selectors.change_history(customer)}
    assert history["客户经理"].new == "李芳"
    assert history["客户等级"].old.startswith("C 级") and history["客户等级"].new.startswith("B 级")


def test_tier_is_not_editable_in_the_form_after_approval(world):
    from customers.forms import CustomerForm

    assert CustomerForm(instance=world["c"]["own"]).fields["tier"].disabled
    assert not CustomerForm().fields["tier"].disabled


MASKED_MOBILE = "13712341111"


@pytest.fixture
def masked(world):
    """The SH team's customer, owned by the rep: its unit's staff and the managers see it, its mobile and ID masked."""
    return CustomerFactory(unit=world["team"], created_by=world["rep"], mobile=MASKED_MOBILE, id_number=VALID_ID)


def _grant_fields(user, customer, fields):
    from datetime import timedelta

    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from customers.models import CustomerUserObjectPermission
    from confidentiality.models import AccessGrant, DataRequest

    request = DataRequest.objects.create(requester=user, purpose="回访", scope="customers", data_unit=customer.unit,
                                         fields=fields)
    grant = AccessGrant.objects.create(request=request, user=user, fields=fields, form="view", granted_by=user,
                                       expires_at=timezone.now() + timedelta(days=1))
    CustomerUserObjectPermission.objects.create(
        user=user, content_object=customer, grant_id=grant.pk, fields=grant.fields, expires_at=grant.expires_at,
        permission=Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
    )
    return grant


def found(user, term) -> list[int]:
    return list(selectors.filter_customers(user, QueryDict(f"q={term}")).values_list("pk", flat=True))


SEARCHERS = [
    (r.PLANNER, "sh"), (r.SALES_SUPERVISOR, "sh"), (r.CS_SPECIALIST, "team"), (r.SALES_MANAGER, "hq"),
    (r.CS_MANAGER, None), (r.GENERAL_MANAGER, "hq"), (r.MARKETING_HEAD, None),
]


@pytest.mark.parametrize("term", [MASKED_MOBILE, "137 1234-1111", VALID_ID, VALID_ID.lower()])
@pytest.mark.parametrize("role, unit", SEARCHERS)
def test_search_never_confirms_a_masked_mobile_or_id(world, make_user, masked, role, unit, term):
    """They see the customer with `137****1111`: a full number they guessed must find it no more than a wrong one."""
    from customers import policy

    user = make_user(role, units=[world[unit]] if unit else [])
    assert masked.pk in found(user, masked.name)  # the row itself is visible to them...
    assert not policy.can_see_field(user, masked, "mobile")  # ...with its mobile and ID masked
    assert found(user, term) == []


@pytest.mark.parametrize("term", [MASKED_MOBILE, VALID_ID])
def test_owner_co_owner_and_superuser_searches_follow_field_access(world, make_user, masked, term):
    from customers import policy

    co_owner = make_user(r.SALES_REP, units=[world["bj"]])
    masked.co_owners.add(co_owner)
    superuser = make_user(is_superuser=True)
    assert found(world["rep"], term) == [masked.pk]
    assert found(co_owner, term) == [masked.pk]
    # The superuser sees every row but, like the marketing head, the fields masked unless granted: no match.
    assert found(superuser, term) == [] and not policy.can_see_field(superuser, masked, "mobile")


@pytest.mark.parametrize("role, unit", SEARCHERS)
def test_a_grant_finds_only_the_fields_it_lists(world, make_user, masked, role, unit):
    user = make_user(role, units=[world[unit]] if unit else [])
    _grant_fields(user, masked, ["mobile"])
    assert found(user, MASKED_MOBILE) == [masked.pk]
    assert found(user, VALID_ID) == []


@pytest.mark.parametrize("end", ["expired", "revoked"])
def test_a_grant_no_longer_in_force_finds_nothing(world, make_user, masked, end):
    from datetime import timedelta

    from django.utils import timezone

    past = timezone.now() - timedelta(seconds=1)
    planner = make_user(r.PLANNER, units=[world["sh"]])
    grant = _grant_fields(planner, masked, ["mobile", "id_number"])
    if end == "expired":  # the row's own expiry counts before the hourly job revokes the grant
        from customers.models import CustomerUserObjectPermission

        CustomerUserObjectPermission.objects.filter(grant_id=grant.pk).update(expires_at=past)
    else:
        from confidentiality.services import revoke_expired_grants

        type(grant).objects.filter(pk=grant.pk).update(expires_at=past)  # the rows' own expiry is still ahead
        revoke_expired_grants()
    assert found(planner, MASKED_MOBILE) == [] and found(planner, VALID_ID) == []


def test_the_last_four_id_digits_show_in_the_mask_and_stay_searchable(world, make_user, masked):
    assert found(make_user(r.PLANNER, units=[world["sh"]]), "002X") == [masked.pk]


def test_apply_filters_without_a_user_matches_no_sensitive_value(masked):
    assert not selectors.apply_filters(Customer.objects.all(), QueryDict(f"q={MASKED_MOBILE}")).exists()
    assert selectors.apply_filters(Customer.objects.all(), QueryDict(f"q={masked.name}")).exists()


def test_the_timeline_says_levels_and_statuses_in_words(world, make_user):
    head = make_user(r.MARKETING_HEAD, units=[world["sh"]])
    customer = world["c"]["own"]
    services.change_confidentiality(actor=head, customer_id=customer.pk, level="confidential", reason="重要客户")
    details = {e.label: e.detail for e in selectors.timeline(customer)}
    level_words = dict(Customer._meta.get_field("confidentiality_level").flatchoices)
    assert details["密级变更"] == f"{level_words['internal']} → {level_words['confidential']}"
    assert "internal" not in details["密级变更"]
