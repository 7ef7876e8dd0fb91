"""Every dealer URL × every role × (own, same-unit, other-unit, secret dealer); masking on the card, its
export, print and history; the card form's rules."""
import re
from datetime import date
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from confidentiality.tests.test_permission_matrix import edits, sees, url_names
from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory, UserFactory
from customers.tests.test_resources import grant
from dealers.models import CreditProposal, Dealer, HqShareCheck
from orders.tests.factories import ProductFactory

from .factories import DealerFactory

pytestmark = pytest.mark.django_db

ROLES = [*r.ROLES, None]
KINDS = ("own", "same_unit", "other_unit", "secret")
DEALER_ROLES = {r.SALES_MANAGER, r.MARKETING_HEAD, r.FINANCE, r.GENERAL_MANAGER, r.SALES_SUPERVISOR, r.SALES_REP}
def record_page(rule):
    def expected(role, kind):
        if role not in DEALER_ROLES:
            return 403
        if not sees(role, kind):
            return 404  # an invisible dealer does not exist for this user
        return 200 if rule(role, kind) else 403
    return expected


RECORD_PAGES = {
    "dealers:detail": record_page(sees),
    "dealers:print": record_page(sees),
    "dealers:edit": record_page(edits),
    "dealers:plan": record_page(edits),
}
ROLE_PAGES = {
    "dealers:list": DEALER_ROLES,
    "dealers:progress": DEALER_ROLES,
    "dealers:export": {r.MARKETING_HEAD},
    "dealers:progress_export": {r.MARKETING_HEAD},
    "dealers:credit": {r.SALES_MANAGER, r.MARKETING_HEAD, r.FINANCE},
}
POSTS = {"dealers:create", "dealers:import", "dealers:franchise", "dealers:credit_run", "dealers:credit_decide", "dealers:shortfall_decide"}


def test_every_dealer_url_is_in_this_matrix():
    names = {n for n in url_names() if n.startswith("dealers:")}
    assert names == set(RECORD_PAGES) | set(ROLE_PAGES) | POSTS


@pytest.fixture
def world():
    hq = OrgUnitFactory(code="HQ")
    sh, bj = OrgUnitFactory(code="SH", parent=hq), OrgUnitFactory(code="BJ", parent=hq)
    colleague = UserFactory(roles=[r.SALES_REP], units=[sh])
    stranger = UserFactory(roles=[r.SALES_REP], units=[bj])
    active = Dealer.Status.ACTIVE
    return {
        "sh": sh,
        "same_unit": DealerFactory(customer__unit=sh, customer__created_by=colleague, franchise_status=active),
        "other_unit": DealerFactory(customer__unit=bj, customer__created_by=stranger, franchise_status=active),
        "secret": DealerFactory(customer__unit=sh, customer__created_by=colleague, customer__tier="A",
                                customer__confidentiality_level="secret", franchise_status=active),
    }


def actor(world, role):
    user = UserFactory(roles=[role] if role else [], units=[world["sh"]])
    own = DealerFactory(customer__unit=world["sh"], customer__created_by=user, franchise_status=Dealer.Status.ACTIVE)
    client = Client()
    client.force_login(user)
    return user, client, {"own": own, **{k: world[k] for k in KINDS[1:]}}


def test_record_pages_answer_each_role_as_the_matrix_says(world):
    wrong = []
    for role in ROLES:
        _user, client, records = actor(world, role)
        for name, expected in RECORD_PAGES.items():
            for kind in KINDS:
                status = client.get(reverse(name, args=[records[kind].pk])).status_code
                if status != expected(role, kind):
                    wrong.append((name, role, kind, status, expected(role, kind)))
    assert not wrong, wrong


def test_role_pages_answer_each_role_as_the_matrix_says(world):
    wrong = []
    for role in ROLES:
        _user, client, _records = actor(world, role)
        for name, roles in ROLE_PAGES.items():
            status = client.get(reverse(name)).status_code
            want = 200 if role in roles else 403
            if status != want:
                wrong.append((name, role, status, want))
    assert not wrong, wrong


def test_franchise_posts_are_404_for_invisible_dealers_and_403_for_others(world):
    wrong = []
    for role in ROLES:
        _user, client, records = actor(world, role)
        for kind in KINDS:
            status = client.post(reverse("dealers:franchise", args=[records[kind].pk, "advise"]),
                                 {"text": "整改", "deadline": "2099-01-01"}).status_code
            if role not in DEALER_ROLES:
                want = 403
            elif not sees(role, kind):
                want = 404
            else:
                want = 302 if role in (r.SALES_MANAGER, r.MARKETING_HEAD) else 403
            if status != want:
                wrong.append((role, kind, status, want))
    assert not wrong, wrong


def test_anonymous_users_are_sent_to_sign_in(client):
    for name in ROLE_PAGES:
        assert client.get(reverse(name)).status_code == 302


def test_open_card_only_for_a_visible_customer(world, make_user):
    from customers.tests.factories import CustomerFactory

    manager = make_user(r.SALES_REP, units=[world["sh"]])
    client = Client()
    client.force_login(manager)
    hidden = CustomerFactory(unit=world["other_unit"].customer.unit, customer_code="BJ-777")
    response = client.post(reverse("dealers:create"), {"customer_code": "BJ-777"}, follow=True)
    assert "No customer you can see has this code" in response.content.decode() or "没有" in response.content.decode()
    assert not Dealer.objects.filter(pk=hidden.pk).exists()
    mine = CustomerFactory(created_by=manager, customer_code="SH-555")
    response = client.post(reverse("dealers:create"), {"customer_code": "sh-555"})
    assert response.status_code == 302 and Dealer.objects.filter(pk=mine.pk).exists()


def test_credit_decide_and_shortfalls_hide_what_is_not_yours(world, make_user):
    proposal = CreditProposal.objects.create(dealer=world["other_unit"], grade="B", score=75, credit_limit=1, credit_days=30)
    check = HqShareCheck.objects.create(dealer=world["secret"], month=date(2026, 1, 1), hq_amount=1, total_amount=10,
                                        share=10, minimum=70, outcome="short")
    manager = make_user(r.SALES_MANAGER, units=[world["sh"]])
    client = Client()
    client.force_login(manager)
    assert client.post(reverse("dealers:credit_decide", args=[proposal.pk, "approve"])).status_code == 404
    assert client.post(reverse("dealers:shortfall_decide", args=[check.pk, "dismiss"])).status_code == 404
    finance = make_user(r.FINANCE)
    client.force_login(finance)
    assert client.post(reverse("dealers:credit_decide", args=[proposal.pk, "approve"])).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "finance_ok"
    assert client.post(reverse("dealers:credit_decide", args=[proposal.pk, "approve"])).status_code == 404  # not finance's turn


def test_finance_works_a_secret_dealers_credit_proposal_by_its_masked_code(world, make_user):
    """Finance approves every dealer's grade (seed 003) and so reads the figures, but the policy does not show it a
    secret dealer: the queue and the inbox name it by its code, never by its name; the marketing head names it."""
    from crm import registry

    secret = world["secret"]
    proposal = CreditProposal.objects.create(dealer=secret, grade="B", score=75, credit_limit=123456, credit_days=30)
    finance = make_user(r.FINANCE, units=[world["sh"]])
    client = Client()
    client.force_login(finance)
    page = client.get(reverse("dealers:credit")).content.decode()
    assert "123456" in page and secret.customer.customer_code in page and secret.customer.name not in page
    titles = [i.title for i in registry.inbox_for(finance) if i.kind == "credit_grade"]
    assert titles and all(secret.customer.name not in t and secret.customer.customer_code in t for t in titles)
    assert client.post(reverse("dealers:credit_decide", args=[proposal.pk, "approve"])).status_code == 302
    marketing = make_user(r.MARKETING_HEAD, units=[world["sh"]])
    client.force_login(marketing)
    assert secret.customer.name in client.get(reverse("dealers:credit")).content.decode()


# --- masking -------------------------------------------------------------------------------------------

@pytest.fixture
def card(world):
    dealer = world["same_unit"]
    Dealer.objects.filter(pk=dealer.pk).update(
        operator_phone="13712345678", actual_controller="王大力", bank_relations="工商银行黄浦支行",
        past_bankruptcy=True, operator_address="上海市黄浦区南京东路100号")
    return Dealer.objects.get(pk=dealer.pk)


def _page(client, name, dealer):
    return client.get(reverse(name, args=[dealer.pk])).content.decode()


def test_card_and_print_mask_for_a_manager_and_show_the_owner(card, make_user, world):
    manager = make_user(r.SALES_MANAGER, units=[world["sh"]])
    client = Client()
    client.force_login(manager)
    for name in ("dealers:detail", "dealers:print"):
        page = _page(client, name, card)
        assert "13712345678" not in page and "137****5678" in page
        assert "王大力" not in page and "工商银行黄浦支行" not in page and "南京东路100号" not in page
    assert AuditEntry.objects.filter(action="print", actor=manager).exists()
    owner = card.customer.account_manager
    client.force_login(owner)
    page = _page(client, "dealers:detail", card)
    assert "13712345678" in page and "王大力" in page and "工商银行黄浦支行" in page
    # past business failure is secret: even the owner needs a grant naming it
    assert re.search(r'曾倒闭否</th><td[^>]*data-masked="1">\*\*\*\*<', page)


def test_a_grant_unmasks_the_fields_it_names(card, make_user, world):
    manager = make_user(r.SALES_MANAGER, units=[world["sh"]])
    grant(manager, card.customer, ["mobile", "past_bankruptcy"])
    client = Client()
    client.force_login(manager)
    page = _page(client, "dealers:detail", card)
    assert "13712345678" in page and "王大力" not in page
    assert re.search(r'曾倒闭否</th><td>是<', page)


def test_the_edit_form_leaves_out_fields_the_user_may_not_see(card, make_user, world):
    manager = make_user(r.SALES_MANAGER, units=[world["sh"]])
    client = Client()
    client.force_login(manager)
    page = _page(client, "dealers:edit", card)
    assert 'name="operator_phone"' not in page and "13712345678" not in page
    assert 'name="operator_name"' in page
    response = client.post(reverse("dealers:edit", args=[card.pk]), {
        "operator_name": "新经营者", "organisation": "sole", "premises": "owned", "operator_phone": "13900000000"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.operator_name == "新经营者" and card.operator_phone == "13712345678"  # not the user's to change


def test_history_masks_sensitive_values(card, make_user, world):
    from dealers import services

    owner = card.customer.account_manager
    services.save_card(actor=owner, dealer_id=card.pk, values={"operator_phone": "13700000001"})
    manager = make_user(r.SALES_MANAGER, units=[world["sh"]])
    client = Client()
    client.force_login(manager)
    page = _page(client, "dealers:detail", card)
    assert "13700000001" not in page and "137****0001" in page


def test_export_masks_and_is_audited(card, make_user, world):
    head = make_user(r.MARKETING_HEAD, units=[world["sh"]])
    client = Client()
    client.force_login(head)
    response = client.get(reverse("dealers:export"))
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[1]
    assert headers[:3] == ("客户代码", "名称", "加盟状态") and "电话" in headers and "实权者" in headers
    flat = [str(v) for row in rows[2:] for v in row if v is not None]
    assert "13712345678" not in flat and "王大力" not in flat and "137****5678" in flat
    assert head.get_username() in str(rows[0][0])  # watermark
    assert AuditEntry.objects.filter(action="export", actor=head).exists()


# --- the card form -----------------------------------------------------------------------------------

def _form_data(**extra):
    return {"operator_name": "李四", "operator_phone": "13700001111", "organisation": "sole", "premises": "owned", **extra}


def test_channel_shares_must_sum_to_100(card):
    client = Client()
    client.force_login(card.customer.account_manager)
    url = reverse("dealers:edit", args=[card.pk])
    shares = {"channel_retail_store": "50", "channel_institutions": "20", "channel_wholesale": "20", "channel_other": "0"}
    response = client.post(url, _form_data(**shares))
    assert response.status_code == 200
    assert "90%" in response.content.decode() and "100%" in response.content.decode()
    response = client.post(url, _form_data(**{**shares, "channel_other": "10"}))
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.sales_channels == {"retail_store": 50.0, "institutions": 20.0, "wholesale": 20.0, "other": 10.0}


def test_rent_is_required_when_rented_and_brands_parse(card):
    client = Client()
    client.force_login(card.customer.account_manager)
    url = reverse("dealers:edit", args=[card.pk])
    response = client.post(url, _form_data(premises="rented"))
    assert response.status_code == 200 and 'data-error-for="monthly_rent"' in response.content.decode()
    response = client.post(url, _form_data(premises="rented", monthly_rent="8000", supply_brands_text="海尔 40\n美的：30%"))
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.supply_brands == [{"brand": "海尔", "percent": 40.0}, {"brand": "美的", "percent": 30.0}]
    response = client.post(url, _form_data(supply_brands_text="海尔 80\n美的 30"))
    assert response.status_code == 200


# --- plans and the progress table ----------------------------------------------------------------------

def test_plan_then_progress_table_and_export(card, make_user, world):
    from orders.models import Order

    p1 = ProductFactory()
    owner = card.customer.account_manager
    client = Client()
    client.force_login(owner)
    month = timezone.localdate().replace(day=1)
    response = client.post(reverse("dealers:plan", args=[card.pk]), {"month": f"{month:%Y-%m}", f"q_{p1.pk}": "200"})
    assert response.status_code == 302
    assert card.plans.get(month=month).lines.get().quantity == 200
    order = Order.objects.create(number="PX1", customer=card.customer, created_by=owner, delivery_address="a",
                                 status="approved", booked_on=month, total=5000)
    order.lines.create(product=p1, quantity=50, unit_price=100, amount=5000)
    head = make_user(r.MARKETING_HEAD, units=[world["sh"]])
    client.force_login(head)
    page = client.get(reverse("dealers:progress"), {"month": f"{month:%Y-%m}"}).content.decode()
    assert card.customer.name in page and "25.0%" in page and "progress-data" in page
    response = client.get(reverse("dealers:progress_export"), {"month": f"{month:%Y-%m}"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1] == ("区域", "等级", "客户", "上月实绩", "本月计划", "本月实绩", "完成率（%）")
    assert any(row[2] == card.customer.name and row[6] == 25 for row in rows[2:])
    bad = client.get(reverse("dealers:progress"), {"month": "2026-13", "region": "x"})
    assert bad.status_code == 200


def test_progress_table_leaves_out_dealers_the_user_may_not_see(card, world, make_user):
    supervisor = make_user(r.SALES_SUPERVISOR, units=[world["sh"]])
    client = Client()
    client.force_login(supervisor)
    page = client.get(reverse("dealers:progress")).content.decode()
    assert card.customer.name in page
    assert world["other_unit"].customer.name not in page and world["secret"].customer.name not in page


def test_dealer_import_upload_goes_to_the_import_pages(make_user, unit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports.models import ImportJob

    client = Client()
    client.force_login(make_user(r.SALES_REP, units=[unit]))
    assert client.post(reverse("dealers:import")).status_code == 403  # reps do not import
    client.force_login(make_user(r.SALES_MANAGER, units=[unit]))
    upload = SimpleUploadedFile("dealers.csv", "客户代码,经营者姓名\nGD-1,张三\n".encode("gbk"))
    response = client.post(reverse("dealers:import"), {"file": upload})
    job = ImportJob.objects.get()
    assert job.resource == "dealers" and response["Location"] == reverse("imports:detail", args=[job.pk])
    assert client.get(response["Location"]).status_code == 200
    fake = SimpleUploadedFile("dealers.csv", b"%PDF-1.4 not a sheet")
    response = client.post(reverse("dealers:import"), {"file": fake}, follow=True)
    assert ImportJob.objects.count() == 1 and response.status_code == 200


def test_the_history_names_events_and_people_in_chinese(world, make_user):
    """The card's history showed `card_opened · rep`: an event code and a login."""
    from customers.tests.factories import CustomerFactory

    rep = make_user(r.SALES_REP, units=[world["sh"]], username="rep_history", last_name="王", first_name="五")
    mine = CustomerFactory(unit=world["sh"], created_by=rep, customer_code="SH-556")
    client = Client()
    client.force_login(rep)
    assert client.post(reverse("dealers:create"), {"customer_code": "SH-556"}).status_code == 302
    page = client.get(reverse("dealers:detail", args=[mine.pk])).content.decode()
    history = page.split("加盟记录")[-1]
    assert "建立经销商档案 · 王五" in history and "card_opened" not in page and "rep_history" not in page
