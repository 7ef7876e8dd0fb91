"""Customer exports: columns, labels, masking, visibility, formula safety, permission and audit."""
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from confidentiality.models import AccessGrant, DataRequest
from crm import roles as r
from crm.models import AuditEntry
from crm.tests.factories import OrgUnitFactory
from customers import permissions, services
from customers.models import Customer, CustomerUserObjectPermission
from customers.resources import CustomerExportResource
from customers.tests.factories import VALID_ID, CustomerFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'


def sheet_of(content: bytes):
    return load_workbook(BytesIO(content)).active


def export(user, queryset=None, **kwargs) -> tuple:
    """(header row, {customer code: {header: value}}, worksheet) of a resource export."""
    resource = CustomerExportResource(user=user)
    ws = sheet_of(resource.export_xlsx(queryset, title="客户", watermark="测试水印", **kwargs))
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[1])
    by_code = {row[0]: dict(zip(headers, row)) for row in rows[2:]}
    return headers, by_code, ws


@pytest.fixture
def org(make_user):
    hq = OrgUnitFactory(code="HQ", name="总部")
    sh = OrgUnitFactory(code="SH", name="上海分公司", parent=hq)
    bj = OrgUnitFactory(code="BJ", name="北京分公司", parent=hq)
    rep = make_user(r.SALES_REP, units=[sh], last_name="王", first_name="小明")
    return {
        "hq": hq, "sh": sh, "bj": bj, "rep": rep,
        "head": make_user(r.MARKETING_HEAD, units=[hq]),
        "supervisor": make_user(r.SALES_SUPERVISOR, units=[sh]),
        "owned": CustomerFactory(
            unit=sh, created_by=rep, customer_code="SH-000001", name=FORMULA, mobile="13912345678",
            id_number=VALID_ID, customer_source="walk_in", tier="C", monitored=True, model_store=False,
            business_area=Decimal("120.50"), opened_on=date(2020, 3, 1), sales_structure={"卷烟": 60},
        ),
        "pool": CustomerFactory(unit=sh, created_by=rep, account_manager=None, customer_code="SH-000002",
                                mobile="13800001111"),
        "beijing": CustomerFactory(unit=bj, created_by=make_user(r.SALES_REP, units=[bj]), customer_code="BJ-000001"),
        "secret": CustomerFactory(unit=sh, created_by=rep, account_manager=None, customer_code="SH-000003", tier="A"),
    }


def grant(user, customer, fields):
    request = DataRequest.objects.create(requester=user, purpose="核对", scope="customers", data_unit=customer.unit)
    access = AccessGrant.objects.create(request=request, user=user, fields=fields, form="view", granted_by=user,
                                        expires_at=timezone.now() + timedelta(days=1))
    CustomerUserObjectPermission.objects.create(
        user=user, content_object=customer, grant_id=access.pk, fields=access.fields, expires_at=access.expires_at,
        permission=Permission.objects.get(codename="view_customer", content_type__app_label="customers"),
    )


# --- the resource ---------------------------------------------------------------------------------
def test_headers_are_the_catalogue_labels_in_chinese_then_english(org):
    headers, _rows, ws = export(org["head"])
    assert headers[:3] == ["客户代码", "客户名称/店铺名称", "客户性质"]
    assert headers[-3:] == ["组织单位", gettext("org unit code"), "登记状态"]
    assert {"手机号", "身份证号码", "客户经理", "客户等级"} <= set(headers)
    assert "店面照片" not in headers and "证照照片" not in headers  # photos stay inside
    assert len(headers) == 102 - 8 + 3
    assert ws.title == "客户" and ws.freeze_panes == "A3" and ws["A1"].value == "测试水印"
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width  # widths follow the Chinese header
    with translation.override("en"):
        english, _rows, _ws = export(org["head"])
    assert english[:2] == ["Customer code", "Customer or shop name"]
    assert "Mobile phone" in english and "手机号" not in english


def test_cells_read_as_people_read_the_record(org):
    _headers, rows, ws = export(org["head"])
    row = rows["SH-000001"]
    assert row["客户来源"] == "现场来访" and row["客户等级"] == "C 级（一般重要/金卡）" and row["客户性质"] == "个人"
    assert row["客户经理"] == "王小明"  # a name, not a user id
    assert row["监控户"] == "是" and row["示范户"] == "否" and row["是否安装APP"] is None
    assert row["营业面积"] == 120.5 and row["开业时间"].date() == date(2020, 3, 1)
    assert row["销售结构"] == '{"卷烟": 60}' and row["行政区域"] == "310101 上海市 黄浦区"
    assert row["组织单位"] == "上海分公司" and row["登记状态"] == "已批准"
    header_row = [c.value for c in ws[2]]
    opened = ws.cell(row=[c.value for c in ws["A"]].index("SH-000001") + 1, column=header_row.index("开业时间") + 1)
    assert opened.is_date and opened.number_format == "yyyy-mm-dd"
    with translation.override("en"):
        _headers, rows, _ws = export(org["head"])
    assert rows["SH-000001"]["Under monitoring"] == "Yes" and rows["SH-000001"]["Customer source"] == "Walk in"


def test_formulas_arrive_as_inert_text(org):
    org["owned"].email = "@SUM(1+1)"
    org["owned"].save()
    _headers, rows, ws = export(org["head"])
    assert rows["SH-000001"]["客户名称/店铺名称"] == "'" + FORMULA
    assert rows["SH-000001"]["电子邮箱"] == "'@SUM(1+1)"
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert not any(isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")) for c in cells)


def test_sensitive_fields_are_masked_unless_owned_or_granted(org):
    supervisor, rep = org["supervisor"], org["rep"]
    _h, rows, _ws = export(supervisor)
    assert rows["SH-000001"]["手机号"] == "139****5678" and rows["SH-000001"]["身份证号码"] == "110***********002X"
    _h, rows, _ws = export(rep)
    assert rows["SH-000001"]["手机号"] == "13912345678" and rows["SH-000001"]["身份证号码"] == VALID_ID  # the owner
    assert rows["SH-000002"]["手机号"] == "138****1111"  # the unit's pool: visible to the rep, not owned
    grant(supervisor, org["owned"], ["mobile"])
    _h, rows, _ws = export(supervisor)
    assert rows["SH-000001"]["手机号"] == "13912345678"  # granted
    assert rows["SH-000001"]["身份证号码"] == "110***********002X"  # not in the grant


def test_only_visible_customers_come_out_whatever_queryset_is_passed(org, make_user):
    everything = Customer.objects.all()
    assert set(export(org["head"], everything)[1]) == {"SH-000001", "SH-000002", "BJ-000001", "SH-000003"}
    assert set(export(org["supervisor"], everything)[1]) == {"SH-000001", "SH-000002"}  # own unit, not secret
    assert set(export(org["rep"], everything)[1]) == {"SH-000001", "SH-000002"}  # owned and the unit's pool
    assert set(export(make_user(r.SALES_REP, units=[org["bj"]]))[1]) == set()  # the BJ customer has an owner
    assert set(export(None, everything)[1]) == set()


def test_the_policy_is_asked_once_per_batch_not_once_per_row(org):
    supervisor = org["supervisor"]
    export(supervisor)  # the user's roles and units are cached on it after the first call

    def queries():
        with CaptureQueriesContext(connection) as captured:
            export(supervisor)
        return len(captured)

    few = queries()
    for i in range(15):
        CustomerFactory(unit=org["sh"], created_by=org["rep"], customer_code=f"SH-1{i:05d}")
    assert queries() == few <= 10


def test_tablib_export_uses_the_same_cells(org):
    dataset = CustomerExportResource(user=org["supervisor"]).export(Customer.objects.order_by("customer_code"))
    assert dataset.headers[0] == "客户代码"
    first = dict(zip(dataset.headers, dataset[0]))
    assert first["客户名称/店铺名称"] == "'" + FORMULA and first["手机号"] == "139****5678"
    assert len(dataset) == 2


# --- the service, the view and the admin ------------------------------------------------------------
def test_only_the_marketing_head_and_superusers_export_directly(org, make_user):
    assert permissions.can_export_directly(org["head"])
    assert permissions.can_export_directly(make_user(is_superuser=True))
    for role in set(r.ROLES) - {r.MARKETING_HEAD}:
        assert not permissions.can_export_directly(make_user(role)), role
    assert not permissions.can_export_directly(make_user(r.MARKETING_HEAD, is_active=False))
    with pytest.raises(services.CustomerError):
        services.export_customers(actor=org["supervisor"], params={})
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_list_export_is_the_filtered_list_and_is_audited(client, org):
    client.force_login(org["head"])
    response = client.get(reverse("customers:export"), {"tier": "C", "unit": org["sh"].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = sheet_of(response.content)
    assert org["head"].username in ws["A1"].value
    assert sorted(c.value for c in ws["A"][2:]) == ["SH-000001", "SH-000002"]  # not BJ, not the secret A-tier one
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == org["head"]
    assert sorted(entry.customer_ids) == sorted([org["owned"].pk, org["pool"].pk])
    assert entry.detail == {"rows": 2, "filter": {"tier": "C", "unit": str(org["sh"].pk)}}
    client.get(reverse("customers:export"), {"q": "SH-000001"})
    assert AuditEntry.objects.filter(action="export").count() == 2
    assert AuditEntry.objects.filter(action="export").latest("pk").customer_ids == [org["owned"].pk]


def test_others_are_refused_and_sent_to_a_data_request(client, org):
    client.force_login(org["supervisor"])
    response = client.get(reverse("customers:export"), {"tier": "C"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "营销部长" in page or "marketing head" in page
    assert reverse("confidentiality:request_new") + "?scope=filter&amp;form=export&amp;filter_query=tier%3DC" in page
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_button_shows_only_for_direct_exporters(client, org):
    client.force_login(org["head"])
    assert 'data-testid="export-xlsx"' in client.get(reverse("customers:list"), {"tier": "C"}).content.decode()
    client.force_login(org["rep"])
    assert 'data-testid="export-xlsx"' not in client.get(reverse("customers:list")).content.decode()


def test_an_export_over_the_cap_is_refused_with_a_message(client, org, monkeypatch):
    monkeypatch.setattr(services, "EXPORT_ROW_CAP", 1)
    client.force_login(org["head"])
    response = client.get(reverse("customers:export"), {"unit": org["sh"].pk})
    assert response.status_code == 302 and response["Location"] == f"{reverse('customers:list')}?unit={org['sh'].pk}"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == gettext("More than %(cap)s customers match. Narrow the filter and export in parts.") % {"cap": "1"}
    assert not AuditEntry.objects.filter(action="export").exists()


def test_the_admin_exports_the_chosen_columns_through_the_same_rules(client, org, make_user):
    admin_user = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin_user)
    url = reverse("admin:customers_customer_export")
    assert url in client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "format": "0", "resource": "0",
        "customerexportresource_customer_code": "on", "customerexportresource_mobile": "on",
    })
    assert response.status_code == 200, response.content[:500]
    rows = list(sheet_of(response.content).iter_rows(values_only=True))
    assert rows[1] == ("客户代码", "手机号")
    assert {row[0] for row in rows[2:]} == {"SH-000001", "SH-000002", "BJ-000001", "SH-000003"}
    assert dict(row for row in rows[2:])["SH-000001"] == "139****5678"  # the admin owns nothing: masked
    assert AuditEntry.objects.filter(action="export", actor=admin_user).count() == 1


def test_the_admin_export_is_closed_to_staff_who_may_not_export(client, make_user):
    staff = make_user(r.ADMIN, is_staff=True)
    from crm.services import sync_role_groups

    sync_role_groups()
    client.force_login(staff)
    assert client.get(reverse("admin:customers_customer_export")).status_code == 403
