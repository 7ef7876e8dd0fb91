from datetime import timedelta
from io import BytesIO
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from confidentiality import services
from confidentiality.models import AccessGrant, DataRequest, Printout
from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers import policy
from customers.models import CustomerUserObjectPermission
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(make_user):
    hq = OrgUnitFactory(code="HQ")
    sh, bj = OrgUnitFactory(code="SH", parent=hq), OrgUnitFactory(code="BJ", parent=hq)
    bj_rep = make_user(r.SALES_REP, units=[bj])
    return {
        "sh": sh, "bj": bj,
        "planner": make_user(r.PLANNER, units=[sh]),
        "marketing": make_user(r.MARKETING_HEAD, units=[hq]),
        "csmanager": make_user(r.CS_MANAGER, units=[hq]),
        "cs_bj": make_user(r.CS_SPECIALIST, units=[bj]),
        "cs_sh": make_user(r.CS_SPECIALIST, units=[sh]),
        "bj_customers": [
            CustomerFactory(unit=bj, created_by=bj_rep, name=name, mobile=f"1391111000{i}", id_number="11010519491231002X")
            for i, name in enumerate(["=HYPERLINK(\"http://x\",\"y\")", "北京客户", "+cmd"])
        ],
        "sh_customer": CustomerFactory(unit=sh, created_by=make_user(r.SALES_REP, units=[sh])),
    }


def submit(org, *, form="view", unit="bj", customers=None, fields=("mobile",), requester="planner"):
    return services.submit_data_request(
        requester=org[requester], purpose="项目推广", scope="customers", data_unit=org[unit],
        customers=customers if customers is not None else org["bj_customers"], fields=fields, form=form, days=3,
    )


def test_cross_unit_request_needs_three_steps_in_order(org):
    request = submit(org)
    assert request.cross_unit and services.next_step(request) == (r.MARKETING_HEAD, "approve")
    with pytest.raises(services.DataRequestError):
        services.fulfil_data_request(actor=org["cs_bj"], request_id=request.pk)
    with pytest.raises(services.DataRequestError):
        services.approve_data_request(actor=org["csmanager"], request_id=request.pk)
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    with pytest.raises(services.DataRequestError):
        services.fulfil_data_request(actor=org["cs_bj"], request_id=request.pk)
    services.approve_data_request(actor=org["csmanager"], request_id=request.pk)
    with pytest.raises(services.DataRequestError):
        services.fulfil_data_request(actor=org["cs_sh"], request_id=request.pk)  # not the data's unit
    grant = services.fulfil_data_request(actor=org["cs_bj"], request_id=request.pk)
    assert grant.customer_count == 3
    assert set(policy.visible_customers(org["planner"]).values_list("pk", flat=True)) >= {c.pk for c in org["bj_customers"]}
    assert policy.can_see_field(org["planner"], org["bj_customers"][1], "mobile")
    assert not policy.can_see_field(org["planner"], org["bj_customers"][1], "id_number")
    assert org["planner"].has_perm("customers.view_customer", org["bj_customers"][0])  # guardian sees the grant
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("id")) == ["approve", "approve", "grant"]


def test_inside_unit_view_request_goes_straight_to_the_cs_specialist(org):
    request = submit(org, unit="sh", customers=[org["sh_customer"]])
    assert not request.cross_unit and services.next_step(request) == (r.CS_SPECIALIST, "fulfil")
    services.fulfil_data_request(actor=org["cs_sh"], request_id=request.pk)


def test_every_export_needs_the_marketing_head(org):
    request = submit(org, unit="sh", customers=[org["sh_customer"]], form="export")
    assert services.next_step(request) == (r.MARKETING_HEAD, "approve")
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    assert services.next_step(request.__class__.objects.get(pk=request.pk)) == (r.CS_SPECIALIST, "fulfil")


def test_rejection_needs_a_reason_and_ends_the_request(org):
    request = submit(org)
    with pytest.raises(services.DataRequestError):
        services.reject_data_request(actor=org["marketing"], request_id=request.pk, reason="")
    services.reject_data_request(actor=org["marketing"], request_id=request.pk, reason="用途不明确")
    with pytest.raises(services.DataRequestError, match="已"):
        services.approve_data_request(actor=org["marketing"], request_id=request.pk)


def test_requesters_cannot_approve_their_own_request(org, make_user):
    marketing = org["marketing"]
    request = submit(org, requester="marketing")
    assert not services.may_act(marketing, request)


def _fulfilled(org, form="view"):
    request = submit(org, form=form)
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    services.approve_data_request(actor=org["csmanager"], request_id=request.pk)
    return services.fulfil_data_request(actor=org["cs_bj"], request_id=request.pk)


def test_grants_expire_and_the_hourly_job_removes_the_rows(org):
    grant = _fulfilled(org)
    later = timezone.now() + timedelta(days=3, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        visible = set(policy.visible_customers(org["planner"]).values_list("pk", flat=True))
        assert not visible & {c.pk for c in org["bj_customers"]}  # the check at use, before the job
        assert services.revoke_expired_grants() == 1
        assert services.revoke_expired_grants() == 0  # idempotent
    assert not CustomerUserObjectPermission.objects.filter(grant_id=grant.pk).exists()
    assert AccessGrant.objects.get(pk=grant.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="revoke").count() == 1


def test_export_is_watermarked_formula_safe_and_audited(client, org):
    grant = _fulfilled(org, form="export")
    client.force_login(org["planner"])
    response = client.get(reverse("confidentiality:request_export", args=[grant.request_id]))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    assert grant.request.number in sheet["A1"].value and org["planner"].username in sheet["A1"].value
    values = [cell.value for row in sheet.iter_rows(min_row=3) for cell in row]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in values and "'+cmd" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in values)
    assert "13911110001" in values  # the granted field, unmasked
    assert "110***********002X" in values and "11010519491231002X" not in values  # not granted: masked
    assert AuditEntry.objects.filter(action="export", actor=org["planner"]).count() == 1


def test_export_without_an_export_grant_is_refused(client, org):
    grant = _fulfilled(org, form="view")
    client.force_login(org["planner"])
    assert client.get(reverse("confidentiality:request_export", args=[grant.request_id])).status_code == 403


def test_printouts_are_registered_and_checked_in_by_the_cs_specialist(client, org):
    grant = _fulfilled(org, form="print")
    client.force_login(org["planner"])
    page = client.post(reverse("confidentiality:request_print", args=[grant.request_id]), {"copies": 2}).content.decode()
    assert grant.request.number in page and "data-testid=\"printout-registered\"" in page
    printout = Printout.objects.get()
    assert printout.copies == 2 and printout.return_due == timezone.localdate() + timedelta(days=3)
    with pytest.raises(services.DataRequestError):
        services.check_in_printout(actor=org["cs_bj"], printout_id=printout.pk, returned_copies=1)
    with pytest.raises(services.DataRequestError):
        services.check_in_printout(actor=org["cs_sh"], printout_id=printout.pk, returned_copies=2)
    services.check_in_printout(actor=org["cs_bj"], printout_id=printout.pk, returned_copies=2)
    assert Printout.objects.get().returned_at is not None


def test_queues_show_each_approver_their_step(org):
    from confidentiality.selectors import data_request_queue

    request = submit(org)
    assert [q.pk for q in data_request_queue(org["marketing"])] == [request.pk]
    assert data_request_queue(org["csmanager"]) == [] and data_request_queue(org["cs_bj"]) == []
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    assert [q.pk for q in data_request_queue(org["csmanager"])] == [request.pk]


def test_customers_of_one_request_come_from_the_chosen_unit(org):
    with pytest.raises(services.DataRequestError):
        submit(org, customers=[org["sh_customer"]])
    with pytest.raises(services.DataRequestError):
        services.submit_data_request(requester=org["planner"], purpose=" ", scope="unit", data_unit=org["bj"], form="view", days=3)
    assert DataRequest.objects.count() == 0


def test_a_deleted_grant_takes_its_rows_along(org):
    """The grant rows keep the grant's id without a database foreign key: deleting the grant must still end the access."""
    grant = _fulfilled(org)
    assert CustomerUserObjectPermission.objects.filter(grant_id=grant.pk).exists()
    grant.printouts.all().delete()
    grant.delete()
    assert not CustomerUserObjectPermission.objects.filter(grant_id=grant.pk).exists()
    assert not set(policy.visible_customers(org["planner"]).values_list("pk", flat=True)) & {
        c.pk for c in org["bj_customers"]}


def test_hourly_task_revokes_through_the_service(org):
    from confidentiality.tasks import revoke_expired_grants
    from django.conf import settings

    grant = _fulfilled(org)
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    CustomerUserObjectPermission.objects.filter(grant_id=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert revoke_expired_grants.apply().get() == 1
    assert settings.CELERY_BEAT_SCHEDULE["revoke-expired-grants"]["task"] == revoke_expired_grants.name


def _granted(org, *, form, fields=("mobile",), days=3):
    request = services.submit_data_request(
        requester=org["planner"], purpose="项目推广", scope="customers", data_unit=org["bj"],
        customers=org["bj_customers"], fields=fields, form=form, days=days,
    )
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    services.approve_data_request(actor=org["csmanager"], request_id=request.pk)
    return services.fulfil_data_request(actor=org["cs_bj"], request_id=request.pk)


def _sheet_values(client, grant) -> list:
    response = client.get(reverse("confidentiality:request_export", args=[grant.request_id]))
    assert response.status_code == 200
    return [cell.value for row in load_workbook(BytesIO(response.content)).active.iter_rows(min_row=3) for cell in row]


def test_a_newer_grant_leaves_an_older_export_its_rows(client, org):
    export = _granted(org, form="export")
    _granted(org, form="print")
    client.force_login(org["planner"])
    assert 'data-testid="grant"' in client.get(reverse("confidentiality:request_detail", args=[export.request_id])).content.decode()
    values = _sheet_values(client, export)
    assert {"13911110000", "13911110001", "13911110002"} <= set(values)
    assert CustomerUserObjectPermission.objects.filter(grant_id=export.pk).count() == 3


def test_expiring_one_grant_leaves_the_others_intact(client, org):
    export = _granted(org, form="export", days=7)
    printed = _granted(org, form="print", days=3)
    later = timezone.now() + timedelta(days=3, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert services.revoke_expired_grants() == 1
        assert not CustomerUserObjectPermission.objects.filter(grant_id=printed.pk).exists()
        assert CustomerUserObjectPermission.objects.filter(grant_id=export.pk).count() == 3
        visible = set(policy.visible_customers(org["planner"]).values_list("pk", flat=True))
        assert visible >= {c.pk for c in org["bj_customers"]}
        client.force_login(org["planner"])
        assert "13911110001" in _sheet_values(client, export)


def test_a_request_s_export_unmasks_only_the_fields_it_names(client, org):
    export = _granted(org, form="export", fields=("mobile",))
    _granted(org, form="view", fields=("mobile", "id_number"))
    client.force_login(org["planner"])
    values = _sheet_values(client, export)
    assert "13911110001" in values
    assert "11010519491231002X" not in values and "110***********002X" in values
    # On screen the two grants add up: the view grant shows the ID number.
    assert policy.can_see_field(org["planner"], org["bj_customers"][1], "id_number")


def test_a_request_s_printout_unmasks_only_the_fields_it_names(client, org):
    printed = _granted(org, form="print", fields=("mobile",))
    _granted(org, form="view", fields=("id_number",))
    client.force_login(org["planner"])
    page = client.get(reverse("confidentiality:request_print", args=[printed.request_id])).content.decode()
    assert "13911110001" in page and "11010519491231002X" not in page


@pytest.fixture
def sh_secret(org, make_user):
    return CustomerFactory(unit=org["sh"], created_by=make_user(r.SALES_REP, units=[org["sh"]]), name="绝密大客户",
                           tier="A", confidentiality_level="secret")


def _unit_request(org):
    return services.submit_data_request(requester=org["planner"], purpose="项目推广", scope="unit", data_unit=org["sh"],
                                        form="view", days=3)


def test_an_own_unit_request_covering_secret_customers_needs_the_marketing_head(org, sh_secret):
    request = _unit_request(org)
    assert not request.cross_unit and services.next_step(request) == (r.MARKETING_HEAD, "approve")
    with pytest.raises(services.DataRequestError):
        services.fulfil_data_request(actor=org["cs_sh"], request_id=request.pk)
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    grant = services.fulfil_data_request(actor=org["cs_sh"], request_id=request.pk)
    assert grant.customer_count == 2 and policy.is_visible(org["planner"], sh_secret)


def test_a_unit_that_turns_secret_after_submission_goes_to_the_marketing_head(org):
    request = _unit_request(org)
    assert services.next_step(request) == (r.CS_SPECIALIST, "fulfil")
    org["sh_customer"].__class__.objects.filter(pk=org["sh_customer"].pk).update(confidentiality_level="secret")
    with pytest.raises(services.DataRequestError, match="营销部长"):
        services.fulfil_data_request(actor=org["cs_sh"], request_id=request.pk)
    assert not AccessGrant.objects.exists() and not policy.is_visible(org["planner"], org["sh_customer"])
    request.refresh_from_db()
    assert request.status == DataRequest.Status.SUBMITTED and services.next_step(request) == (r.MARKETING_HEAD, "approve")


def test_the_fulfiller_sees_counts_per_level_not_the_secret_customers(client, org, sh_secret):
    request = _unit_request(org)
    services.approve_data_request(actor=org["marketing"], request_id=request.pk)
    client.force_login(org["cs_sh"])
    page = client.get(reverse("confidentiality:request_detail", args=[request.pk])).content.decode()
    assert "内部 1" in page and "秘密 0" in page and "机密 1" in page
    assert sh_secret.name not in page and sh_secret.customer_code not in page


def _scope_text(client, request) -> str:
    import re

    page = client.get(reverse("confidentiality:request_detail", args=[request.pk])).content.decode()
    return re.sub(r"<[^>]+>", "", re.search(r"<dt[^>]*>范围</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S).group(1)).strip()


@pytest.mark.parametrize("term, miss", [("13911110001", "13911119999"), ("11010519491231002X", "110105194912310045"),
                                        ("北京客户", "无此客户")])
def test_a_requester_learns_nothing_about_another_unit_from_the_request_page(client, org, term, miss):
    def filtered(q):
        return services.submit_data_request(requester=org["planner"], purpose="核对", scope="filter", data_unit=org["bj"],
                                            filter_query=f"q={q}", form="view", days=3)

    client.force_login(org["planner"])
    hit, nothing = _scope_text(client, filtered(term)), _scope_text(client, filtered(miss))
    assert hit == nothing and not any(ch.isdigit() for ch in hit)


def test_the_requester_sees_the_count_once_granted(client, org):
    grant = _granted(org, form="view")
    client.force_login(org["planner"])
    assert "3" in _scope_text(client, grant.request)
