"""Hostile query strings and form posts on every page: a bad parameter is a message or a 400, never a 500.

The pages come from the URL conf (a new URL without an entry here fails the test); the parameters of
each page are the ones its view reads (listed below) plus every field its rendered forms carry."""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from crm import roles as r
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

APPS = ("customers", "service", "confidentiality", "imports", "orders", "dealers", None)  # None: the crm app's own root URLs
HOSTILE = [
    "99999999999999999999", "-99999999999999999999", "-1", "0", "1e3", "abc", "2026-02-30", "2026-13-01",
    "x" * 3000, "客户😀", "\x00", "a\x00b", "²", "١٢", " ", "[]", "{}",
]
EACH = ["99999999999999999999", "-1", "abc", "2026-02-30", "a\x00b", "²"]  # each key alone; all of HOSTILE at once
CUSTOMER_FILTERS = (
    "q", "state", "tier", "customer_status", "customer_source", "retail_format", "admin_region", "unit", "owner",
    "verification_overdue", "verification_due", "completeness_below", "sort",
)
# url name → (args from the world, the query keys the view reads, base queries each key is fuzzed on top of)
GET_PAGES = {
    "home": ((), (), [{}]),
    "password_change": ((), (), [{}]),
    "password_change_done": ((), (), [{}]),
    "customers:list": ((), (*CUSTOMER_FILTERS, "page"), [{}]),
    "customers:export": ((), CUSTOMER_FILTERS, [{}]),
    "customers:create": ((), (), [{}]),
    "customers:regions": ((), ("admin_region", "default_admin_region", "region"), [{}]),
    "customers:bulk_owners": ((), (), [{}]),
    "customers:bulk_detail": (("bulk",), (), [{}]),
    "customers:bulk_progress": (("bulk",), (), [{}]),
    "customers:id_check": ((), ("id_number",), [{}]),
    "customers:approvals": ((), (), [{}]),
    "customers:handover": ((), (), [{}]),
    "customers:handover_requests": ((), (), [{}]),
    "customers:level_requests": ((), (), [{}]),
    "customers:detail": (("customer",), (), [{}]),
    "customers:edit": (("customer",), (), [{}]),
    "confidentiality:requests": ((), ("q", "status", "form", "since", "until", "page"), [{}]),
    "confidentiality:request_customers": (("data_request",), ("q", "page"), [{}]),
    "confidentiality:request_new": ((), ("codes", "scope", "filter_query", "form"), [{}]),
    "confidentiality:request_detail": (("data_request",), (), [{}]),
    "confidentiality:queue": ((), (), [{}]),
    "confidentiality:audit": ((), ("q", "person", "customer", "action", "since", "until", "format", "page"),
                              [{}, {"format": "xlsx"}]),
    "confidentiality:leaks": ((), ("q", "status", "penalty", "page"), [{}]),
    "confidentiality:leak_detail": (("leak",), (), [{}]),
    "confidentiality:archive": ((), (), [{}]),
    "confidentiality:archive_report": ((), ("format",), [{}]),
    "service:inbox": ((), (), [{}]),
    "service:inbox_count": ((), (), [{}]),
    "service:visit_new": ((), ("customer", "next"), [{"customer": "{customer}"}]),
    "service:weekly": ((), ("week",), [{}]),
    "service:complaints": ((), ("q", "status", "category", "escalated", "since", "until", "page"), [{}]),
    "service:pick_customer": (("complaint",), ("q",), [{}]),
    "service:complaint_new": ((), ("customer",), [{"customer": "{customer}"}]),
    "service:complaint_detail": (("complaint",), (), [{}]),
    "service:recalls": ((), ("status",), [{}]),
    "service:recall_detail": (("recall",), (), [{}]),
    "service:targets": ((), (), [{}]),
    "service:pool": ((), ("q", "tier", "page"), [{}]),
    "service:inquiries": ((), ("period", "day", "format"), [{}, {"period": "week"}, {"period": "month", "format": "xlsx"}]),
    "service:opportunities": ((), ("customer", "q", "stage", "result", "mine", "due_before", "view", "page"),
                              [{}, {"view": "board"}]),
    "imports:list": ((), ("page",), [{}]),
    "imports:detail": (("job",), ("status", "page"), [{}]),
    "imports:progress": (("job",), (), [{}]),
    "imports:report": (("job",), (), [{}]),
    "orders:list": ((), ("status", "q", "page"), [{}]),
    "orders:new": ((), ("customer",), [{"customer": "{customer}"}]),
    "orders:products": ((), ("q",), [{}]),
    "orders:product_import": ((), (), [{}]),
    "orders:payments": ((), ("page",), [{}]),
    "orders:approvals": ((), ("page",), [{}]),
    "orders:shipping": ((), ("page",), [{}]),
    "orders:account_periods": ((), ("page",), [{}]),
    "orders:statement": (("customer",), ("month", "format"), [{}, {"format": "xlsx"}]),
    "orders:account_period_new": (("customer",), (), [{}]),
    "orders:detail": (("order",), (), [{}]),
    "dealers:list": ((), ("q", "status", "page"), [{}]),
    "dealers:export": ((), ("q", "status"), [{}]),
    "dealers:progress": ((), ("month", "region", "tier"), [{}]),
    "dealers:progress_export": ((), ("month", "region", "tier"), [{}]),
    "dealers:credit": ((), (), [{}]),
    "dealers:detail": (("dealer",), (), [{}]),
    "dealers:print": (("dealer",), (), [{}]),
    "dealers:edit": (("dealer",), (), [{}]),
    "dealers:plan": (("dealer",), ("month",), [{}]),
}
# url name → (args, the POST keys the view reads, base data each key is fuzzed on top of)
POSTS = {
    "customers:create": ((), (), {}),
    "customers:edit": (("customer",), (), {}),
    "customers:save_filter": ((), ("name", "query"), {"name": "f"}),
    "customers:bulk": ((), ("action", "scope", "ids", "query", "field", "value", "region", "owner", "comment"),
                       {"action": "set_field", "scope": "filtered", "field": "tier", "value": "B", "comment": "x"}),
    "customers:unmask": (("customer",), ("field", "reason"), {"field": "mobile", "reason": "x"}),
    "customers:handover": ((), ("from_user", "to_users", "customers", "deactivate", "reason"), {}),
    "customers:handover_request_decide": (("handover_request",), ("decision", "comment"), {}),
    "customers:level_request_decide": (("level_request",), ("decision", "comment"), {}),
    "customers:action": [
        (("customer", action), ("comment", "acknowledge", "reason", "tier", "status", "channel", "result",
                                "static_reviewed", "note", "next"), {"reason": "x"})
        for action in ("submit", "first_review", "approve", "reject", "tier", "status", "verify")
    ],
    "confidentiality:request_new": ((), ("purpose", "data_unit", "scope", "customer_codes", "filter_query", "fields",
                                         "form", "days", "copies"), {"purpose": "x", "scope": "unit", "form": "view"}),
    "confidentiality:request_action": [
        (("data_request", action), ("comment", "reason", "next"), {}) for action in ("approve", "reject", "fulfil")
    ],
    "confidentiality:request_print": (("print_request",), ("copies",), {}),
    "confidentiality:printout_check_in": (("printout",), ("returned_copies",), {}),
    "confidentiality:leaks": ((), ("customer_codes", "description"), {"description": "x"}),
    "confidentiality:leak_detail": (("leak",), ("remediation", "penalty", "deduction"), {"remediation": "x"}),
    "confidentiality:archive": ((), ("customer_code", "kind", "purpose"), {"customer_code": "{code}", "purpose": "x"}),
    "confidentiality:archive_action": [
        (("loan", action), ("reason", "complete", "note"), {}) for action in ("approve", "reject", "lend", "return")
    ],
    "service:visit_new": ((), ("customer", "next", "visited_on", "channel", "participants", "content", "feedback",
                               "next_plan", "next_on"), {"customer": "{customer}", "content": "x"}),
    "service:complaint_new": ((), ("customer", "category", "channel", "description", "order_number", "product", "quantity",
                                   "delivered_on", "defect_count", "batch_number", "production_date",
                                   "responsible_department", "shift", "sample_kept"),
                              {"customer": "{customer}", "description": "x"}),
    "service:recall_detail": [
        (("recall",), ("action", "comment"), {"action": "close"}),
        (("recall",), ("product", "batch_number", "production_date", "quantity", "distribution", "notified",
                       "responsible_department", "shift"), {"product": "x"}),
    ],
    "service:complaint_detail": (("complaint",), ("action", "resolution"), {"action": "resolve"}),
    "service:pool": ((), ("customer",), {}),
    "service:inquiries": ((), ("how", "name", "companions", "product", "source", "summary", "trial"),
                          {"name": "x", "summary": "x"}),
    "service:opportunity_move": (("opportunity",), ("stage", "next"), {"stage": "qualified"}),
    "service:opportunities": ((), ("customer", "title", "content", "deadline", "amount"),
                              {"customer": "{customer}", "title": "x", "content": "x"}),
    "service:opportunity_action": (("opportunity",), ("action", "note", "result", "reason"), {"action": "close"}),
    "service:care_opt_out": (("customer",), ("opt_out",), {}),
    "service:task_action": [
        ((task, verb), ("reason", "new_date", "comment"), {})
        for task, verb in (("tier_task", "dismiss"), ("licence_task", "renew"), ("allocation_task", "confirm"))
    ],
    "imports:sheet": (("job",), ("sheet",), {}),
    "imports:preview": (("job",), ("again", "col_0", "col_1", "mode", "unit", "owner", "save_as",
                                     "default_admin_region", "default_tier"), {"mode": "draft"}),
    "imports:values": (("job",), ("save_as", "value_0"), {}),
    "imports:commit": (("job",), (), {}),
    "imports:cancel": (("job",), (), {}),
    "orders:new": ((), ("customer", "lines-TOTAL_FORMS", "lines-INITIAL_FORMS", "lines-0-product", "lines-0-quantity",
                        "lines-0-unit_price", "payment_mode", "delivery_address", "transport", "destination_station",
                        "remittance", "notes", "submit"), {"customer": "{customer}", "lines-TOTAL_FORMS": "1"}),
    "orders:payments": ((), ("customer_code", "method", "amount", "discount_interest", "received_on", "reference",
                             "payer"), {"customer_code": "{code}"}),
    "orders:payment_action": [(("payment", action), ("orders", "reason"), {}) for action in ("confirm", "reject")],
    "orders:product_import": ((), (), {}),
    "orders:account_period_new": (("customer",), ("limit", "period_days", "investigation"), {}),
    "orders:account_period_decide": (("application",), ("decision", "comment"), {}),
    "orders:action": [
        (("order", action), ("comment", "reason", "carrier", "waybill", "shipped_on", "delivered_on", "line",
                             "quantity", "hq_at_fault", "on", "kind", "description", "back"), {"reason": "x"})
        for action in ("submit", "approve", "ship", "deliver", "cancel", "return", "claim")
    ],
}
POSTS.update({
    "dealers:create": ((), ("customer_code",), {"customer_code": "{code}"}),
    "dealers:import": ((), (), {}),
    "dealers:edit": (("dealer",), ("operator_name", "operator_phone", "organisation", "premises", "monthly_rent",
                                   "channel_retail_store", "channel_other", "supply_brands_text", "operator_birth_year"),
                     {"operator_name": "x", "operator_phone": "13700000000", "organisation": "sole", "premises": "owned"}),
    "dealers:plan": (("dealer",), ("month",), {"month": "2026-05"}),
    "dealers:franchise": [
        (("dealer", action), ("comment", "text", "deadline", "reason", "notice_on", "leaves_on"), {})
        for action in ("admit", "advise", "clear", "terminate", "expel", "withdraw")
    ],
    "dealers:credit_run": ((), (), {}),
    "dealers:credit_decide": [(("credit_proposal", decision), ("comment",), {}) for decision in ("approve", "reject")],
    "dealers:shortfall_decide": [(("hq_check", decision), ("deadline",), {}) for decision in ("advise", "dismiss")],
})
SKIPPED = {"healthz", "login", "logout", "set_language", "customers:file", "confidentiality:request_export",
           "orders:claim_evidence"}  # read no input


def url_names(patterns=None, namespace=None):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from url_names(p.url_patterns, p.namespace or namespace)
        elif p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


def test_every_page_of_every_app_is_fuzzed():
    names = {n for n in url_names() if (n.split(":")[0] if ":" in n else None) in APPS}
    missing = names - set(GET_PAGES) - set(POSTS) - SKIPPED
    assert not missing, f"add these pages to the fuzz: {missing}"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def world(media):
    from confidentiality import archive as lending
    from confidentiality import services as dr
    from confidentiality.models import DataRequest, Printout
    from imports import services as imports
    from imports.tests.test_views import xlsx
    from service import records
    from service import services as svc
    from customers.models import BulkAction, HandoverRequest, LevelChangeRequest

    hq = OrgUnitFactory(code="HQ")
    sh = OrgUnitFactory(code="SH", parent=hq)
    rep = UserFactory(roles=[r.SALES_REP], units=[sh])
    head = UserFactory(roles=[r.MARKETING_HEAD, r.GENERAL_MANAGER, r.ARCHIVIST, r.ADMIN], units=[hq], is_staff=True)
    root = UserFactory(is_superuser=True, is_staff=True, units=[hq])
    customer = CustomerFactory(unit=sh, created_by=rep, tier="C")
    draft = CustomerFactory(unit=sh, created_by=rep, registration_status="draft", customer_code="")
    complaint = svc.register_complaint(actor=rep, customer=customer, category="service", description="x")
    recall = svc.register_complaint(
        actor=rep, customer=customer, category="quality", channel="phone", description="x", order_number="1", product="p",
        quantity=1, delivered_on=timezone.localdate(), defect_count=1, batch_number="b", sample_kept=False,
    ).recall
    opportunity = records.open_opportunity(actor=rep, customer=customer, title="t", content="c",
                                           deadline=timezone.localdate() + timedelta(days=30))
    data_request = dr.submit_data_request(requester=rep, purpose="p", scope="customers", data_unit=sh,
                                          customers=[customer], form=DataRequest.Form.VIEW, days=3)
    leak = dr.report_leak(reporter=rep, description="d", customers=[customer])
    loan = lending.request_loan(borrower=rep, customer=customer, kind="copy", purpose="p")
    job = imports.create_import(actor=head, upload=xlsx())
    manager = UserFactory(roles=[r.SALES_MANAGER], units=[sh])
    handover_request = HandoverRequest.objects.create(requester=manager, from_user=rep, customer_ids=[customer.pk])
    bulk = BulkAction.objects.create(actor=root, action="submit", customer_ids=[draft.pk], total=1)
    level_request = LevelChangeRequest.objects.create(customer=customer, old_level="secret", new_level="internal",
                                                      requester=rep)
    from orders.models import AccountPeriodApplication
    from orders.tests.factories import ProductFactory, place_order

    order = place_order(rep, customer, (ProductFactory(), "1", "10"), remittance="10")
    payment = order.customer.payments.get()
    application = AccountPeriodApplication.objects.create(customer=customer, limit=1, period_days=30,
                                                          investigation="x", applicant=rep)
    from dealers.models import CreditProposal, HqShareCheck
    from dealers.tests.factories import DealerFactory

    dealer = DealerFactory(customer=customer, franchise_status="active")
    credit_proposal = CreditProposal.objects.create(dealer=dealer, grade="B", score=70, credit_limit=1, credit_days=30)
    hq_check = HqShareCheck.objects.create(dealer=dealer, month=timezone.localdate().replace(day=1), hq_amount=1,
                                           total_amount=10, share=10, minimum=70, outcome="short")
    from service.models import FollowUpTask

    tasks = {f"{name}_task": FollowUpTask.objects.create(customer=customer, kind=kind, period="p", assignee=rep,
                                                          due_on=timezone.localdate())
             for name, kind in (("tier", "tier_review"), ("licence", "licence_expiry"),
                                ("allocation", "allocation_confirmation"))}
    return {
        **tasks,
        "dealer": dealer, "credit_proposal": credit_proposal, "hq_check": hq_check,
        "order": order, "payment": payment, "application": application,
        "handover_request": handover_request, "level_request": level_request, "bulk": bulk,
        "users": {"superuser": root, "marketing_head": head}, "customer": customer, "draft": draft,
        "complaint": complaint, "recall": recall, "opportunity": opportunity, "data_request": data_request, "leak": leak, "loan": loan,
        "job": job, "sh": sh, "Printout": Printout, "DataRequest": DataRequest,
    }


def _print_grant(world, user):
    """A fulfilled print request of `user`'s own, and a printout of it, for the print and check-in pages."""
    from confidentiality import services as dr
    from confidentiality.models import AccessGrant, DataRequest, Printout

    request = DataRequest.objects.create(
        requester=user, purpose="p", scope="customers", data_unit=world["sh"],
        form=DataRequest.Form.PRINT, days=3, copies=2, status=DataRequest.Status.FULFILLED,
    )
    request.customers.add(world["customer"])
    grant = AccessGrant.objects.create(request=request, user=user, fields=[], form=DataRequest.Form.PRINT,
                                       granted_by=user, expires_at=timezone.now() + timedelta(days=1))
    printout = Printout.objects.create(grant=grant, printed_by=user, copies=2, return_due=timezone.localdate())
    return request, printout


def _arg(world, key, user, extra):
    if key in extra:
        return extra[key].pk
    if key in world:
        return world[key].pk
    return key  # a literal, e.g. the action slug


def _fill(value, world):
    if isinstance(value, str):
        return value.replace("{customer}", str(world["customer"].pk)).replace("{code}", world["customer"].customer_code)
    return value


FORM = re.compile(rb"<form\b([^>]*)>(.*?)</form>", re.S)
FIELD = re.compile(rb'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')


def _discovered(client, url, method: str) -> set[str]:
    """The fields the page's own GET or POST forms carry: fuzzed even if nobody remembered to list them."""
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    found = set()
    for attrs, body in FORM.findall(response.content):
        posts = re.search(rb'method="post"', attrs, re.I) is not None
        if posts == (method == "post"):
            found |= {m.decode() for m in FIELD.findall(body)}
    return found - {"csrfmiddlewaretoken"}


def _attempts(keys, bases, discovered=()):
    """Each key the view reads with each hostile value on each base; then every key (and every field the
    page's forms carry) at once with each value; then repeats and arrays."""
    for base in bases:
        for key in keys:
            for value in EACH:
                yield {**base, key: value}
        every = sorted(set(keys) | set(discovered))
        for value in HOSTILE:
            yield {**base, **{key: value for key in every}}
        yield {**base, **{key: ["1", "abc", "99999999999999999999"] for key in every}}  # repeated
        yield {**base, **{f"{key}[]": "1" for key in every}, **{f"{key}[0]": "abc" for key in every}}  # PHP-style arrays


def _client(world, who):
    client = Client(raise_request_exception=False)
    client.force_login(world["users"][who])
    return client


def _check(client, method, url, data, failures):
    response = getattr(client, method)(url, data)
    if response.status_code >= 500:
        shown = {k: (v[:20] + "…" if isinstance(v, str) and len(v) > 20 else v) for k, v in data.items()}
        failures.add((method.upper(), url, repr(shown)))


@pytest.mark.parametrize("who", ["superuser", "marketing_head"])
@pytest.mark.parametrize("name", sorted(GET_PAGES))
def test_hostile_query_strings_never_give_a_500(world, who, name):
    args, keys, bases = GET_PAGES[name]
    user = world["users"][who]
    client = _client(world, who)
    url = reverse(name, args=[_arg(world, a, user, {}) for a in args])
    bases = [{k: _fill(v, world) for k, v in base.items()} for base in bases]
    discovered = _discovered(client, f"{url}?{'&'.join(f'{k}={v}' for k, v in bases[-1].items())}", "get")
    failures: set = set()
    for data in _attempts(keys, bases, discovered):
        _check(client, "get", url, data, failures)
    assert not failures, sorted(failures)[:20]


def _post_targets():
    for name, spec in sorted(POSTS.items()):
        for i, target in enumerate(spec if isinstance(spec, list) else [spec]):
            yield pytest.param(name, target, id=f"{name}-{target[0][-1] if target[0] else i}")


@pytest.mark.parametrize("who", ["superuser", "marketing_head"])
@pytest.mark.parametrize("name,target", list(_post_targets()))
def test_hostile_form_posts_never_give_a_500(world, who, name, target):
    args, keys, base = target
    user = world["users"][who]
    client = _client(world, who)
    extra = {}
    if "print_request" in args or "printout" in args:
        extra["print_request"], extra["printout"] = _print_grant(world, user)
    url = reverse(name, args=[_arg(world, a, user, extra) for a in args])
    base = {k: _fill(v, world) for k, v in base.items()}
    page = url if name not in ("service:visit_new", "service:complaint_new") else f"{url}?customer={base['customer']}"
    failures: set = set()
    for data in _attempts(keys, [base], _discovered(client, page, "post")):
        _check(client, "post", url, data, failures)
    assert not failures, sorted(failures)[:20]


def test_a_nul_byte_in_a_query_or_a_form_is_a_400_in_chinese(client, make_user):
    client.force_login(make_user(r.MARKETING_HEAD))
    response = client.get(reverse("customers:list"), {"q": "a\x00b"})
    assert response.status_code == 400 and "空字符" in response.content.decode()
    assert client.post(reverse("service:inquiries"), {"name": "a\x00b", "summary": "x"}).status_code == 400
    assert client.get(reverse("customers:list"), {"q": "ab"}).status_code == 200
