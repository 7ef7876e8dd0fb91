"""Every URL × every role × (own, same-unit, child-unit, sibling-unit, secret record) → the expected answer.
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
KINDS = ("own", "same_unit", "child_unit", "other_unit", "secret")
# Issue 14 item 1: sales managers and the general manager read their unit and below, like the unit roles.
UNIT_READERS = {r.SALES_SUPERVISOR, r.CS_SPECIALIST, r.PLANNER, r.SALES_MANAGER, r.GENERAL_MANAGER}
ALL_BUT_SECRET = {r.CS_MANAGER}


def sees(role, kind) -> bool:
    """DOMAIN §6 as a table: owners see their own; unit roles their unit and its children (never a sibling);
    the CS manager all but secret; the marketing head all."""
    if kind == "own" or role == r.MARKETING_HEAD:
        return True
    if kind == "secret":
        return False
    if role in ALL_BUT_SECRET:
        return True
    return kind in ("same_unit", "child_unit") and role in UNIT_READERS


def edits(role, kind) -> bool:
    if not sees(role, kind):
        return False
    return kind == "own" or role == r.SALES_MANAGER or (role == r.CS_SPECIALIST and kind in ("same_unit", "child_unit"))


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
    "confidentiality:request_customers": ("data_request", None),
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
    "service:opportunity_move": ("post_redirect", None),
    "service:pick_customer": ("purpose", None),  # its visibility: service/tests/test_lists.py
    "service:complaint_new": ("customer_query", None),
    "service:complaint_detail": ("complaint", None),
    "service:task_action": ("post_redirect", None),  # 404 for another unit's task: service/tests/test_views.py
    "service:recalls": ("get", role_page(r.QUALITY)),
    "service:recall_detail": ("recall", None),
    "service:targets": ("get", role_page(r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD,
                                         r.GENERAL_MANAGER)),
    "imports:list": ("get", role_page(r.ADMIN, r.SALES_MANAGER, r.CS_SPECIALIST)),
    "imports:detail": ("import_job", None),
    "imports:sheet": ("import_job", None),
    "imports:preview": ("import_job", None),
    "imports:values": ("import_job", None),
    "imports:commit": ("import_job", None),
    "imports:cancel": ("import_job", None),
    "imports:progress": ("import_job", None),
    "imports:report": ("import_job", None),
    "orders:list": ("get", role_page(r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.FINANCE, r.GENERAL_MANAGER,
                                     r.WAREHOUSE)),
    "orders:products": ("get", role_page(r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)),
    "orders:product_import": ("get", role_page(r.ADMIN)),
    "orders:payments": ("get", role_page(r.FINANCE)),
    "orders:approvals": ("get", role_page(r.GENERAL_MANAGER)),
    "orders:shipping": ("get", role_page(r.WAREHOUSE)),
    "orders:account_periods": ("get", role_page(r.SALES_MANAGER)),
    "orders:payment_action": ("post_redirect", None),
    "orders:account_period_decide": ("post_redirect", None),
    "orders:new": ("order", None),
    "orders:detail": ("order", None),
    "orders:action": ("order", None),
    "orders:statement": ("order", None),
    "orders:account_period_new": ("order", None),
    "orders:claim_evidence": ("order", None),
    "admin": ("admin", role_page(r.ADMIN)),
    # Dealers: every URL × role × (own, same-unit, other-unit, secret dealer) in dealers/tests/test_views.py.
    **{f"dealers:{name}": ("dealers", None) for name in (
        "list", "create", "import", "export", "progress", "progress_export", "credit", "credit_run", "credit_decide",
        "shortfall_decide", "detail", "edit", "print", "plan", "franchise")},
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
    pd = OrgUnitFactory(code="PD", parent=sh)
    colleague = UserFactory(roles=[r.SALES_REP], units=[sh])
    stranger = UserFactory(roles=[r.SALES_REP], units=[bj])
    below = UserFactory(roles=[r.SALES_REP], units=[pd])
    return {
        "sh": sh,
        "same_unit": CustomerFactory(unit=sh, created_by=colleague, tier="C"),
        "child_unit": CustomerFactory(unit=pd, created_by=below, tier="C"),
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


def test_a_recall_is_the_quality_managers_and_404_to_whoever_may_not_see_its_customer(world):
    """Issue 14 item 2: quality managers work every recall (its customer not named); the others read the
    recall of a customer they see, and anyone else does not know it exists."""
    from datetime import date

    from service import services as svc

    for kind in KINDS[1:]:  # same unit, child unit, sibling unit, secret
        svc.register_complaint(actor=world[kind].account_manager, customer=world[kind], category="quality", channel="phone", description="x",
                               order_number="1", product="p", quantity=1, delivered_on=date(2026, 11, 1),
                               defect_count=1, production_date=date(2026, 10, 1), sample_kept=True)
    wrong = []
    for role in ROLES:
        user, client, _records = actor(world, role)
        for kind in KINDS[1:]:
            recall = world[kind].complaints.get().recall
            status = client.get(reverse("service:recall_detail", args=[recall.pk])).status_code
            want = 200 if role == r.QUALITY or sees(role, kind) else 404
            if status != want:
                wrong.append((role, kind, status, want))
    assert not wrong, wrong


@pytest.mark.parametrize("name", ["confidentiality:request_detail", "confidentiality:request_print",
                                  "confidentiality:request_export", "confidentiality:request_action",
                                  "confidentiality:request_customers"])
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


ORDER_ENTRY = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)
ORDER_PROCESSORS = (r.FINANCE, r.GENERAL_MANAGER, r.WAREHOUSE)  # they work every order, whoever's customer
MONEY_REACH = (r.FINANCE, r.GENERAL_MANAGER)  # ... and these read its money: the statement too (not the warehouse)


def names_in_queues(role, kind) -> bool:
    """The policy's order-queue reach: a queue worker names the customers it sees and, like a unit role, those of its
    own unit and below but secret ones; any other order it works shows the customer by its masked code."""
    return sees(role, kind) or (role in ORDER_PROCESSORS and kind in ("same_unit", "child_unit"))


def test_orders_follow_the_customers_a_user_may_see(world, settings, tmp_path):
    """Issue 16: a rep (supervisor, manager) sees the orders of the customers it may see and nothing else;
    finance, the GM and the warehouse work every order, naming only the customers the policy lets them (the others
    masked, each opening audited); statements are for those who see the customer or work money; everyone else has
    no orders pages."""
    from crm.models import AuditEntry, AuditEntryCustomer
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from PIL import Image

    from orders import services as orders
    from orders.tests.factories import ProductFactory, finance_user, gm_user, place_order, warehouse_user

    settings.MEDIA_ROOT = str(tmp_path)
    product = ProductFactory()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "JPEG")
    placed = {}
    for kind in KINDS[1:]:
        customer = world[kind]
        order = place_order(customer.account_manager, customer, (product, "1", "10"), remittance="10")
        orders.confirm_payment(actor=finance_user(), payment_id=customer.payments.get().pk)
        orders.approve_order(actor=gm_user(), order_id=order.pk)
        orders.ship_order(actor=warehouse_user(), order_id=order.pk, carrier="c", waybill="w",
                          shipped_on=timezone.localdate())
        claim = orders.file_claim(actor=customer.account_manager, order_id=order.pk, kind="damage", description="x",
                                  evidence=SimpleUploadedFile("e.jpg", buffer.getvalue()), on=timezone.localdate())
        placed[kind] = (customer, order, claim)
    wrong = []
    for role in ROLES:
        user, client, _records = actor(world, role)
        for kind, (customer, order, claim) in placed.items():
            visible = role in ORDER_PROCESSORS or (role in ORDER_ENTRY and sees(role, kind))
            enters = role in ORDER_ENTRY
            statement = role in MONEY_REACH or (visible and sees(role, kind))
            detail = client.get(reverse("orders:detail", args=[order.pk]))
            named = names_in_queues(role, kind)
            audited = AuditEntry.objects.filter(actor=user, action="read", pk__in=AuditEntryCustomer.objects.filter(
                customer_id=customer.pk).values("entry_id")).exists()
            checks = {
                "detail": (detail.status_code, 200 if visible else 404),
                "named": (customer.name in detail.content.decode(), visible and named),
                "audited": (audited, visible and (not named or customer.confidentiality_level != "internal")),
                "evidence": (client.get(reverse("orders:claim_evidence", args=[claim.pk])).status_code,
                             200 if visible else 404),
                "statement": (client.get(reverse("orders:statement", args=[customer.pk])).status_code,
                              200 if statement else 404 if enters or visible else 403),
                "new": (client.get(reverse("orders:new") + f"?customer={customer.pk}").status_code,
                        (200 if sees(role, kind) else 404) if enters else 403),
                "account_period_new": (client.get(reverse("orders:account_period_new", args=[customer.pk])).status_code,
                                       (200 if sees(role, kind) else 404) if enters else 403),
                "deliver": (client.post(reverse("orders:action", args=[order.pk, "deliver"]),
                                        {"delivered_on": "2026-12-01"}).status_code, 302 if visible else 404),
            }
            wrong += [(role, kind, what, got, want) for what, (got, want) in checks.items() if got != want]
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
