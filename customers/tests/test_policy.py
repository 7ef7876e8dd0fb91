"""The policy's order-queue reach: who works every order, which customers it names, what it reads of the others."""
import pytest

from crm import roles as r
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers import policy
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
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


def test_the_warehouse_works_every_order_but_no_ones_statement(units):
    customer = CustomerFactory(unit=units["x"])
    warehouse = UserFactory(roles=[r.WAREHOUSE], units=[units["x"]])
    finance = UserFactory(roles=[r.FINANCE], units=[units["x"]])
    assert policy.queue_customers(warehouse).filter(pk=customer.pk).exists()
    assert not policy.queue_customers(warehouse, "money").filter(pk=customer.pk).exists()
    assert policy.queue_customers(finance, "money").filter(pk=customer.pk).exists()
    rep = UserFactory(roles=[r.SALES_REP], units=[units["x"]])
    assert not policy.queue_customers(rep).filter(pk=customer.pk).exists()  # a rep: what the policy shows it


def test_queue_view_names_the_own_unit_but_never_a_secret_or_a_siblings_customer(units, django_assert_max_num_queries):
    inside = CustomerFactory(unit=units["x"], name="本单位客户")
    secret = CustomerFactory(unit=units["x"], name="机密客户", tier="A", confidentiality_level="secret")
    sibling = CustomerFactory(unit=units["y"], name="兄弟客户")
    finance = UserFactory(roles=[r.FINANCE], units=[units["x"]])
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
    delegate_like = UserFactory(roles=[r.SALES_REP], units=[units["x"]])  # no queue role: names only what it sees
    assert not policy.queue_view(delegate_like, [inside]).names(inside)
    marketing = UserFactory(roles=[r.MARKETING_HEAD])
    assert policy.queue_view(marketing, [secret]).names(secret)


def test_opening_a_masked_record_is_audited_and_an_internal_named_one_is_not(units):
    from crm.models import AuditEntry

    inside = CustomerFactory(unit=units["x"])
    sibling = CustomerFactory(unit=units["y"])
    warehouse = UserFactory(roles=[r.WAREHOUSE], units=[units["x"]])
    policy.read_queue_record(warehouse, inside, subject="SO-1")
    assert not AuditEntry.objects.filter(actor=warehouse).exists()
    policy.read_queue_record(warehouse, sibling, subject="SO-2")
    entry = AuditEntry.objects.get(actor=warehouse)
    assert entry.action == "read" and entry.customer_ids == [sibling.pk] and entry.detail["named"] is False
    assert sibling.name not in entry.subject
