import re

import pytest
from django.db import OperationalError
from django.urls import reverse

from crm import health, roles as r

pytestmark = pytest.mark.django_db


def login(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_shows_the_roles_navigation_in_chinese(client, make_user, password, unit):
    user = make_user(r.SALES_REP, units=[unit])
    assert login(client, user, password).status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert "客户" in page and "业务员" in page and "上海分公司" in page
    assert 'data-nav="visits"' in page and 'data-nav="admin"' not in page


def test_wrong_password_shows_a_chinese_error(client, make_user):
    user = make_user()
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong-pass-1"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_five_failures_lock_the_account_even_with_the_right_password(client, make_user, password):
    user = make_user()
    for _ in range(4):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong-pass-1"})
        assert response.status_code == 200
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong-pass-1"})
    assert response.status_code == 429 or response.status_code == 403
    assert "账户已被锁定" in response.content.decode()
    response = login(client, user, password)
    assert "账户已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, make_user, password):
    user = make_user()
    for _ in range(4):
        client.post(reverse("login"), {"username": user.username, "password": "wrong-pass-1"})
    assert login(client, user, password).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong-pass-1"})
    assert response.status_code == 200


def test_logout_ends_the_session(client, make_user, password):
    login(client, make_user(), password)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_session_expires_after_inactivity(client, make_user, password, settings):
    login(client, make_user(), password)
    assert client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request renews the idle window


def test_password_change_applies_the_policy(client, make_user, password):
    login(client, make_user(), password)
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "onlyletters", "new_password2": "onlyletters"},
    )
    assert response.status_code == 200
    assert "必须同时包含字母和数字" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "Kw7-harbour-92", "new_password2": "Kw7-harbour-92"},
    )
    assert response.status_code == 302


def test_ui_is_chinese_by_default_even_for_an_english_browser(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page and "登录" in page


def test_user_can_switch_to_english_and_back(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in page and "Sign in" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "登录" in client.get(reverse("login")).content.decode()


def test_pages_load_nothing_from_other_hosts(client, make_user, password):
    login(client, make_user(r.ADMIN, is_staff=True), password)
    for url in (reverse("home"), reverse("password_change"), reverse("admin:index")):
        page = client.get(url).content.decode()
        refs = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert refs, url
        assert not [ref for ref in refs if re.match(r"^(https?:)?//", ref)], url


def test_healthz_reports_database_and_broker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_when_the_broker_does_not_answer(client):
    from crm.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error") and response.json()["database"] == "ok"


def test_database_status_reports_a_failing_database(monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", broken_cursor)
    assert health.database_status() == "error: OperationalError"


def test_admin_role_manages_users_roles_and_units_in_chinese(client, make_user, password):
    from crm.services import sync_role_groups

    sync_role_groups()
    login(client, make_user(r.ADMIN, is_staff=True), password)
    page = client.get(reverse("admin:crm_orgunit_add")).content.decode()
    assert "上级单位" in page and "客户登记需主管初审" in page
    users = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "角色" in users and "组织单位" in users
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200


def test_other_roles_cannot_open_the_admin(client, make_user, password):
    login(client, make_user(r.SALES_MANAGER), password)
    assert client.get(reverse("admin:index")).status_code == 302


# Error pages (issue 15 item 4): the UI's language and layout, with a way back.

def test_404_is_chinese_in_the_layout_with_a_way_back(client, make_user, password):
    login(client, make_user(r.SALES_REP), password)
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/customers/")
    page = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="zh-hans">' in page and "找不到此页面" in page and 'data-testid="main-nav"' in page
    assert 'href="http://testserver/customers/" data-testid="error-back"' in page
    assert "Not Found" not in page


def test_404_way_back_never_points_to_another_host(client, make_user, password):
    login(client, make_user(r.SALES_REP), password)
    page = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish").content.decode()
    assert "evil.example" not in page and f'href="{reverse("home")}" data-testid="error-back"' in page


def test_403_is_chinese_in_the_layout(client, make_user, password):
    login(client, make_user(r.FINANCE), password)
    response = client.get(reverse("customers:create"))
    page = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in page and "您无权打开此页面" in page and 'data-testid="error-back"' in page
    assert "403 Forbidden" not in page


def test_403_follows_the_chosen_language(client, make_user, password):
    login(client, make_user(r.FINANCE), password)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("customers:create")).content.decode()
    assert '<html lang="en">' in page and "You may not open this page" in page


def test_403_says_why_when_the_app_explained_the_refusal(rf, make_user):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from crm.errors import ActionForbidden
    from crm.views import permission_denied

    request = rf.get("/")
    request.user, request.session = make_user(r.SALES_REP), {}
    request._messages = FallbackStorage(request)
    response = permission_denied(request, ActionForbidden("x", "只有客户经理可以这样做。"))
    assert response.status_code == 403 and "只有客户经理可以这样做。" in response.content.decode()


def test_csrf_failure_page_is_chinese_and_nothing_is_saved(make_user, password):
    from django.test import Client

    user = make_user(r.SALES_REP)
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    page = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="zh-hans">' in page and "表单已失效" in page and "没有保存任何内容" in page
    assert "CSRF verification failed" not in page
    assert "_auth_user_id" not in client.session


def test_500_page_is_chinese_without_touching_the_database(rf, django_assert_num_queries):
    from django.views.defaults import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="zh-hans">' in page and "系统出现了问题" in page and 'href="/"' in page
    assert "Server Error (500)" not in page
