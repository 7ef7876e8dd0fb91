import pytest
from django.contrib.auth.models import Group

from crm import roles as r
from crm.navigation import navigation_for
from crm.registry import registry
from crm.services import sync_role_groups

pytestmark = pytest.mark.django_db


def test_migrations_create_one_group_per_role():
    assert set(Group.objects.values_list("name", flat=True)) >= set(r.ROLES)
    assert len(r.ROLES) == 12


def test_admin_group_can_manage_users_and_units():
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=r.ADMIN).permissions.all()}
    assert {"auth.change_user", "auth.change_group", "crm.change_orgunit"} <= perms


def test_sync_role_groups_is_idempotent():
    sync_role_groups()
    sync_role_groups()
    assert Group.objects.filter(name__in=r.ROLES).count() == len(r.ROLES)


def nav_keys(user):
    return {item.key for item in navigation_for(user)}


@pytest.mark.parametrize(
    "role, present, absent",
    [
        (r.SALES_REP, {"home", "customers", "visits", "orders", "archive"}, {"admin", "import", "registrations", "audit"}),
        (r.SALES_MANAGER, {"customers", "registrations", "reports"}, {"admin", "payments"}),
        (r.FINANCE, {"payments", "orders", "dealers"}, {"customers", "admin"}),
        (r.ARCHIVIST, {"archive"}, {"customers", "orders", "admin"}),
        (r.FINANCE, {"payments"}, {"archive"}),
        (r.MARKETING_HEAD, {"data_request_queue", "customers"}, {"import", "payments"}),
        (r.GENERAL_MANAGER, {"leaks", "reports", "orders", "audit"}, {"customers", "admin"}),
        (r.ADMIN, {"admin", "import"}, {"customers", "orders", "payments"}),
    ],
)
def test_each_role_sees_its_own_navigation(make_user, role, present, absent):
    keys = nav_keys(make_user(role))
    assert present <= keys
    assert not (absent & keys)


def test_several_roles_see_the_union_of_their_navigation(make_user):
    keys = nav_keys(make_user(r.ARCHIVIST, r.FINANCE))
    assert {"archive", "payments"} <= keys


def test_user_without_role_sees_only_pages_for_everyone(make_user):
    assert nav_keys(make_user()) == {"home", "inbox", "data_requests", "leaks"}


def test_superuser_sees_everything(make_user):
    assert nav_keys(make_user(is_superuser=True)) == set(registry.navigation) >= {
        "customers", "orders", "dealers", "payments", "reports", "import", "admin", "audit"
    }
