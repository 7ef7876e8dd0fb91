from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm import roles as r
from crm.audit import record
from crm.models import AuditEntry
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_audit_search_by_person_customer_action_and_period(client, make_user, unit):
    alice, bob = make_user(username="alice"), make_user(username="bob")
    customer = CustomerFactory(unit=unit, customer_code="SH-000001")
    record("read", actor=alice, customers=[customer], subject="甲")
    record("export", actor=bob, customers=[customer], subject="乙")
    record("read", actor=bob, subject="丙")
    client.force_login(make_user(r.CS_MANAGER))

    def subjects(**params):
        page = client.get(reverse("confidentiality:audit"), params).content.decode()
        table = page.split('data-testid="audit-table"')[1]
        return {s for s in ("甲", "乙", "丙") if f"<td>{s}</td>" in table}

    assert subjects(person="bob") == {"乙", "丙"}
    assert subjects(customer="SH-000001") == {"甲", "乙"}
    assert subjects(action="read") == {"甲", "丙"}
    assert subjects(since="2000-01-01", until="2000-12-31") == set()


def test_audit_export_is_itself_logged(client, make_user):
    record("read", subject="x")
    manager = make_user(r.MARKETING_HEAD)
    client.force_login(manager)
    response = client.get(reverse("confidentiality:audit"), {"format": "xlsx"})
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.max_row >= 3
    assert AuditEntry.objects.filter(action="audit_export", actor=manager).exists()


def test_reps_cannot_read_the_audit_log(client, make_user):
    client.force_login(make_user(r.SALES_REP))
    assert client.get(reverse("confidentiality:audit")).status_code == 403


def _audit_table(client, **params) -> str:
    return client.get(reverse("confidentiality:audit"), params).content.decode().split('data-testid="audit-table"')[1]


def test_the_audit_log_names_only_customers_the_reader_may_see(client, make_user, unit):
    """A manager who gets 404 on a secret customer must not read its name in the log (page or export)."""
    secret = CustomerFactory(unit=unit, name="绝密甲公司", customer_code="SH-000777", confidentiality_level="secret")
    internal = CustomerFactory(unit=unit, name="普通乙公司", customer_code="SH-000778")
    record("read", customers=[secret], subject=secret.name)
    record("reject", customers=[secret], subject=f"{secret.name}（补充材料）")
    record("read", customers=[internal], subject=internal.name)
    manager = make_user(r.SALES_MANAGER, units=[unit])
    client.force_login(manager)
    assert client.get(reverse("customers:detail", args=[secret.pk])).status_code == 404

    table = _audit_table(client)
    assert "绝密甲公司" not in table
    assert "SH-000777" in table
    assert "普通乙公司" in table
    assert _audit_table(client, customer="SH-000777").count("SH-000777") >= 2

    sheet = load_workbook(BytesIO(client.get(reverse("confidentiality:audit"), {"format": "xlsx"}).content)).active
    cells = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not any("绝密甲公司" in cell for cell in cells)
    assert any("SH-000777" in cell for cell in cells)
    assert any("普通乙公司" in cell for cell in cells)


def test_the_marketing_head_reads_secret_customers_names_in_the_log(client, make_user, unit):
    secret = CustomerFactory(unit=unit, name="绝密甲公司", customer_code="SH-000777", confidentiality_level="secret")
    record("read", customers=[secret], subject=secret.name)
    client.force_login(make_user(r.MARKETING_HEAD))
    assert "绝密甲公司" in _audit_table(client)


def test_an_entry_with_many_customers_lists_the_first_and_counts_the_rest(client, make_user, unit):
    customers = CustomerFactory.create_batch(22, unit=unit)
    record("export", customers=customers, subject="customers.xlsx")
    client.force_login(make_user(r.MARKETING_HEAD))
    table = _audit_table(client)
    assert customers[0].name in table and customers[21].name not in table
    assert "等另外 2 个" in table


@pytest.mark.parametrize("since", ["garbage", "2026-02-30", "99999999999999999999"])
def test_an_audit_search_from_a_date_that_is_no_date_gives_the_page_with_a_message(client, make_user, since):
    record("read", actor=make_user(username="alice"), subject="甲")
    client.force_login(make_user(r.CS_MANAGER))
    response = client.get(reverse("confidentiality:audit"), {"since": since})
    assert response.status_code == 200
    assert "<td>甲</td>" in response.content.decode()  # the bad date is ignored, not the whole search
    assert any("无法识别" in str(m) for m in response.context["messages"])


def test_an_archive_request_of_an_unknown_kind_is_refused_and_nothing_is_stored(client, make_user, unit):
    from confidentiality.models import ArchiveLoan

    rep = make_user(r.SALES_REP, units=[unit])
    customer = CustomerFactory(unit=unit, created_by=rep)
    client.force_login(rep)
    response = client.post(reverse("confidentiality:archive"),
                           {"customer_code": customer.customer_code, "kind": "steal", "purpose": "x"}, follow=True)
    assert not ArchiveLoan.objects.exists()
    assert any("请选择" in str(m) for m in response.context["messages"])


def test_a_printout_check_in_with_a_count_that_is_no_number_is_a_message(client, make_user):
    from datetime import timedelta

    from django.utils import timezone

    from confidentiality.models import AccessGrant, DataRequest, Printout

    cs = make_user(r.CS_SPECIALIST)
    data_request = DataRequest.objects.create(requester=cs, purpose="p", scope="unit",
                                              data_unit=cs.staff_profile.units.first() or _unit(), form="print")
    grant = AccessGrant.objects.create(request=data_request, user=cs, form="print", granted_by=cs,
                                       expires_at=timezone.now() + timedelta(days=1))
    printout = Printout.objects.create(grant=grant, printed_by=cs, copies=2, return_due=timezone.localdate())
    client.force_login(cs)
    response = client.post(reverse("confidentiality:printout_check_in", args=[printout.pk]), {"returned_copies": "abc"},
                           follow=True)
    assert response.status_code == 200
    printout.refresh_from_db()
    assert printout.returned_at is None
    assert response.context["messages"]


def _unit():
    from crm.tests.factories import OrgUnitFactory

    return OrgUnitFactory()


def test_a_leak_decision_with_a_deduction_that_is_not_a_number_is_a_message_in_chinese(client, make_user):
    from confidentiality import services
    from confidentiality.models import LeakIncident

    reporter, gm = make_user(), make_user(r.GENERAL_MANAGER)
    incident = services.report_leak(reporter=reporter, description="客户名单被拍照外传")
    client.force_login(gm)
    response = client.post(reverse("confidentiality:leak_detail", args=[incident.pk]),
                           {"remediation": "收回名单", "penalty": "warning", "deduction": "三百"}, follow=True)
    assert any("整数" in str(m) for m in response.context["messages"])
    incident.refresh_from_db()
    assert incident.status != LeakIncident.Status.CLOSED


def test_archive_steps_go_through_a_form_and_the_services_refusal_is_a_message(client, make_user, unit):
    from confidentiality import archive as lending

    rep, archivist = make_user(r.SALES_REP, units=[unit]), make_user(r.ARCHIVIST)
    loan = lending.request_loan(borrower=rep, customer=CustomerFactory(unit=unit, created_by=rep), kind="loan",
                                purpose="核对合同")
    client.force_login(archivist)
    url = reverse("confidentiality:archive_action", args=[loan.pk, "reject"])
    response = client.post(url, {"reason": "x" * 2001}, follow=True)
    assert any("2000" in str(m) for m in response.context["messages"])
    response = client.post(url, {"reason": ""}, follow=True)
    assert [m.extra_tags for m in response.context["messages"]] == ["code-archive.reason_required"]


def test_each_archive_step_says_what_happened(client, make_user, unit):
    """Issue 15 item 7: approve, hand out and take back no longer all say 已完成."""
    from confidentiality import archive as lending

    rep, archivist = make_user(r.SALES_REP, units=[unit]), make_user(r.ARCHIVIST)
    loan = lending.request_loan(borrower=rep, customer=CustomerFactory(unit=unit, created_by=rep), kind="read",
                                purpose="查阅")
    client.force_login(archivist)
    said = {}
    for action, data in (("approve", {}), ("lend", {}), ("return", {"complete": "on"})):
        response = client.post(reverse("confidentiality:archive_action", args=[loan.pk, action]), data, follow=True)
        said[action] = [str(m) for m in response.context["messages"]]
    assert said["approve"] == ["借阅已批准，可以发放档案。"]
    assert len(said["lend"]) == 1 and said["lend"][0].startswith("档案已发放，应于 ")
    assert said["return"] == ["档案已收回，完整无缺。"]
    assert not any("已完成" in m for ms in said.values() for m in ms)


def test_the_cs_managers_confirmation_does_not_report_an_approval(client, make_user, unit):
    from confidentiality import services
    from confidentiality.models import DataRequest
    from crm.models import OrgUnit

    other = OrgUnit.objects.create(code="BJ01", name="北京分公司")
    planner, marketing, cs_manager = make_user(r.PLANNER, units=[unit]), make_user(r.MARKETING_HEAD), make_user(r.CS_MANAGER)
    customer = CustomerFactory(unit=other)
    data_request = services.submit_data_request(requester=planner, purpose="策划", scope="customers", data_unit=other,
                                                customers=[customer], fields=["mobile"], form="view", days=7)
    url = reverse("confidentiality:request_action", args=[data_request.pk, "approve"])
    client.force_login(marketing)
    said = [str(m) for m in client.post(url, {}, follow=True).context["messages"]]
    assert said == ["已批准。下一步：客服经理。"]
    client.force_login(cs_manager)
    said = [str(m) for m in client.post(url, {}, follow=True).context["messages"]]
    assert said == ["已确认。下一步：客服专员。"]
    assert DataRequest.objects.get().status == DataRequest.Status.CS_CONFIRMED
    page = client.get(reverse("confidentiality:request_detail", args=[data_request.pk])).content.decode()
    assert 'data-testid="request-fields">手机号<' in page
