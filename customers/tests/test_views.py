import pytest
from django.urls import reverse

from crm import roles as r
from customers.models import Customer
from customers.tests.factories import VALID_ID, CustomerFactory, with_check_digit

pytestmark = pytest.mark.django_db


def form_data(unit, **overrides):
    data = {
        "unit": unit.pk, "profile_type": "none", "name": "李雷", "customer_nature": "individual",
        "customer_source": "walk_in", "address": "上海市徐汇区漕溪北路1号", "admin_region": "310104",
        "tier": "D", "contact_name": "李雷", "mobile": "１３９ 1234-5678", "gender": "female",
    }
    data.update(overrides)
    return data


@pytest.fixture
def rep(make_user, unit, client, password):
    user = make_user(r.SALES_REP, units=[unit])
    client.force_login(user)
    return user


def test_wrong_id_check_digit_is_reported_beside_the_field_in_chinese(client, rep, unit):
    response = client.post(reverse("customers:create"), form_data(unit, id_number="110105194912310021"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-error-for="id_number"' in page and "身份证号码校验位错误" in page
    assert not Customer.objects.exists()


@pytest.mark.parametrize("number, birth, gender", [
    ("31011519850101001", "1985-01-01", "male"),  # Pudong (1992) on the card of someone born in 1985
    ("44030519750315002", "1975-03-15", "female"),  # Nanshan, Shenzhen (1990), born 1975
])
def test_an_id_number_issued_after_its_district_was_created_is_accepted(client, rep, unit, number, birth, gender):
    number = with_check_digit(number)
    response = client.post(reverse("customers:create"), form_data(unit, id_number=number, gender=gender))
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert (customer.id_number, customer.birth_date.isoformat()) == (number, birth)


@pytest.mark.parametrize("body, words", [
    ("11010519850230001", "出生日期（第 7-14 位）不是有效日期"),  # 30 February
    ("11010521000101001", "出生日期晚于今天"),
    ("99010519850101001", "前两位不是有效的省份代码"),
])
def test_impossible_id_numbers_are_refused_beside_the_field(client, rep, unit, body, words):
    response = client.post(reverse("customers:create"), form_data(unit, id_number=with_check_digit(body), gender="male"))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-error-for="id_number"' in page and words in page
    assert not Customer.objects.exists()


def test_an_unknown_county_in_a_known_prefecture_saves_with_a_warning(client, rep, unit):
    number = with_check_digit("31019919850101001")
    response = client.post(reverse("customers:create"), form_data(unit, id_number=number, gender="male"), follow=True)
    assert Customer.objects.get().id_number == number
    assert "区县代码 310199 不在行政区划表中" in response.content.decode()
    # Shown beside the field too when the form comes back for another reason.
    response = client.post(reverse("customers:create"), form_data(unit, id_number=number, gender="male", name=""))
    assert 'data-warning-for="id_number"' in response.content.decode()


def test_the_id_number_is_checked_as_it_is_typed(client, rep):
    def check(number):
        return client.get(reverse("customers:id_check"), {"id_number": number}).content.decode()

    assert check(with_check_digit("31011519850101001")).strip() == ""  # fine: nothing to say
    assert "310199 不在行政区划表中" in check(with_check_digit("31019919850101001"))  # saved, with a warning
    assert "出生日期晚于今天" in check(with_check_digit("11010521000101001"))
    assert "18 位" in check("1101051949123100")
    assert check("1" * 40 + "x" * 10).strip() == ""  # beyond any ID number: ignored, not an error page
    client.logout()
    assert client.get(reverse("customers:id_check"), {"id_number": "1"}).status_code == 302


def test_a_valid_draft_saves_normalised_and_lists_missing_important_fields(client, rep, unit, make_user):
    partner = make_user(r.SALES_REP, units=[unit])
    response = client.post(
        reverse("customers:create"),
        form_data(unit, id_number=VALID_ID.lower(), co_owners=[partner.pk], contact_report="重要潜在客户，双人跟进"),
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert customer.mobile == "13912345678" and customer.id_number == VALID_ID
    assert customer.birth_date.isoformat() == "1949-12-31"  # taken from the ID number
    assert customer.confidentiality_level == "internal" and customer.account_manager == rep
    assert list(customer.co_owners.all()) == [partner] and customer.contact_report.startswith("重要")
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    banner = page.split('data-testid="missing-important"')[1].split("</div>")[0]
    for label in ("电子邮箱", "微信号", "兴趣爱好", "职业特性"):
        assert label in banner
    assert "经营范围" not in banner  # applies to companies only


def test_gender_must_agree_with_the_id_number(client, rep, unit):
    response = client.post(reverse("customers:create"), form_data(unit, id_number=VALID_ID, gender="male"))
    assert "性别与身份证号码不一致" in response.content.decode()


def test_required_fields_block_saving(client, rep, unit):
    response = client.post(reverse("customers:create"), form_data(unit, name="", mobile=""))
    page = response.content.decode()
    assert page.count("这是必填项") >= 2 and not Customer.objects.exists()


def test_company_fields_do_not_apply_to_individuals(client, rep, unit):
    client.post(reverse("customers:create"), form_data(unit, unified_social_credit_code="not-a-code"))
    assert Customer.objects.get().unified_social_credit_code == ""


def test_rep_sees_only_own_customers_and_finds_them(client, rep, unit, make_user):
    mine = CustomerFactory(unit=unit, created_by=rep, id_number=VALID_ID, mobile="13700001111")
    theirs = CustomerFactory(unit=unit, created_by=make_user(r.SALES_REP, units=[unit]))
    page = client.get(reverse("customers:list")).content.decode()
    assert mine.name in page and theirs.name not in page
    assert mine.name in client.get(reverse("customers:list"), {"q": "002X"}).content.decode()
    assert mine.name in client.get(reverse("customers:list"), {"q": "137-0000-1111"}).content.decode()
    assert client.get(reverse("customers:detail", args=[theirs.pk])).status_code == 404


def test_list_query_count_does_not_grow_with_rows(client, unit, make_user, password, django_assert_max_num_queries):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    client.force_login(manager)
    CustomerFactory.create_batch(60, unit=unit, created_by=manager)
    with django_assert_max_num_queries(17):  # a unit-scoped reader (issue 14) pays three for its unit tree
        response = client.get(reverse("customers:list"))
    assert response.content.decode().count("/customers/") >= 50
    assert "下一页" in response.content.decode()


def test_detail_page_asks_visibility_and_field_access_once(client, unit, make_user):
    """The page found the customer through the policy: the permission checks after it (actions, unmask, panels)
    ask no visibility query again, the change history reuses the page's field access, and the whole page stays
    within the bound (`make bench` counts it on PostgreSQL as well)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = make_user(r.SALES_MANAGER, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=make_user(r.SALES_REP, units=[unit]))
    client.force_login(manager)
    client.get(reverse("customers:detail", args=[customer.pk]))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert not [q for q in sql if q.startswith('SELECT 1 AS "a" FROM "customers_customer"')]  # no is_visible again
    assert len([q for q in sql if q.startswith('SELECT "confidentiality_customeruserobjectpermission"')]) == 1  # field access once
    assert len(sql) <= 30


def test_approval_race_message_and_queue(client, unit, make_user, password):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep, customer_code=None, registration_status="submitted", customer_status="")
    client.force_login(manager)
    assert customer.name in client.get(reverse("customers:approvals")).content.decode()
    url = reverse("customers:action", args=[customer.pk, "approve"])
    client.post(url)
    page = client.post(url, follow=True).content.decode()
    assert "已被" in page and "批准" in page
    customer.refresh_from_db()
    assert customer.customer_code == f"{unit.code}-000001"


def test_handover_page_moves_500_customers_to_two_reps_in_one_request(client, unit, make_user, password):
    from django.test import Client

    from customers.models import CustomerChange, HandoverNotice

    manager = make_user(r.SALES_MANAGER, units=[unit])
    leaving = make_user(r.SALES_REP, units=[unit])
    heirs = [make_user(r.SALES_REP, units=[unit]) for _ in range(2)]
    Customer.objects.bulk_create(
        CustomerFactory.build(unit=unit, created_by=leaving, customer_code=f"L-{i:06d}") for i in range(500)
    )
    client.force_login(manager)
    response = client.post(
        reverse("customers:handover"),
        {"from_user": leaving.pk, "to_users": [h.pk for h in heirs], "deactivate": "on", "reason": "离职"},
        follow=True,
    )
    assert "已移交 500 个客户" in response.content.decode()
    assert [Customer.objects.filter(account_manager=h).count() for h in heirs] == [250, 250]
    assert CustomerChange.objects.filter(field="account_manager", old_value=str(leaving.pk), actor=manager).count() == 500
    assert HandoverNotice.objects.filter(previous_owner=leaving).values("customer").distinct().count() == 500
    login = Client().post(reverse("login"), {"username": leaving.username, "password": password})
    assert login.status_code == 200 and "_auth_user_id" not in login.wsgi_request.session


def test_reps_cannot_open_the_handover_page(client, rep):
    assert client.get(reverse("customers:handover")).status_code == 403


def test_saved_filters(client, rep):
    client.post(reverse("customers:save_filter"), {"name": "A级客户", "query": "tier=A"})
    assert "A级客户" in client.get(reverse("customers:list")).content.decode()


def test_home_page_shows_the_approval_queue_count(client, unit, make_user):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    CustomerFactory.create_batch(2, unit=unit, created_by=manager, customer_code=None, registration_status="submitted")
    client.force_login(manager)
    page = client.get(reverse("home")).content.decode()
    card = page.split('data-testid="queue-card"')[1].split("</a>")[0]
    assert "2" in card


def test_an_empty_queue_is_not_highlighted_on_the_home_page(client, unit, make_user):
    """A blue 0 read like work waiting; an empty queue's card is plain, its 0 grey."""
    manager = make_user(r.SALES_MANAGER, units=[unit])
    client.force_login(manager)
    page = client.get(reverse("home")).content.decode()
    head, card = page.split(f'href="{reverse("customers:approvals")}" data-testid="queue-card"')
    assert "border-primary" not in head.rsplit("<a ", 1)[1] and "text-bg-light" in card.split("</a>")[0]
    CustomerFactory(unit=unit, created_by=manager, customer_code=None, registration_status="submitted")
    page = client.get(reverse("home")).content.decode()
    head, card = page.split(f'href="{reverse("customers:approvals")}" data-testid="queue-card"')
    assert "border-primary" in head.rsplit("<a ", 1)[1] and "text-bg-primary" in card.split("</a>")[0]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.parametrize("query", [
    {"page": "99999999999999999999"}, {"unit": "99999999999999999999"}, {"owner": "99999999999999999999"},
    {"unit": "²"}, {"completeness_below": "²"},
])
def test_hostile_list_parameters_give_the_page_not_a_500(client, make_user, unit, query):
    client.force_login(make_user(r.MARKETING_HEAD, units=[unit]))
    response = client.get(reverse("customers:list"), query)
    assert response.status_code == 200


def test_an_out_of_range_filter_is_ignored_with_a_message_in_chinese(client, make_user, unit):
    client.force_login(make_user(r.MARKETING_HEAD, units=[unit]))
    CustomerFactory(unit=unit, name="可见客户")
    response = client.get(reverse("customers:list"), {"unit": "99999999999999999999"}, follow=True)
    assert "可见客户" in response.content.decode()
    assert any("无法识别" in m and "所属单位" in m for m in _messages(response))


@pytest.mark.parametrize("field,value", [("channel", "carrier_pigeon"), ("result", "<b>maybe</b>")])
def test_a_verification_with_an_invalid_choice_is_refused_and_nothing_is_stored(client, make_user, unit, field, value):
    from customers.models import Verification

    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep, last_verified_on=None)
    client.force_login(rep)
    data = {"channel": "phone", "result": "unchanged", field: value}
    response = client.post(reverse("customers:action", args=[customer.pk, "verify"]), data, follow=True)
    assert not Verification.objects.exists()
    customer.refresh_from_db()
    assert customer.last_verified_on is None
    assert any("选择一个有效的选项" in m for m in _messages(response)), _messages(response)


def test_the_verification_service_refuses_a_channel_outside_the_list(make_user, unit):
    from customers import services

    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    with pytest.raises(services.CustomerError):
        services.verify_customer(actor=rep, customer_id=customer.pk, channel="carrier_pigeon", result="unchanged")


def test_a_status_change_outside_the_allowed_moves_is_refused_by_the_form(client, make_user, unit):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    customer = CustomerFactory(unit=unit, customer_status="active")
    client.force_login(manager)
    response = client.post(reverse("customers:action", args=[customer.pk, "status"]),
                           {"status": "active", "reason": "x"}, follow=True)
    customer.refresh_from_db()
    assert customer.customer_status == "active"
    assert any("选择一个有效的选项" in m for m in _messages(response)), _messages(response)



# Required and important fields are marked in every tab, with per-tab counts of empty required ones (issue 15 item 3).

def _marks(page: str, mark: str) -> set[str]:
    import re

    return set(re.findall(r'<label class="form-label" for="id_(\w+)">[^<]*<span[^>]*data-mark="' + mark + '"', page))


def _tab_counts(page: str) -> dict[str, int]:
    import re

    return {tab: int(n) for tab, n in re.findall(r'data-tab="(\w+)"[^>]*>[^<]*<span[^>]*data-missing-count="(\d+)"', page)}


def test_every_required_and_important_field_is_marked_in_every_tab(client, rep):
    from customers.catalogue import CATALOGUE, GROUPS, IMPORTANT, REQUIRED

    page = client.get(reverse("customers:create")).content.decode()
    shown = CATALOGUE.editable()
    assert _marks(page, "required") >= {s.code for s in shown if s.requirement == REQUIRED}
    assert _marks(page, "required") - {"unit", "profile_type"} == {s.code for s in shown if s.requirement == REQUIRED}
    assert _marks(page, "important") == {s.code for s in shown if s.requirement == IMPORTANT}
    assert {CATALOGUE[c].group for c in _marks(page, "required") | _marks(page, "important") if c in CATALOGUE.by_code} \
        == {g for g in GROUPS if any(s.requirement in (REQUIRED, IMPORTANT) for s in CATALOGUE.in_group(g))}
    assert 'data-testid="required-legend"' in page and "必填" in page


def test_each_tab_counts_its_empty_required_fields_that_apply(client, rep, unit):
    from customers.catalogue import CATALOGUE, REQUIRED
    from customers.models import kinds_of

    def expected(data):
        kinds = kinds_of(data.get("customer_nature", ""), data.get("profile_type", ""))
        counts = {}
        for spec in CATALOGUE.editable():
            follows_tier = spec.code == "confidentiality_level" and data.get("tier")
            if spec.requirement == REQUIRED and spec.applies(kinds) and not data.get(spec.code) and not follows_tier:
                counts[spec.group] = counts.get(spec.group, 0) + 1
        return counts

    blank = _tab_counts(client.get(reverse("customers:create")).content.decode())
    assert {t: n for t, n in blank.items() if n} == expected({"profile_type": "none"})
    assert blank["basic"] >= 3

    partial = form_data(unit, contact_name="", mobile="")
    response = client.post(reverse("customers:create"), partial)
    assert response.status_code == 200 and not Customer.objects.exists()
    counts = _tab_counts(response.content.decode())
    assert {t: n for t, n in counts.items() if n} == expected(partial) and counts["basic"] == 0
    assert counts["personal"] >= 1  # the contact's name and mobile are still empty


def test_selects_offer_please_choose_not_dashes(client, rep):
    page = client.get(reverse("customers:create")).content.decode()
    assert "---------" not in page and '<option value="" selected>请选择</option>' in page


# --- bulk actions and the phone list (issues 13 §3, 15 item 2) ---------------------------------------

def test_the_list_shows_cards_for_phones_and_the_bulk_toolbar(client, unit, make_user):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    client.force_login(manager)
    from datetime import timedelta

    from django.utils import timezone

    CustomerFactory(unit=unit, name="华联超市", mobile="13912345678", tier="B", confidentiality_level="confidential",
                    last_verified_on=timezone.localdate() - timedelta(days=120))
    CustomerFactory(unit=unit, name="好德便利", registration_status="draft", customer_code=None)
    page = client.get(reverse("customers:list") + "?state=all").content.decode()
    cards = page.split('data-testid="customer-cards"')[1].split("</ul>")[0]
    assert "华联超市" in cards and "好德便利" in cards and ">B<" in cards
    assert "139****5678" in cards and "13912345678" not in page  # the mobile as the policy allows
    assert "核实" in cards and "逾期" in cards and "提交审批" in cards  # the next work: the verification, or submitting the draft
    assert page.index('data-testid="customer-search"') < page.index('data-testid="more-filters"')  # the search first
    assert 'class="collapse d-md-block" id="more-filters"' in page
    assert 'data-testid="bulk-form"' in page and 'value="approve"' in page and 'value="assign_owner"' in page


def test_a_planner_gets_no_bulk_toolbar(client, unit, make_user):
    client.force_login(make_user(r.PLANNER, units=[unit]))
    CustomerFactory(unit=unit)
    page = client.get(reverse("customers:list")).content.decode()
    assert 'data-testid="bulk-form"' not in page and 'name="ids"' not in page


def test_a_bulk_action_runs_and_its_result_page_lists_what_was_not_changed(client, unit, make_user):
    rep = make_user(r.SALES_REP, units=[unit])
    client.force_login(rep)
    mine = CustomerFactory(unit=unit, created_by=rep, registration_status="draft", customer_code=None)
    incomplete = CustomerFactory(unit=unit, created_by=rep, registration_status="draft", customer_code=None, address="")
    response = client.post(reverse("customers:bulk"), {"action": "submit", "scope": "selected",
                                                         "ids": [mine.pk, incomplete.pk], "query": "state=draft"})
    from customers.models import BulkAction

    action = BulkAction.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customers:bulk_detail", args=[action.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-count="changed"><div class="fs-5">1<' in page
    failures = page.split('data-testid="bulk-failures"')[1]
    assert incomplete.name in failures and "经营地址" in failures and mine.name not in failures
    progress = client.get(reverse("customers:bulk_progress", args=[action.pk]))
    assert progress["HX-Refresh"] == "true"
    other = make_user(r.SALES_MANAGER, units=[unit])
    client.force_login(other)
    assert client.get(reverse("customers:bulk_detail", args=[action.pk])).status_code == 404  # only its own
    assert client.get(reverse("customers:bulk_progress", args=[action.pk])).status_code == 404


def test_a_bulk_action_without_a_selection_or_value_says_so_and_changes_nothing(client, unit, make_user):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    client.force_login(manager)
    customer = CustomerFactory(unit=unit)
    response = client.post(reverse("customers:bulk"), {"action": "submit", "scope": "selected", "query": "tier=C"},
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:list") + "?tier=C"
    assert "先在列表中选择客户" in response.content.decode()
    response = client.post(reverse("customers:bulk"), {"action": "set_field", "scope": "filtered", "field": "tier",
                                                       "value": "Z", "query": ""}, follow=True)
    page = response.content.decode()
    assert "请选择“客户等级”的可选值" in page and "请填写等级变更原因" in page
    for bad in ({"action": "submit", "scope": "selected", "ids": ["x1"]}, {"action": "nope", "scope": "filtered"},
                {"action": "submit", "scope": "selected", "ids": [str(10**20)]}):
        assert client.post(reverse("customers:bulk"), bad).status_code == 302
    customer.refresh_from_db()
    assert customer.tier == "C"
    from customers.models import BulkAction

    assert not BulkAction.objects.exists()


def test_the_owner_picker_offers_the_handover_heirs_to_managers_only(client, unit, make_user):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    rep = make_user(r.SALES_REP, units=[unit], last_name="王", first_name="芳")
    client.force_login(manager)
    assert "王芳" in client.get(reverse("customers:bulk_owners")).content.decode()
    client.force_login(rep)
    assert client.get(reverse("customers:bulk_owners")).status_code == 403
