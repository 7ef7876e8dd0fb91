"""Fixtures shared by every app's tests: role users and a headless Chromium driven by Playwright."""
import os
import uuid
from pathlib import Path

import pytest

from crm.tests.factories import TEST_PASSWORD, OrgUnitFactory, UserFactory

CHROMIUM = Path(os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"

@pytest.fixture(autouse=True)
def _audit_triggers_on_sqlite(request):
    """Between transactional tests Django empties every table; on SQLite the audit log's
    append-only triggers let that through only while this flag is up. It is up for
    transactional tests only, so the triggers are fully armed everywhere else."""
    from crm import audit

    marker = request.node.get_closest_marker("django_db")
    audit.MAINTENANCE = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    yield


@pytest.fixture(autouse=True, scope="session")
def _audit_flush_on_postgresql():
    """Django's flush between transactional tests TRUNCATEs every table; the audit tables refuse that
    unless a superuser session set `crm.audit_maintenance` for the transaction. Only this fixture sets
    it, only around the flush; the application never does."""
    from django.db import transaction
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias):
            with self.connection.cursor() as cursor:
                cursor.execute("SET LOCAL crm.audit_maintenance = 'on'")
            original(self, sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _audit_anchor_dir(tmp_path_factory):
    """Each test's database starts empty, so each gets its own (not yet created) anchor directory.
    Set on the settings themselves: an override would hide SETTINGS_MODULE from tests that need it."""
    from django.conf import settings

    previous = settings.AUDIT_ANCHOR_DIR
    settings.AUDIT_ANCHOR_DIR = tmp_path_factory.getbasetemp() / "audit-anchors" / uuid.uuid4().hex
    yield
    settings.AUDIT_ANCHOR_DIR = previous


@pytest.fixture(autouse=True)
def _organisation_language():
    """The language middleware activates the request's language in the thread that served it (with
    the test client, the test's own thread); a test that switched to English must not leave the
    next test speaking it."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached figures (the inbox count) must not leak from one test's users into the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def unit(db):
    return OrgUnitFactory(code="SH01", name="上海分公司")


@pytest.fixture
def make_user(db):
    def make(*roles: str, units=(), **kwargs):
        return UserFactory(roles=list(roles), units=list(units), **kwargs)

    return make


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CRM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing; browser tests need Debian's chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; Django's ORM must still work there.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser_page(chromium, live_server, transactional_db, request):
    """A fresh browser context on the live server; records every URL the page asks for."""
    context = chromium.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requested_urls = []
    page.on("request", lambda req: page.requested_urls.append(req.url))
    page.set_default_timeout(15_000)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
