"""Pages: order entry, queues, statements; the permission matrix and IDOR for every orders URL (acceptance 5)."""
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from crm import roles as r
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory
from orders import services
from orders.models import AccountPeriodApplication, Order, Payment

from .factories import ProductFactory, finance_user, gm_user, place_order, warehouse_user

pytestmark = pytest.mark.django_db


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def world():
    """Two reps in two units, each with a customer and an order at every stage worth checking."""
    unit_a, unit_b = OrgUnitFactory(code="OA"), OrgUnitFactory(code="OB")
    rep_a = UserFactory(roles=[r.SALES_REP], units=[unit_a])
    rep_b = UserFactory(roles=[r.SALES_REP], units=[unit_b])
    mine = CustomerFactory(unit=unit_a, created_by=rep_a)
    theirs = CustomerFactory(unit=unit_b, created_by=rep_b)
    product = ProductFactory()
    order_b = place_order(rep_b, theirs, (product, "2", "50"))
    payment_b = services.record_payment(actor=finance_user(), customer=theirs, method="cash", amount="100",
                                        received_on=timezone.localdate(), for_order=order_b)
    services.confirm_payment(actor=finance_user(), payment_id=payment_b.pk)
    services.approve_order(actor=gm_user(), order_id=order_b.pk)
    services.ship_order(actor=warehouse_user(), order_id=order_b.pk, carrier="c", waybill="w",
                        shipped_on=timezone.localdate())
    claim_b = services.file_claim(actor=rep_b, order_id=order_b.pk, kind="damage", description="破损",
                                  evidence=SimpleUploadedFile("e.jpg", jpeg(), content_type="image/jpeg"),
                                  on=timezone.localdate())
    application_b = AccountPeriodApplication.objects.create(customer=theirs, limit=Decimal("1"), period_days=30,
                                                            investigation="x", applicant=rep_b)
    return {"rep_a": rep_a, "rep_b": rep_b, "mine": mine, "theirs": theirs, "product": product, "order_b": order_b,
            "claim_b": claim_b, "payment_b": payment_b, "application_b": application_b}


def test_rep_sees_orders_of_its_customers_only(client, world):
    client.force_login(world["rep_a"])
    order_b, theirs = world["order_b"], world["theirs"]
    listing = client.get(reverse("orders:list"))
    assert listing.status_code == 200 and order_b.number not in listing.content.decode()
    for url in (reverse("orders:detail", args=[order_b.pk]), reverse("orders:statement", args=[theirs.pk]),
                reverse("orders:statement", args=[theirs.pk]) + "?format=xlsx",
                reverse("orders:claim_evidence", args=[world["claim_b"].pk]),
                reverse("orders:new") + f"?customer={theirs.pk}",
                reverse("orders:account_period_new", args=[theirs.pk])):
        assert client.get(url).status_code == 404, url
    for action in ("cancel", "approve", "ship", "deliver", "return", "claim", "submit"):
        assert client.post(reverse("orders:action", args=[order_b.pk, action]), {"reason": "x"}).status_code == 404
    assert Order.objects.get(pk=order_b.pk).status == "shipped"
    client.force_login(world["rep_b"])
    assert order_b.number in client.get(reverse("orders:list")).content.decode()
    assert client.get(reverse("orders:detail", args=[order_b.pk])).status_code == 200
    evidence = client.get(reverse("orders:claim_evidence", args=[world["claim_b"].pk]))
    assert evidence.status_code == 200 and evidence["Content-Type"] == "image/jpeg"


ROLE_PAGES = {
    # url name: roles that may open it (superusers aside); everyone else gets 403
    "orders:list": {r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.FINANCE, r.GENERAL_MANAGER, r.WAREHOUSE},
    "orders:payments": {r.FINANCE},
    "orders:approvals": {r.GENERAL_MANAGER},
    "orders:shipping": {r.WAREHOUSE},
    "orders:account_periods": {r.SALES_MANAGER},
    "orders:products": {r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER},
    "orders:new": {r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER},  # without a customer: the customer picker
}


@pytest.mark.parametrize("role", sorted(r.ROLES))
def test_permission_matrix(client, world, role):
    user = UserFactory(roles=[role])
    client.force_login(user)
    for name, allowed in ROLE_PAGES.items():
        status = client.get(reverse(name)).status_code
        assert status == (200 if role in allowed else 403), (name, role, status)
    posts = {
        "orders:payment_action": ([world["payment_b"].pk, "reject"], {r.FINANCE}),
        "orders:account_period_decide": ([world["application_b"].pk], {r.SALES_MANAGER}),
    }
    for name, (args, allowed) in posts.items():
        status = client.post(reverse(name, args=args), {"reason": "x", "decision": "reject"}).status_code
        assert (status in (302, 404)) if role in allowed else status == 403, (name, role, status)


def test_anonymous_is_sent_to_sign_in(client, world):
    for url in (reverse("orders:list"), reverse("orders:detail", args=[world["order_b"].pk]),
                reverse("orders:statement", args=[world["theirs"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_bad_ids_are_404_not_500(client, world):
    client.force_login(finance_user())
    for url in ("/orders/99999999999999999999/", "/orders/0/", "/orders/customers/99999999999/statement/",
                "/orders/claims/123456789/evidence/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/orders/payments/999999/confirm/").status_code == 404
    assert client.post(reverse("orders:payment_action", args=[world["payment_b"].pk, "explode"])).status_code == 404


def test_order_entry_creates_and_submits(client, world):
    rep, customer, product = world["rep_a"], world["mine"], world["product"]
    client.force_login(rep)
    page = client.get(reverse("orders:new") + f"?customer={customer.pk}")
    assert page.status_code == 200
    data = {"customer": customer.pk, "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "50",
            "lines-0-product": product.code, "lines-0-quantity": "3", "lines-0-unit_price": "",
            "lines-1-product": product.code, "lines-1-quantity": "1.5", "lines-1-unit_price": "10.01",
            "payment_mode": "cash", "delivery_address": "上海", "transport": "rail", "destination_station": "上海南",
            "remittance": "315.02", "notes": "", "submit": "1"}
    response = client.post(reverse("orders:new"), data)
    order = Order.objects.get(customer=customer)
    assert response.status_code == 302 and order.status == "submitted"
    assert order.total == Decimal("315.02")  # 3 × 100.00 list price + 1.5 × 10.01 = 15.015 → 15.02
    assert Payment.objects.get(for_order=order).amount == Decimal("315.02")


def test_order_entry_bad_input_keeps_what_was_typed(client, world):
    client.force_login(world["rep_a"])
    data = {"customer": world["mine"].pk, "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-product": "NOPE", "lines-0-quantity": "-1", "payment_mode": "cash",
            "delivery_address": "上海", "transport": "rail", "remittance": "abc"}
    response = client.post(reverse("orders:new"), data)
    assert response.status_code == 200 and Order.objects.count() == 1  # only the fixture's
    body = response.content.decode()
    assert "NOPE" in body and "上海" in body


def test_statement_page_and_xlsx(client, world):
    """The owner's statement; its .xlsx is an export, audited whoever the customer is (DOMAIN §6)."""
    from crm.models import AuditEntry

    client.force_login(world["rep_b"])
    theirs = world["theirs"]
    page = client.get(reverse("orders:statement", args=[theirs.pk]))
    assert page.status_code == 200 and world["order_b"].number in page.content.decode()
    month = timezone.localdate().strftime("%Y-%m")
    xlsx = client.get(reverse("orders:statement", args=[theirs.pk]) + f"?month={month}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(world["order_b"].number in str(v) for row in values for v in row)
    assert AuditEntry.objects.filter(actor=world["rep_b"], action="export").count() == 1
    bad = client.get(reverse("orders:statement", args=[theirs.pk]) + "?month=2026-13")
    assert bad.status_code == 200



def test_statement_pages_latest_first_with_older_rows_and_the_whole_xlsx(client, world, monkeypatch):
    from orders import views
    from orders.models import Charge

    monkeypatch.setattr(views, "STATEMENT_PAGE_ROWS", 3)
    theirs = world["theirs"]
    for day in range(1, 6):
        Charge.objects.create(customer=theirs, on=date(2020, 1, day), kind="other",
                              amount=Decimal("10.00"), description=f"费用{day}")
    client.force_login(finance_user())
    url = reverse("orders:statement", args=[theirs.pk])
    first = client.get(url).content.decode()
    assert "费用5" in first and "费用1" not in first and 'data-testid="older-rows"' in first
    assert 'data-testid="brought-forward"' in first
    # 7 rows: the five charges, then today's order and payment; pages of 3 from the latest
    middle = client.get(url + "?page=2").content.decode()
    assert "费用4" in middle and "费用2" in middle and "费用5" not in middle and "费用1" not in middle
    oldest = client.get(url + "?page=3").content.decode()
    assert "费用1" in oldest and "期初余额" in oldest and 'data-testid="older-rows"' not in oldest
    assert client.get(url + "?page=999").status_code == 200
    assert client.get(url + "?page=abc").status_code == 200
    sheet = load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content)).active
    text = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert all(f"费用{day}" in text for day in range(1, 6))

def test_queues_show_on_home_and_inbox(client, world):
    rep_b, theirs, product = world["rep_b"], world["theirs"], world["product"]
    order = place_order(rep_b, theirs, (product, "1", "5"))
    finance = finance_user()
    client.force_login(finance)
    assert order.number in client.get(reverse("orders:payments")).content.decode() or \
        Payment.objects.filter(status="pending").count() == 0
    payment = services.record_payment(actor=finance, customer=theirs, method="wire", amount="5",
                                      received_on=timezone.localdate())
    response = client.post(reverse("orders:payment_action", args=[payment.pk, "confirm"]), {"orders": order.number})
    assert response.status_code == 302 and Order.objects.get(pk=order.pk).status == "paid"
    gm = gm_user()
    client.force_login(gm)
    assert order.number in client.get(reverse("orders:approvals")).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert reverse("orders:approvals") in home
    client.post(reverse("orders:action", args=[order.pk, "approve"]), {"back": reverse("orders:approvals")})
    assert Order.objects.get(pk=order.pk).status == "approved"
    client.force_login(warehouse_user())
    assert order.number in client.get(reverse("orders:shipping")).content.decode()
    client.post(reverse("orders:action", args=[order.pk, "ship"]),
                {"carrier": "德邦", "waybill": "DB1", "shipped_on": timezone.localdate().isoformat()})
    assert Order.objects.get(pk=order.pk).status == "shipped"


def test_customer_page_shows_the_orders_panel(client, world):
    client.force_login(world["rep_b"])
    page = client.get(reverse("customers:detail", args=[world["theirs"].pk])).content.decode()
    assert 'data-testid="orders-panel"' in page and world["order_b"].number in page


def test_account_period_application_through_the_pages(client, world):
    client.force_login(world["rep_a"])
    mine = world["mine"]
    response = client.post(reverse("orders:account_period_new", args=[mine.pk]),
                           {"limit": "10000", "period_days": "30", "investigation": "已核实"})
    assert response.status_code == 302
    application = AccountPeriodApplication.objects.get(customer=mine)
    manager = UserFactory(roles=[r.SALES_MANAGER], units=[mine.unit])  # managers read their own unit (issue 14)
    client.force_login(manager)
    client.post(reverse("orders:account_period_decide", args=[application.pk]), {"decision": "approve"})
    assert mine.credit_terms.source == "account_period"


# --- the policy's order-queue reach: masked names on every surface (issue 16, the one policy) -----------------
SECRET_NAME = "机密客户甲有限公司"


@pytest.fixture
def secret_world():
    """A secret customer of unit X with an order in each queue; finance and the warehouse placed in X, a general
    manager of the sibling unit Y: they work its orders but may not see it."""

    hq = OrgUnitFactory(code="HQX")
    unit_x, unit_y = OrgUnitFactory(code="UX", parent=hq), OrgUnitFactory(code="UY", parent=hq)
    rep = UserFactory(roles=[r.SALES_REP], units=[unit_x])
    secret = CustomerFactory(unit=unit_x, created_by=rep, name=SECRET_NAME, tier="A", confidentiality_level="secret")
    product = ProductFactory()
    finance = finance_user(units=[unit_x])
    pending = place_order(rep, secret, (product, "1", "10"), remittance="10")  # a payment to confirm, payer = name
    paid = place_order(rep, secret, (product, "2", "10"))
    payment = services.record_payment(actor=finance, customer=secret, method="wire", amount="20",
                                      received_on=timezone.localdate(), payer=SECRET_NAME)
    services.confirm_payment(actor=finance, payment_id=payment.pk, orders=[paid.pk])
    to_ship = place_order(rep, secret, (product, "3", "10"))
    payment = services.record_payment(actor=finance, customer=secret, method="cash", amount="30",
                                      received_on=timezone.localdate())
    services.confirm_payment(actor=finance, payment_id=payment.pk, orders=[to_ship.pk])
    services.approve_order(actor=gm_user(), order_id=to_ship.pk)
    return {"rep": rep, "secret": secret, "finance": finance, "warehouse": warehouse_user(units=[unit_x]),
            "gm_y": gm_user(units=[unit_y]), "pending": pending, "paid": Order.objects.get(pk=paid.pk),
            "to_ship": Order.objects.get(pk=to_ship.pk)}


def _reads(user, customer) -> int:
    from crm.models import AuditEntry, AuditEntryCustomer

    return AuditEntry.objects.filter(actor=user, action="read", pk__in=AuditEntryCustomer.objects.filter(
        customer_id=customer.pk).values("entry_id")).count()


def _xlsx_text(content: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def _assert_masked(html: str, customer):
    assert SECRET_NAME not in html and customer.mobile not in html
    assert customer.customer_code in html  # named by its code: the masked name


@pytest.mark.parametrize("who", ["finance", "warehouse", "gm_y"])
def test_queue_workers_see_a_secret_customers_orders_masked_and_each_opening_is_audited(client, secret_world, who):
    from crm.models import AuditEntry

    world, secret = secret_world, secret_world["secret"]
    user = world[who]
    client.force_login(user)
    pages = {
        "list": reverse("orders:list"), "home": reverse("home"), "inbox": reverse("service:inbox"),
        {"finance": "payments", "warehouse": "shipping", "gm_y": "approvals"}[who]:
            reverse({"finance": "orders:payments", "warehouse": "orders:shipping", "gm_y": "orders:approvals"}[who]),
    }
    for what, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, what
        html = response.content.decode()
        assert SECRET_NAME not in html, what
    for key in ("pending", "paid", "to_ship"):
        assert world[key].number in client.get(reverse("orders:list")).content.decode()
    queue = client.get(pages[{"finance": "payments", "warehouse": "shipping", "gm_y": "approvals"}[who]]).content.decode()
    _assert_masked(queue, secret)
    before = _reads(user, secret)
    detail = client.get(reverse("orders:detail", args=[world["to_ship"].pk]))
    html = detail.content.decode()
    assert detail.status_code == 200
    _assert_masked(html, secret)
    assert f'href="{reverse("customers:detail", args=[secret.pk])}"' not in html  # no link to a page that would not open
    assert _reads(user, secret) == before + 1
    if who == "warehouse":  # ships it: the address as typed; not the money, nor the customer's statement
        assert "上海市浦东新区1号" in html and 'data-testid="order-total"' not in html and "30.00" not in html
        assert client.get(reverse("orders:statement", args=[secret.pk])).status_code == 404
        assert client.get(reverse("orders:statement", args=[secret.pk]) + "?format=xlsx").status_code == 404
        return
    assert "上海市浦东新区1号" not in html and "上海市浦东新****" in html  # masked like a home address
    assert 'data-testid="order-total"' in html
    statement = client.get(reverse("orders:statement", args=[secret.pk]))
    assert statement.status_code == 200 and world["paid"].number in statement.content.decode()
    _assert_masked(statement.content.decode(), secret)
    xlsx = client.get(reverse("orders:statement", args=[secret.pk]) + "?format=xlsx")
    assert xlsx.status_code == 200
    assert SECRET_NAME.encode() not in xlsx.content and SECRET_NAME not in _xlsx_text(xlsx.content)
    assert world["paid"].number in _xlsx_text(xlsx.content)
    assert _reads(user, secret) == before + 2  # the order and the statement page; the .xlsx is an export:
    assert AuditEntry.objects.filter(actor=user, action="export", detail__what="statement").count() == 1


def test_the_inbox_names_a_secret_customer_by_its_code_for_finance(client, secret_world):
    from crm import registry

    items = registry.inbox_for(secret_world["finance"])
    payment = [i for i in items if i.kind == "payment"]
    assert payment and all(SECRET_NAME not in i.title and secret_world["secret"].customer_code in i.title for i in payment)
    owner_view = client
    owner_view.force_login(secret_world["rep"])
    assert SECRET_NAME in owner_view.get(reverse("orders:detail", args=[secret_world["pending"].pk])).content.decode()


def test_payments_queue_masks_the_payer_typed_as_the_customers_name(client, secret_world):
    client.force_login(secret_world["finance"])
    html = client.get(reverse("orders:payments")).content.decode()
    assert secret_world["pending"].number in html and SECRET_NAME not in html


def test_a_unit_customer_is_named_to_the_queue_workers_of_its_unit(client, secret_world):
    """The reach masks what the policy hides, not the work: finance placed in X names X's internal customers."""
    world = secret_world
    internal = CustomerFactory(unit=world["secret"].unit, created_by=world["rep"], name="普通客户乙")
    order = place_order(world["rep"], internal, (ProductFactory(), "1", "5"))
    client.force_login(world["finance"])
    assert "普通客户乙" in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert _reads(world["finance"], internal) == 0  # an internal record read by name: not a confidential read
    client.force_login(world["gm_y"])  # a general manager of the sibling unit: masked
    assert "普通客户乙" not in client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert _reads(world["gm_y"], internal) == 1


def test_a_rep_still_sees_only_the_orders_of_customers_it_may_see(client, secret_world):
    world = secret_world
    colleague = UserFactory(roles=[r.SALES_REP], units=[world["secret"].unit])
    client.force_login(colleague)
    listing = client.get(reverse("orders:list")).content.decode()
    assert world["paid"].number not in listing and SECRET_NAME not in listing
    assert client.get(reverse("orders:detail", args=[world["paid"].pk])).status_code == 404
    assert client.get(reverse("orders:statement", args=[world["secret"].pk])).status_code == 404
def test_the_order_list_searches_by_customer_counts_and_offers_new_order_through_a_customer_picker(client, world):
    """A sales office looks an order up by its customer, not only by number; 新建订单 starts on the list."""
    rep_b, theirs, order_b = world["rep_b"], world["theirs"], world["order_b"]
    type(theirs).objects.filter(pk=theirs.pk).update(name="联华便利店漕溪店")
    other = place_order(rep_b, CustomerFactory(unit=theirs.unit, created_by=rep_b, name="好德食杂店"),
                        (world["product"], "1", "10"))
    client.force_login(rep_b)
    page = client.get(reverse("orders:list"), {"q": "漕溪"}).content.decode()
    assert order_b.number in page and other.number not in page and 'data-testid="new-order"' in page
    assert "共 1 条" in page and "已筛选" in page
    assert other.number in client.get(reverse("orders:list"), {"q": other.number}).content.decode()
    picker = client.get(reverse("orders:new"), {"q": "漕溪"}).content.decode()
    assert f'href="{reverse("orders:new")}?customer={theirs.pk}"' in picker
    client.force_login(world["rep_a"])  # another unit's rep: the picker offers only customers it may see
    assert f"?customer={theirs.pk}" not in client.get(reverse("orders:new"), {"q": "漕溪"}).content.decode()
    assert order_b.number not in client.get(reverse("orders:list"), {"q": "漕溪"}).content.decode()
    client.force_login(finance_user())  # processes orders, enters none: no button, no picker
    assert 'data-testid="new-order"' not in client.get(reverse("orders:list")).content.decode()
    assert client.get(reverse("orders:new")).status_code == 403


def test_the_order_history_names_people_family_name_first(client, world):
    """The history read `已提交 · 小明 王` (Django's given-name-first full name)."""
    rep_b = world["rep_b"]
    rep_b.last_name, rep_b.first_name = "王", "小明"
    rep_b.save()
    client.force_login(rep_b)
    events = client.get(reverse("orders:detail", args=[world["order_b"].pk])).content.decode().split("order-events")[1]
    assert "· 王小明" in events and "小明 王" not in events
def queue_rows(customer, rep, n: int, start: int) -> None:
    """n orders in every queue (and in transit), each with a pending payment for one."""
    finance = finance_user()
    today = timezone.localdate()
    for i in range(start, start + n):
        for status, extra in (("paid", {"booked_on": today}), ("credit", {"booked_on": today}),
                              ("approved", {"ship_due_on": today}), ("shipped", {"shipped_on": today})):
            order = Order.objects.create(number=f"Q{status}{i}", customer=customer, created_by=rep,
                                         delivery_address="上海", status=status, total=Decimal("10"), **extra)
        Payment.objects.create(customer=customer, method="wire", amount=Decimal("10"), received_on=today,
                               created_by=finance, for_order=order)


@pytest.mark.parametrize("who, name", [("finance", "orders:payments"), ("gm", "orders:approvals"),
                                       ("warehouse", "orders:shipping"), ("rep_b", "orders:list"),
                                       ("finance", "orders:list")])
def test_list_and_queue_pages_take_the_same_queries_for_one_row_or_many(client, world, who, name):
    """Only the shown columns are loaded, and none is fetched again row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = {"finance": finance_user, "gm": gm_user, "warehouse": warehouse_user}.get(who, lambda: world[who])()
    client.force_login(user)
    theirs, rep_b = world["theirs"], world["rep_b"]
    queue_rows(theirs, rep_b, 1, 0)
    client.get(reverse(name))
    with CaptureQueriesContext(connection) as one:
        first = client.get(reverse(name))
    queue_rows(theirs, rep_b, 6, 1)
    with CaptureQueriesContext(connection) as many:
        more = client.get(reverse(name))
    assert first.status_code == more.status_code == 200
    assert len(many) == len(one), [q["sql"][:120] for q in many.captured_queries]
    body = more.content.decode()
    from customers.policy import queue_view

    assert queue_view(user, [theirs]).name(theirs) in body  # the name, or its masked label for a queue worker
    if name != "orders:payments":
        assert "Qpaid6" in body or "Qapproved6" in body or "Qshipped6" in body


def test_the_order_list_counts_up_to_a_cap_and_says_more_beyond_it(client, world, monkeypatch):
    """A rep's orders over years: the page never pays for a full COUNT; past the cap it says "more than"."""
    from customers.selectors import capped_count

    from orders import views

    rep_b, theirs = world["rep_b"], world["theirs"]
    for _ in range(2):
        place_order(rep_b, theirs, (world["product"], "1", "10"))
    client.force_login(rep_b)
    assert "共 3 条" in client.get(reverse("orders:list")).content.decode()
    monkeypatch.setattr(views, "capped_count", lambda qs: capped_count(qs, cap=2))
    page = client.get(reverse("orders:list")).content.decode()
    assert "超过 2 条记录" in page and "共 3 条" not in page
