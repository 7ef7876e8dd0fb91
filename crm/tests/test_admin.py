"""The admin site hands out no more than the one using it holds."""
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from crm import roles as r
from crm.services import sync_role_groups

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(make_user, unit):
    sync_role_groups()
    return make_user(r.ADMIN, units=[unit], is_staff=True)


def user_form_data(client, user, **changes):
    """The user change form as the browser would send it back, with `changes` applied."""
    response = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    joined = form.initial["date_joined"]
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
        "is_active": "on", "date_joined_0": joined.strftime("%Y-%m-%d"), "date_joined_1": joined.strftime("%H:%M:%S"),
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
    }
    if user.is_staff:
        data["is_staff"] = "on"
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({f"{management.prefix}-{k}": v for k, v in management.initial.items()})
        for inline in formset.formset.forms:
            data[f"{inline.prefix}-id"] = inline.instance.pk or ""
            data[f"{inline.prefix}-user"] = user.pk
            data[f"{inline.prefix}-status"] = inline.instance.status
            data[f"{inline.prefix}-units"] = [u.pk for u in inline.instance.units.all()]
    data.update(changes)
    return data


def post_user(client, user, **changes):
    return client.post(reverse("admin:auth_user_change", args=[user.pk]), user_form_data(client, user, **changes))


def test_the_admin_role_still_edits_a_users_name(client, sysadmin, make_user):
    rep = make_user(r.SALES_REP)
    client.force_login(sysadmin)
    response = post_user(client, rep, last_name="李")
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.last_name == "李"


@pytest.mark.parametrize("change, message", [
    ({"is_superuser": "on"}, "只有超级用户才能授予超级用户权限。"),
    ({"is_staff": "on"}, "只有超级用户才能授予管理后台访问权限。"),
])
def test_the_admin_role_cannot_grant_superuser_or_staff_even_to_itself(client, sysadmin, make_user, change, message):
    other = make_user(r.SALES_REP)
    client.force_login(sysadmin)
    for target in (other, sysadmin) if "is_superuser" in change else (other,):  # the admin is staff already
        response = post_user(client, target, last_name="改", **change)
        assert response.status_code == 200 and message in response.content.decode()
        target.refresh_from_db()
        assert not target.is_superuser and target.last_name == "张"
    other.refresh_from_db()
    assert not other.is_staff


@pytest.mark.parametrize("role", [r.MARKETING_HEAD, r.SALES_MANAGER, r.CS_MANAGER, r.GENERAL_MANAGER, r.PLANNER])
def test_the_admin_role_cannot_grant_a_role_that_sees_more_even_to_itself(client, sysadmin, make_user, role):
    other = make_user(r.SALES_REP)
    client.force_login(sysadmin)
    wider = Group.objects.get(name=role)
    for target in (other, sysadmin):
        response = post_user(client, target, groups=[*target.groups.values_list("pk", flat=True), wider.pk])
        assert response.status_code == 200
        assert "您不能授予比自己可见范围更大的角色" in response.content.decode()
        assert not target.groups.filter(pk=wider.pk).exists()


def test_a_holder_of_a_wider_role_may_grant_a_narrower_one(client, sysadmin, make_user):
    sysadmin.groups.add(Group.objects.get(name=r.SALES_MANAGER))
    rep = make_user(r.SALES_REP)
    client.force_login(sysadmin)
    planner = Group.objects.get(name=r.PLANNER)
    response = post_user(client, rep, groups=[*rep.groups.values_list("pk", flat=True), planner.pk])
    assert response.status_code == 302
    assert rep.groups.filter(pk=planner.pk).exists()


def test_a_superuser_grants_any_role(client, make_user):
    root = make_user(is_superuser=True, is_staff=True)
    rep = make_user(r.SALES_REP)
    client.force_login(root)
    head = Group.objects.get_or_create(name=r.MARKETING_HEAD)[0]
    response = post_user(client, rep, groups=[head.pk], is_staff="on")
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.is_staff and rep.groups.filter(pk=head.pk).exists()


def test_the_admin_role_cannot_grant_permissions_it_lacks(client, sysadmin, make_user):
    rep = make_user(r.SALES_REP)
    view_customer = Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    client.force_login(sysadmin)
    for target in (rep, sysadmin):
        response = post_user(client, target, user_permissions=[view_customer.pk])
        assert response.status_code == 200 and "customers.view_customer" in response.content.decode()
        assert not target.user_permissions.exists()


def test_the_admin_role_cannot_add_permissions_it_lacks_to_a_group(client, sysadmin):
    view_customer = Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    group = Group.objects.get(name=r.ADMIN)
    before = set(group.permissions.values_list("pk", flat=True))
    client.force_login(sysadmin)
    response = client.post(reverse("admin:auth_group_change", args=[group.pk]),
                           {"name": r.ADMIN, "permissions": [*before, view_customer.pk]})
    assert response.status_code == 200 and "您不能授予自己没有的权限" in response.content.decode()
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_the_admin_role_cannot_take_a_roles_name(client, sysadmin):
    """Renaming the head's group away and its own group to the head's code would make it the head."""
    head = Group.objects.get(name=r.MARKETING_HEAD)
    own = Group.objects.get(name=r.ADMIN)
    client.force_login(sysadmin)
    response = client.post(reverse("admin:auth_group_change", args=[head.pk]), {"name": "old_head"})
    assert response.status_code == 200 and "只有超级用户才能重命名角色" in response.content.decode()
    response = client.post(reverse("admin:auth_group_add"), {"name": r.MARKETING_HEAD + "_"})
    assert response.status_code == 302  # an ordinary group is fine
    client.post(reverse("admin:auth_group_change", args=[own.pk]), {"name": "x"})
    head.refresh_from_db(), own.refresh_from_db()
    assert (head.name, own.name) == (r.MARKETING_HEAD, r.ADMIN)


def test_the_admin_role_cannot_change_a_superusers_account_or_password(client, sysadmin, make_user):
    root = make_user(is_superuser=True, is_staff=True)
    client.force_login(sysadmin)
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.get(password_url).status_code == 403
    response = client.post(password_url, {"password1": "Kw7-harbour-92", "password2": "Kw7-harbour-92", "usable_password": "true"})
    assert response.status_code == 403
    response = client.post(reverse("admin:auth_user_change", args=[root.pk]), {"username": root.username, "last_name": "改"})
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password("test-pass-2026") and root.last_name == "张"


def test_the_admin_role_cannot_set_the_password_of_a_wider_role(client, sysadmin, make_user):
    """Resetting the marketing head's password would be signing in as the marketing head."""
    head = make_user(r.MARKETING_HEAD)
    client.force_login(sysadmin)
    password_url = reverse("admin:auth_user_password_change", args=[head.pk])
    assert client.get(password_url).status_code == 403
    response = client.post(password_url, {"password1": "Kw7-harbour-92", "password2": "Kw7-harbour-92", "usable_password": "true"})
    assert response.status_code == 403
    head.refresh_from_db()
    assert not head.check_password("Kw7-harbour-92")


def test_the_admin_role_sets_the_password_of_a_fellow_admin(client, sysadmin, make_user):
    other = make_user(r.ADMIN)
    client.force_login(sysadmin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[other.pk]),
        {"password1": "Kw7-harbour-92", "password2": "Kw7-harbour-92", "usable_password": "true"},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.check_password("Kw7-harbour-92")


def test_role_reach_follows_the_visibility_policy():
    from customers import policy

    by_reach = {n: {code for code, reach in r.ROLE_REACH.items() if reach == n} for n in (1, 2, 3)}
    assert by_reach[3] == set(policy.SEES_ALL_LEVELS)
    assert by_reach[2] == {*policy.SEES_ALL_BUT_SECRET, *policy.MANAGES_OWN_UNIT}  # managers keep their rank
    assert by_reach[1] == {*policy.SEES_OWN_UNIT_BUT_SECRET, r.SALES_REP} - set(policy.MANAGES_OWN_UNIT)


def test_only_a_superuser_switches_scheduled_jobs(client, sysadmin, make_user):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    sysadmin.user_permissions.add(*Permission.objects.filter(content_type__app_label="django_celery_beat"))
    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    task = PeriodicTask.objects.create(name="grant expiry", task="confidentiality.tasks.expire_grants", interval=every)
    client.force_login(sysadmin)
    url = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    assert client.get(url).status_code == 200  # may look
    response = client.post(url, {"name": "grant expiry", "task": task.task, "enabled": "", "interval": every.pk})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.enabled
    root = make_user(is_superuser=True, is_staff=True)
    client.force_login(root)
    assert client.get(url).status_code == 200
