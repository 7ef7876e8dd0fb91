"""Every URL × every role × (own, same-unit, other-unit, secret record) → the expected answer.
The URL list comes from the URL conf: a new URL without an entry here fails the test."""
import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from confidentiality import services as dr
from crm import roles as r
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ROLES = [*r.ROLES, None]  # None: signed in, no role
KINDS = ("own", "same_unit", "other_unit", "secret")
UNIT_READERS = {r.SALES_SUPERVISOR, r.CS_SPECIALIST, r.PLANNER}
ALL_BUT_SECRET = {r.SALES_MANAGER, r.CS_MANAGER, r.GENERAL_MANAGER}


def sees(role, kind) -> bool:
    """DOMAIN §6 as a table: owners see their own; unit roles their unit; managers all but secret."""
    if kind == "own" or role == r.MARKETING_HEAD:
        return True
    if kind == "secret":
        return False
    if role in ALL_BUT_SECRET:
        return True
    return kind == "same_unit" and role in UNIT_READERS


def edits(role, kind) -> bool:
    if not sees(role, kind):
        return False
    return kind == "own" or role == r.SALES_MANAGER or (role == r.CS_SPECIALIST and kind == "same_unit")


def customer_page(rule):
    def expected(role, kind):
        if not sees(role, kind):
            return 404  # never 403: an invisible customer does not exist for this user
        return 200 if rule(role, kind) else 403
    return expected


def role_page(*roles):
    return lambda role, kind: 200 if role in roles else 403


EVERYONE = lambda role, kind: 200  # noqa: E731
REGISTRARS = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_SPECIALIST)

# url name → (how to call it, expected status for (role, kind)); kind matters only for record URLs.
MATRIX = {
    "home": ("get", EVERYONE),
    "healthz": ("public", None),
    "login": ("public", None),
    "logout": ("post_redirect", None),
    "password_change": ("get", EVERYONE),
    "password_change_done": ("get", EVERYONE),
    "set_language": ("post_redirect", None),
    "customers:list": ("get", EVERYONE),
    "customers:create": ("get", role_page(*REGISTRARS)),
    "customers:export": ("get", role_page(r.MARKETING_HEAD)),  # DOMAIN §6: others file a data request
    "customers:save_filter": ("post_redirect", None),
    "customers:regions": ("get", EVERYONE),
    "customers:id_check": ("get", EVERYONE),
    "customers:bulk": ("post_redirect", None),  # a refused form goes back to the list with its message
    "customers:bulk_owners": ("get", role_page(r.SALES_MANAGER, r.MARKETING_HEAD)),  # the handover's managers
    "customers:bulk_detail": ("bulk_action", None),
    "customers:bulk_progress": ("bulk_action", None),
    "customers:approvals": ("get", role_page(r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD)),
    "customers:handover": ("get", role_page(r.SALES_MANAGER, r.MARKETING_HEAD)),
    "customers:handover_requests": ("get", role_page(r.SALES_MANAGER, r.MARKETING_HEAD)),
    "customers:handover_request_decide": ("post_redirect", None),
    "customers:level_requests": ("get", role_page(r.MARKETING_HEAD)),
    "customers:level_request_decide": ("post_redirect", None),
    "customers:detail": ("customer", customer_page(lambda role, kind: True)),
    "customers:edit": ("customer", customer_page(edits)),
    "customers:unmask": ("customer_post", None),
    "customers:file": ("customer_file", None),
    "customers:action": ("customer_post", None),
    "confidentiality:requests": ("get", EVERYONE),
    "confidentiality:request_new": ("get", EVERYONE),
    "confidentiality:request_detail": ("data_request", None),
    "confidentiality:request_print": ("data_request", None),
    "confidentiality:request_export": ("data_request", None),
    "confidentiality:request_action": ("data_request", None),
    "confidentiality:queue": ("get", EVERYONE),
    "confidentiality:printout_check_in": ("post_redirect", None),
    "confidentiality:audit": ("get", role_page(r.MARKETING_HEAD, r.CS_MANAGER, r.SALES_MANAGER, r.GENERAL_MANAGER)),
    "confidentiality:leaks": ("get", EVERYONE),
    "confidentiality:leak_detail": ("leak", None),
    "confidentiality:archive": ("get", EVERYONE),
    "confidentiality:archive_report": ("get", role_page(r.GENERAL_MANAGER, r.ARCHIVIST)),
    "confidentiality:archive_action": ("post_redirect", None),
    "service:inbox": ("get", EVERYONE),
    "service:inbox_count": ("get", EVERYONE),
    "service:visit_new": ("customer_query", None),
    "service:weekly": ("get", role_page(r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD)),
    "service:complaints": ("get", EVERYONE),
    "service:pool": ("get", EVERYONE),
    "service:inquiries": ("get", EVERYONE),
    "service:care_opt_out": ("customer_post", None),
    "service:opportunities": ("get", EVERYONE),
    "service:opportunity_action": ("post_redirect", None),
    "service:complaint_new": ("customer_query", None),
    "service:complaint_detail": ("complaint", None),
    "imports:list": ("get", role_page(r.ADMIN, r.SALES_MANAGER, r.CS_SPECIALIST)),
    "imports:detail": ("import_job", None),
    "imports:sheet": ("import_job", None),
    "imports:preview": ("import_job", None),
    "imports:values": ("import_job", None),
    "imports:commit": ("import_job", None),
    "imports:cancel": ("import_job", None),
    "imports:progress": ("import_job", None),
    "imports:report": ("import_job", None),
    "admin": ("admin", role_page(r.ADMIN)),
}


def url_names(patterns=None, namespace=None):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_names(p.url_patterns, p.namespace or namespace)
        elif p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


def test_every_url_has_an_entry_in_the_matrix():
    names = {("admin" if n.startswith("admin:") else n) for n in url_names()}
    assert names == set(MATRIX), f"missing: {names - set(MATRIX)}, stale: {set(MATRIX) - names}"


@pytest.fixture
def world():
    hq = OrgUnitFactory(code="HQ")
    sh, bj = OrgUnitFactory(code="SH", parent=hq), OrgUnitFactory(code="BJ", parent=hq)
    colleague = UserFactory(roles=[r.SALES_REP], units=[sh])
    stranger = UserFactory(roles=[r.SALES_REP], units=[bj])
    return {
        "sh": sh,
        "same_unit": CustomerFactory(unit=sh, created_by=colleague, tier="C"),
        "other_unit": CustomerFactory(unit=bj, created_by=stranger, tier="C"),
        "secret": CustomerFactory(unit=sh, created_by=colleague, tier="A"),
    }


def actor(world, role):
    user = UserFactory(roles=[role] if role else [], units=[world["sh"]], is_staff=role == r.ADMIN)
    if role == r.ADMIN:
        from crm.services import sync_role_groups

        sync_role_groups()
    own = CustomerFactory(unit=world["sh"], created_by=user, tier="C")
    client = Client()
    client.force_login(user)
    return user, client, {"own": own, **{k: world[k] for k in KINDS[1:]}}


@pytest.mark.parametrize("name", [n for n, (how, _) in MATRIX.items() if how in ("get", "customer", "admin")])
def test_pages_answer_each_role_as_the_matrix_says(world, name):
    how, expected = MATRIX[name]
    wrong = []
    for role in ROLES:
        user, client, records = actor(world, role)
        kinds = KINDS if how == "customer" else (None,)
        for kind in kinds:
            if how == "customer":
                url = reverse(name, args=[records[kind].pk])
            elif how == "admin":
                url = reverse("admin:index")
            else:
                url = reverse(name)
            status = client.get(url).status_code
            want = expected(role, kind)
            if how == "admin" and want == 403:
                want = 302  # the admin sends non-staff to its own sign-in page
            if status != want:
                wrong.append((role, kind, status, want))
    assert not wrong, wrong


@pytest.mark.parametrize("name", ["customers:action", "customers:unmask", "service:care_opt_out"])
def test_customer_posts_are_404_for_invisible_records(world, name):
    wrong = []
    for role in ROLES:
        user, client, records = actor(world, role)
        for kind in KINDS:
            args = [records[kind].pk, "submit"] if name == "customers:action" else [records[kind].pk]
            status = client.post(reverse(name, args=args), {"field": "mobile", "reason": "x"}).status_code
            if (status == 404) == sees(role, kind):
                wrong.append((role, kind, status))
    assert not wrong, wrong


def test_public_and_redirecting_urls(client, make_user):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    for name in ("home", "customers:list", "confidentiality:queue", "confidentiality:audit"):
        assert client.get(reverse(name)).status_code == 302  # anonymous → sign in
    user = make_user(r.SALES_REP)
    client.force_login(user)
    assert client.post(reverse("customers:save_filter"), {"name": "x", "query": "tier=A"}).status_code == 302
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.post(reverse("customers:bulk"), {"action": "submit"}).status_code == 302
    assert client.post(reverse("confidentiality:printout_check_in", args=[999])).status_code == 404
    assert client.post(reverse("logout")).status_code == 302


@pytest.mark.parametrize("name", ["confidentiality:request_detail", "confidentiality:request_print",
                                  "confidentiality:request_export", "confidentiality:request_action"])
def test_data_requests_of_others_are_404(world, name, make_user):
    owner = make_user(r.PLANNER, units=[world["sh"]])
    request = dr.submit_data_request(requester=owner, purpose="x", scope="customers", data_unit=world["sh"],
                                     customers=[world["same_unit"]], form="print", days=1)
    for role in ROLES:
        if role in (r.MARKETING_HEAD, r.CS_SPECIALIST, r.CS_MANAGER, r.SALES_MANAGER, r.GENERAL_MANAGER):
            continue  # approvers and audit readers may open it; covered by the service tests
        user, client, _records = actor(world, role)
        args = [request.pk, "approve"] if name.endswith("action") else [request.pk]
        response = client.post(reverse(name, args=args)) if name.endswith("action") else client.get(reverse(name, args=args))
        assert response.status_code == 404, (role, response.status_code)


@pytest.mark.parametrize("name", [n for n, (how, _) in MATRIX.items() if how == "import_job"])
def test_import_jobs_answer_403_to_non_importers_and_404_to_other_importers(world, name, make_user):
    """Issue 6: a job is its uploader's (and the administrators'); others who import do not know it exists."""
    from imports.models import ImportJob

    uploader = make_user(r.CS_SPECIALIST, units=[world["sh"]])
    job = ImportJob.objects.create(original_name="x.xlsx", created_by=uploader, headers=["客户名称"], status="previewed")
    wrong = []
    for role in ROLES:
        if role == r.ADMIN:
            continue  # administrators see every job: imports/tests/test_views.py
        user, client, _records = actor(world, role)
        url = reverse(name, args=[job.pk])
        response = client.get(url) if name in ("imports:detail", "imports:progress", "imports:report") else client.post(url)
        want = 404 if role in (r.SALES_MANAGER, r.CS_SPECIALIST) else 403
        if response.status_code != want:
            wrong.append((role, response.status_code, want))
    assert not wrong, wrong


@pytest.mark.parametrize("name", [n for n, (how, _) in MATRIX.items() if how == "bulk_action"])
def test_a_bulk_action_is_its_actors_alone(world, name, make_user):
    """Its result names the customers it touched: anyone but its actor gets 404, whatever their role."""
    from customers.models import BulkAction

    manager = make_user(r.SALES_MANAGER, units=[world["sh"]])
    bulk = BulkAction.objects.create(actor=manager, action="submit", customer_ids=[world["same_unit"].pk], total=1)
    wrong = []
    for role in ROLES:
        _user, client, _records = actor(world, role)
        status = client.get(reverse(name, args=[bulk.pk])).status_code
        if status != 404:
            wrong.append((role, status))
    assert not wrong, wrong
    client = Client()
    client.force_login(manager)
    assert client.get(reverse(name, args=[bulk.pk])).status_code == 200
