"""customers.importing: the customer resource's cleaning, cross-field rules and updates, through the
import services with small sheets (openpyxl, in tmp_path)."""
import pytest
from django.utils import translation

from crm import roles as r
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer, CustomerChange
from customers.tests.factories import VALID_ID, CustomerFactory, with_check_digit
from imports import services
from imports.models import ImportRow
from imports.tests import sheets
from imports.tests.sheets import preview, rows_by_number
from imports.tests.fixtures import media, admin, zhang  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
S = ImportRow.Status


@pytest.fixture
def manager(make_user, unit):
    return make_user(r.SALES_MANAGER, units=[unit], username="manager")


@pytest.fixture
def run(tmp_path, admin, unit):
    """Preview a sheet given as rows (header first) in English; {row number: ImportRow}."""
    counter = iter(range(1000))

    def run(rows, actor=None, mode="draft", owner=None, mapping=None, into=None, defaults=None):
        path = sheets.plain_xlsx(tmp_path / f"sheet{next(counter)}.xlsx", rows)
        with translation.override("en"):
            job = preview(actor or admin, path, into or unit, mode=mode, owner=owner, mapping=mapping, defaults=defaults)
        run.job = job
        return rows_by_number(job)

    return run


def messages(row):
    return [(field, cell) for field, cell, _text in row.messages]


# --- routing and cleaning ---------------------------------------------------------------------

def test_a_landline_in_the_only_phone_column_goes_to_the_landline(run):
    rows = run([["客户名称", "联系电话"], ["华联", "021-12345678"], ["好德", "13800138000/021-7654321"], ["罗森", 13900139000]])
    assert run.job.mapping == {"0": "name", "1": "mobile"}
    assert (rows[2].status, rows[2].data.get("mobile"), rows[2].data["landline"]) == (S.NEW, None, "02112345678")
    assert (rows[3].data["mobile"], rows[3].data["landline"]) == ("13800138000", "0217654321")
    assert rows[4].data["mobile"] == "13900139000"


def test_tier_spellings(run):
    rows = run([["客户名称", "客户等级", "手机"],
                ["甲", "a", "13800000001"], ["乙", "Ｃ", "13800000002"], ["丙", "重要客户", "13800000003"],
                ["丁", "VIP", "13800000004"], ["戊", "钻石客户", "13800000005"], ["己", "普通", "13800000006"],
                ["庚", "S", "13800000007"]])
    assert [rows[n].data.get("tier") for n in range(2, 8)] == ["A", "C", "B", "A", "A", "E"]
    assert messages(rows[8]) == [("tier", "B8")]
    assert "“S” is not one of the choices" in rows[8].messages[0][2]


def test_a_customer_needs_a_name(run):
    rows = run([["客户名称", "手机"], ["华联", "13800000001"], [None, "13800000002"]])
    assert rows[2].status == S.NEW
    assert messages(rows[3]) == [("name", "A3")]
    assert "needs a name" in rows[3].messages[0][2]


def test_id_number_decides_birth_date_and_gender_and_must_agree(run):
    rows = run([["客户名称", "客户性质", "身份证号", "出生日期", "性别", "手机"],
                ["甲", "个人", VALID_ID, None, None, "13800000001"],
                ["乙", "个人", VALID_ID.lower(), "1950-01-01", None, "13800000002"],
                ["丙", "个人", VALID_ID, "1949.12.31", "男", "13800000003"]])
    assert (rows[2].data["birth_date"], rows[2].data["gender"], rows[2].data["id_number"]) == ("1949-12-31", "female", VALID_ID)
    assert messages(rows[3]) == [("birth_date", "D3")]
    assert "1949-12-31" in rows[3].messages[0][2]
    assert messages(rows[4]) == [("gender", "E4")]


def test_id_numbers_are_judged_as_on_the_form(run):
    pudong, nanshan = with_check_digit("31011519850101001"), with_check_digit("44030519750315002")
    unknown_county = with_check_digit("31019919850101001")
    bad = [with_check_digit("31011519850101001")[:-1] + ("0" if pudong[-1] != "0" else "1"),  # wrong check digit
           with_check_digit("11010519850230001"), with_check_digit("11010521000101001"),
           with_check_digit("99010519850101001")]
    rows = run([["客户名称", "客户性质", "身份证号", "手机"],
                ["甲", "个人", pudong, "13800000001"], ["乙", "个人", nanshan, "13800000002"],
                ["丙", "个人", unknown_county, "13800000003"],
                *[[f"错{i}", "个人", number, f"1390000000{i}"] for i, number in enumerate(bad)]])
    assert [rows[n].status for n in (2, 3, 4)] == [S.NEW, S.NEW, S.NEW]
    assert (rows[2].data["birth_date"], rows[3].data["birth_date"]) == ("1985-01-01", "1975-03-15")
    assert rows[4].messages == [["id_number", "C4", "The county code 310199 of this ID number is not in the division table; please check the number."]]
    from imports.selectors import RowWords

    assert [r.text for r in RowWords(run.job).reasons(rows[4], {})] == [rows[4].messages[0][2]]  # page and report
    texts = [rows[n].messages[0][2] for n in (5, 6, 7, 8)]
    assert [rows[n].status for n in (5, 6, 7, 8)] == [S.ERROR] * 4
    assert texts == ["The check digit of this ID number is wrong; please check the number.",
                     "The birth date in this ID number (digits 7-14) is not a real date.",
                     "The birth date in this ID number lies in the future.",
                     "The first two digits of this ID number are not a province code."]


def test_an_id_number_excel_turned_into_a_number(run):
    rows = run([["客户名称", "客户性质", "身份证号", "手机"], ["甲", "个人", 110105194912310000.0, "13800000001"]])
    assert messages(rows[2]) == [("id_number", "C2")]
    assert "15 digits" in rows[2].messages[0][2]


def test_an_id_number_is_kept_without_a_nature_column(run):
    rows = run([["客户名称", "身份证号", "手机"], ["华联", VALID_ID, "13800000001"]])
    assert rows[2].data.get("id_number") == VALID_ID
    assert rows[2].data.get("gender") == "female"


def test_fields_that_do_not_apply_are_dropped(run):
    """营业面积 applies to retail stores and dealers only, as on the form."""
    rows = run([["客户名称", "档案类型", "营业面积（㎡）", "手机"],
                ["甲", "零售户", "80㎡", "13800000001"], ["乙", "普通客户", "90", "13800000002"]])
    assert rows[2].data["business_area"] == "80.00"
    assert "business_area" not in rows[3].data and rows[3].status == S.NEW


def test_amounts_written_in_ten_thousands(run):
    rows = run([["客户名称", "档案类型", "月均销售额", "注册资金", "手机"], ["甲", "经销商", "3万元", "50万元", "13800000001"]])
    assert rows[2].data["monthly_sales_estimate"] == "30000.00"
    assert rows[2].data["registered_capital"] == "50.00"


def test_a_year_alone_in_a_date_column(run):
    rows = run([["客户名称", "建档日期", "手机"], ["甲", 2016, "13800000001"]])
    assert messages(rows[2]) == [("registered_on", "B2")]
    assert "is a year" in rows[2].messages[0][2]


def test_staff_names(run, make_user, unit, zhang):
    make_user(r.SALES_REP, units=[unit], username="wangfang1", first_name="芳", last_name="王")
    make_user(r.SALES_REP, units=[unit], username="wangfang2", first_name="芳", last_name="王")
    rows = run([["客户名称", "客户经理", "手机"],
                ["甲", "张伟", "13800000001"], ["乙", "ZhangWei", "13800000002"], ["丙", "王芳", "13800000003"],
                ["丁", "wangfang2", "13800000004"], ["戊", "李四", "13800000005"]])
    assert rows[2].data["account_manager_id"] == zhang.pk
    assert rows[3].data["account_manager_id"] == zhang.pk
    assert messages(rows[4]) == [("account_manager", "B4")] and "username" in rows[4].messages[0][2]
    assert rows[5].status == S.NEW
    assert messages(rows[6]) == [("account_manager", "B6")]


def test_the_chosen_owner_when_the_sheet_names_none(run, zhang):
    rows = run([["客户名称", "手机"], ["甲", "13800000001"]], owner=zhang)
    assert rows[2].data["account_manager_id"] == zhang.pk


def test_unit_column(run, make_user, unit):
    other = OrgUnitFactory(code="BJ01", name="北京分公司")
    cs = make_user(r.CS_SPECIALIST, units=[unit], username="cs")
    rows = run([["客户名称", "所属单位", "手机"], ["甲", "bj01", "13800000001"], ["乙", "火星分公司", "13800000002"],
                ["丙", None, "13800000003"]])
    assert (rows[2].status, rows[2].unit_id) == (S.NEW, other.pk)
    assert messages(rows[3]) == [("unit", "B3")]
    assert rows[4].unit_id == unit.pk  # the job's unit
    rows = run([["客户名称", "所属单位", "手机"], ["甲", "北京分公司", "13800000001"]], actor=cs)
    assert messages(rows[2]) == [("unit", "B2")] and "may not import into" in rows[2].messages[0][2]


# --- duplicates ---------------------------------------------------------------------------------

def test_duplicates_by_id_number_and_by_name_and_region(run, unit):
    by_id = CustomerFactory(unit=unit, id_number=VALID_ID, mobile="13911110000")
    by_name = CustomerFactory(unit=unit, name="华联超市", admin_region="310101", mobile="13911110001")
    rows = run([["客户名称", "客户性质", "身份证号", "行政区域", "手机"],
                ["新客户", "个人", VALID_ID, None, None],
                ["华联 超市", None, None, "310101", None],  # no phone or ID: the name and region decide
                ["华联超市", None, None, "310104", None],  # same name, another district: new
                ["华联超市", None, None, "310104", None]])  # …and again within the file
    assert (rows[2].status, rows[2].target_id, rows[2].dup_key) == (S.DUPLICATE, by_id.pk, "id_number")
    assert (rows[3].status, rows[3].target_id, rows[3].dup_key) == (S.DUPLICATE, by_name.pk, "name")
    assert rows[4].status == S.NEW
    assert (rows[5].status, rows[5].dup_row, rows[5].dup_key) == (S.DUPLICATE_IN_FILE, 4, "name")


def test_a_cancelled_customer_is_not_a_duplicate(run, unit):
    CustomerFactory(unit=unit, mobile="13800000001", customer_status="cancelled")
    rows = run([["客户名称", "手机"], ["甲", "13800000001"]])
    assert rows[2].status == S.NEW


# --- updates --------------------------------------------------------------------------------------

def test_update_changes_only_the_filled_cells(run, manager, unit):
    customer = CustomerFactory(unit=unit, customer_code="SH01-000009", tier="C", contact_name="老王", address="旧地址1号")
    rows = run([["客户代码", "客户名称", "客户等级", "联系人", "地址"], ["SH01-000009", None, "B", None, "新地址2号"]], actor=manager)
    assert (rows[2].status, rows[2].target_id, rows[2].data) == (S.UPDATE, customer.pk, {"tier": "B", "address": "新地址2号"})
    services.start_commit(actor=manager, job_id=run.job.pk)
    customer.refresh_from_db()
    assert (customer.tier, customer.address, customer.contact_name) == ("B", "新地址2号", "老王")
    assert set(CustomerChange.objects.filter(customer=customer).values_list("field", flat=True)) == {"tier", "address"}


def test_update_of_an_unknown_code_or_a_customer_the_importer_may_not_edit(run, make_user, unit):
    beijing = OrgUnitFactory(code="BJ01")
    cs_other_unit = make_user(r.CS_SPECIALIST, units=[beijing], username="cs_bj")
    CustomerFactory(unit=unit, customer_code="SH01-000010")
    rows = run([["客户代码", "客户名称", "客户等级"], ["SH01-999999", None, "A"]], actor=make_user(r.SALES_MANAGER, username="m2"))
    assert messages(rows[2]) == [("customer_code", "A2")] and "No customer has the code" in rows[2].messages[0][2]
    rows = run([["客户代码", "客户名称", "客户等级"], ["SH01-000010", None, "A"]], actor=cs_other_unit, into=beijing)
    assert messages(rows[2]) == [("customer_code", "A2")]
    assert not CustomerChange.objects.exists()


def test_an_update_the_customer_changed_since_the_preview_is_refused(run, manager, unit):
    customer = CustomerFactory(unit=unit, customer_code="SH01-000011", tier="C")
    run([["客户代码", "客户名称", "客户等级"], ["SH01-000011", None, "A"]], actor=manager)
    customer.contact_name = "改过了"
    customer.save()
    with translation.override("en"), pytest.raises(services.ImportRefused) as caught:
        services.start_commit(actor=manager, job_id=run.job.pk)
    assert "run the preview again" in str(caught.value)
    customer.refresh_from_db()
    assert customer.tier == "C"


def test_new_rows_a_customer_registered_since_the_preview_are_refused(run, unit):
    run([["客户名称", "手机"], ["甲", "13800000001"], ["乙", "13800000002"]])
    CustomerFactory(unit=unit, mobile="13800000002")
    with pytest.raises(services.ImportRefused):
        services.start_commit(actor=run.job.created_by, job_id=run.job.pk)
    assert not Customer.objects.filter(import_job=run.job).exists()


def test_an_import_update_writes_each_field_history_row_once(run, manager, unit):
    """Issue 11, item 1b: bulk_update runs through the queryset's update(), and each kept its own history."""
    customer = CustomerFactory(unit=unit, customer_code="SH01-000012", tier="C", address="旧地址1号")
    run([["客户代码", "客户名称", "客户等级", "地址"], ["SH01-000012", None, "B", "新地址2号"]], actor=manager)
    services.start_commit(actor=manager, job_id=run.job.pk)
    rows = list(CustomerChange.objects.filter(customer=customer).values_list("field", "old_value", "new_value"))
    assert sorted(rows) == [("address", "旧地址1号", "新地址2号"), ("tier", "C", "B")]


# --- issue 11, item 6: fields the importer may not see --------------------------------------------

def other_valid_id(birth: str = "19800101", serial: str = "001") -> str:
    from stdnum.cn import ric

    body = f"110105{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")


def notes(row):
    """(field, cell without its row number, text): what the row says, whichever row it is."""
    return [(field, cell.rstrip("0123456789"), text) for field, cell, text in row.messages]


def test_a_guess_at_a_masked_mobile_is_neither_confirmed_nor_written(run, manager, unit):
    """A manager sees these customers with the mobile masked: a right and a wrong guess read the
    same (unchanged, the mobile skipped), and the commit never writes the mobile."""
    right = CustomerFactory(unit=unit, customer_code="SH01-000020", mobile="13911112222", tier="C")
    wrong = CustomerFactory(unit=unit, customer_code="SH01-000021", mobile="13933334444", tier="C")
    mixed = CustomerFactory(unit=unit, customer_code="SH01-000022", mobile="13955556666", tier="C")
    rows = run([["客户代码", "客户名称", "手机", "客户等级"],
                ["SH01-000020", None, "13911112222", "C"],  # the right guess
                ["SH01-000021", None, "13900000000", "C"],  # a wrong guess
                ["SH01-000022", None, "13900000001", "B"]], actor=manager)  # a guess and a real change
    assert (rows[2].status, rows[2].data) == (rows[3].status, rows[3].data) == (S.UNCHANGED, {})
    assert notes(rows[2]) == notes(rows[3]) == [("mobile", "C", "Skipped: you may not see this field.")]
    assert (rows[4].status, rows[4].data, notes(rows[4])) == (S.UPDATE, {"tier": "B"}, notes(rows[2]))
    assert run.job.counts["unchanged"] == 2 and run.job.counts["updated"] == 1

    services.start_commit(actor=manager, job_id=run.job.pk)
    for customer, mobile in ((right, "13911112222"), (wrong, "13933334444"), (mixed, "13955556666")):
        customer.refresh_from_db()
        assert customer.mobile == mobile
    assert mixed.tier == "B"
    assert not CustomerChange.objects.filter(field="mobile").exists()


def test_the_skipped_field_is_said_in_chinese_on_the_page_and_in_the_report(tmp_path, manager, unit):
    from imports.selectors import described_rows, preview_page

    CustomerFactory(unit=unit, customer_code="SH01-000023", mobile="13911112222")
    path = sheets.plain_xlsx(tmp_path / "guess.xlsx", [["客户代码", "客户名称", "手机"], ["SH01-000023", None, "13911112222"]])
    with translation.override("zh-hans"):
        job = preview(manager, path, unit)
        (_row, _name, on_page), = preview_page(job, manager)["rows"]
        (_row, _name, in_report), = described_rows(job, manager)
    skipped = ("C2", "手机号", "已跳过：您无权查看此字段。")
    assert [(r.cell, r.field, r.text) for r in on_page][-1] == [(r.cell, r.field, r.text) for r in in_report][-1] == skipped


def test_an_owner_may_update_the_mobile_it_sees(run, manager, unit):
    customer = CustomerFactory(unit=unit, customer_code="SH01-000024", mobile="13911112222",
                               created_by=manager, account_manager=manager)
    rows = run([["客户代码", "客户名称", "手机"], ["SH01-000024", None, "13900000000"]], actor=manager)
    assert (rows[2].status, rows[2].data, rows[2].messages) == (S.UPDATE, {"mobile": "13900000000"}, [])
    services.start_commit(actor=manager, job_id=run.job.pk)
    customer.refresh_from_db()
    assert customer.mobile == "13900000000"


def test_a_masked_id_number_neither_changes_nor_betrays_the_birth_date_and_gender(run, manager, unit):
    """The birth date and gender an ID number implies are not taken from an ID number that is skipped."""
    customer = CustomerFactory(unit=unit, customer_code="SH01-000025", id_number=VALID_ID, birth_date="1949-12-31",
                               gender="female")
    rows = run([["客户代码", "客户名称", "身份证号"], ["SH01-000025", None, other_valid_id()],
                ["SH01-000025", None, VALID_ID]], actor=manager)
    assert (rows[2].status, rows[2].data, notes(rows[2])) == (S.UNCHANGED, {}, [("id_number", "C", "Skipped: you may not see this field.")])
    services.start_commit(actor=manager, job_id=run.job.pk)
    customer.refresh_from_db()
    assert (customer.id_number, str(customer.birth_date), customer.gender) == (VALID_ID, "1949-12-31", "female")


def test_a_visible_id_number_still_brings_its_birth_date_and_gender(run, manager, unit):
    customer = CustomerFactory(unit=unit, customer_code="SH01-000026", id_number=VALID_ID, birth_date="1949-12-31",
                               gender="female", created_by=manager, account_manager=manager)
    new_id = other_valid_id()
    rows = run([["客户代码", "客户名称", "身份证号"], ["SH01-000026", None, new_id]], actor=manager)
    assert rows[2].status == S.UPDATE
    assert rows[2].data == {"id_number": new_id, "birth_date": "1980-01-01", "gender": "male"}
    assert customer.pk == rows[2].target_id


def test_a_customer_the_importer_may_not_see_reads_the_same_whatever_its_mobile(run, manager, unit):
    """The update path is no oracle either: a secret customer (the manager may not see it) refuses the
    row with the same words for a right and a wrong guess."""
    CustomerFactory(unit=unit, customer_code="SH01-000027", mobile="13911112222", confidentiality_level="secret", tier="A")
    rows = run([["客户代码", "客户名称", "手机"], ["SH01-000027", None, "13911112222"]], actor=manager)
    again = run([["客户代码", "客户名称", "手机"], ["SH01-000027", None, "13900000000"]], actor=manager)
    assert rows[2].status == again[2].status == S.ERROR
    assert rows[2].messages == again[2].messages and [m[0] for m in rows[2].messages] == ["customer_code"]


def test_an_import_may_raise_the_confidentiality_level_but_not_lower_it(run, manager, unit):
    confidential = CustomerFactory(unit=unit, customer_code="SH01-000028", tier="B", confidentiality_level="confidential")
    CustomerFactory(unit=unit, customer_code="SH01-000029", tier="C", confidentiality_level="internal")
    rows = run([["客户代码", "客户名称", "密级"], ["SH01-000028", None, "内部"], ["SH01-000029", None, "秘密"]], actor=manager)
    assert messages(rows[2]) == [("confidentiality_level", "C2")]
    assert "cannot lower the confidentiality level" in rows[2].messages[0][2]
    assert (rows[3].status, rows[3].data) == (S.UPDATE, {"confidentiality_level": "confidential"})
    services.start_commit(actor=manager, job_id=run.job.pk)
    confidential.refresh_from_db()
    assert confidential.confidentiality_level == "confidential"


def test_a_lower_tier_in_an_import_leaves_the_level_where_it_is(run, manager, unit):
    """The level a tier implies is no request to lower it: the tier changes, the level stays (a guard)."""
    kept = CustomerFactory(unit=unit, customer_code="SH01-000031", tier="B", confidentiality_level="confidential")
    rows = run([["客户代码", "客户名称", "客户等级"], ["SH01-000031", None, "C"]], actor=manager)
    assert rows[2].status == S.UPDATE and rows[2].data == {"tier": "C"}
    services.start_commit(actor=manager, job_id=run.job.pk)
    kept.refresh_from_db()
    assert (kept.tier, kept.confidentiality_level) == ("C", "confidential")


# --- defaults for empty cells (issue 13 §3) ----------------------------------------------------------

NO_REGION_NOR_NATURE = [["客户名称", "联系人", "手机", "经营地址", "客户等级"],
                        ["华联超市", "王芳", "13800000001", "南京东路1号", "C"],
                        ["好德便利", "李强", "13800000002", "南京东路2号", "D"],
                        ["罗森", "赵敏", "13800000003", "南京东路3号", None]]


def test_an_active_import_without_region_or_nature_columns_fails_every_row_without_defaults(run):
    rows = run(NO_REGION_NOR_NATURE, mode="active")
    assert {row.status for row in rows.values()} == {S.ERROR}
    assert {"customer_nature", "admin_region"} <= {field for field, _cell, _text in rows[2].messages}


def test_an_active_import_without_region_or_nature_columns_succeeds_with_defaults(run, admin):
    rows = run(NO_REGION_NOR_NATURE, mode="active",
               defaults={"admin_region": "黄浦区", "customer_nature": "个体", "tier": "E"})
    assert [row.status for row in rows.values()] == [S.NEW, S.NEW, S.NEW]
    assert run.job.defaults == {"admin_region": "310101", "customer_nature": "sole_proprietor", "tier": "E"}
    # only empty cells: rows 2 and 3 keep their own tier, row 4 (empty) gets the default
    assert [rows[n].data["tier"] for n in (2, 3, 4)] == ["C", "D", "E"]
    assert run.job.counts["defaults"] == {"admin_region": 3, "customer_nature": 3, "tier": 1}
    assert sorted(field for field, _cell, _text in rows[4].messages) == ["admin_region", "customer_nature", "tier"]  # jsonb keeps no key order
    assert "310101" in rows[2].messages[0][2]
    job = services.start_commit(actor=admin, job_id=run.job.pk)
    assert job.status == "committed"
    created = Customer.objects.filter(import_job=job).order_by("import_row")
    assert [(c.admin_region, c.customer_nature, c.tier, c.registration_status, c.customer_status) for c in created] == [
        ("310101", "sole_proprietor", "C", "approved", "active"),
        ("310101", "sole_proprietor", "D", "approved", "active"),
        ("310101", "sole_proprietor", "E", "approved", "active"),
    ]
    assert all(c.customer_code for c in created)


def test_a_default_never_replaces_a_value_nor_a_wrong_cell(run):
    rows = run([["客户名称", "行政区域", "手机"], ["甲", "310104", "13800000001"], ["乙", "火星", "13800000002"],
                ["丙", None, "13800000003"]], defaults={"admin_region": "310101"})
    assert rows[2].data["admin_region"] == "310104" and rows[2].messages == []
    assert rows[3].status == S.ERROR and [f for f, _c, _t in rows[3].messages] == ["admin_region"]
    assert rows[4].data["admin_region"] == "310101"


def test_a_default_applies_to_new_rows_only(run, unit, admin):
    customer = CustomerFactory(unit=unit, account_manager=admin, address="", customer_code="SH01-000777")
    rows = run([["客户代码", "客户名称"], ["SH01-000777", customer.name]], defaults={"address": "待补充"})
    assert rows[2].status == S.UNCHANGED
    assert "address" not in rows[2].data


def test_a_wrong_default_is_refused_with_the_field_and_reason(run, admin, tmp_path, unit):
    path = sheets.plain_xlsx(tmp_path / "s.xlsx", NO_REGION_NOR_NATURE)
    job = services.create_import(actor=admin, upload=sheets.upload(path))
    with translation.override("en"), pytest.raises(services.ImportRefused, match="Default for “Customer nature”"):
        services.set_mapping(actor=admin, job_id=job.pk, mapping=job.mapping, mode="active", unit=unit,
                             defaults={"customer_nature": "外星人"})
    with pytest.raises(services.ImportRefused):
        services.set_mapping(actor=admin, job_id=job.pk, mapping=job.mapping, mode="active", unit=unit,
                             defaults={"mobile": "13800000009"})
    job.refresh_from_db()
    assert job.defaults == {}


# --- the sheets' own words for choices (issue 13) ---------------------------------------------

def test_choice_synonyms_are_data_naming_real_choices_without_clashes():
    from customers.catalogue import CATALOGUE
    from customers.choice_labels import choice_label
    from customers.importing import PROFILE_LABELS, choice_synonyms
    from imports.normalise import choice_key

    choices = {spec.code: set(spec.choices) for spec in CATALOGUE if spec.type == "choice"}
    choices["profile_type"] = set(PROFILE_LABELS)
    for field, pairs in choice_synonyms().items():
        seen = {}
        for value in choices[field]:  # a synonym never takes another choice's code or label
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    seen[choice_key(choice_label(field, value))] = value
            seen[choice_key(value)] = value
        for spelling, value in pairs:
            assert value in choices[field], (field, value)
            assert seen.setdefault(choice_key(spelling), value) == value, (field, spelling)


def test_the_everyday_words_of_legacy_sheets_map_without_help(run):
    words = {"customer_source": {"来电": "phone_inquiry", "来访": "walk_in", "老客户介绍": "referral_by_customer",
                                 "展会": "event", "朋友介绍": "referral_by_customer", "网上": "telemarketing"},
             "customer_nature": {"个体": "sole_proprietor", "公司": "company"},
             "retail_format": {"烟酒店": "tobacco_liquor_shop", "便利店": "convenience_store"},
             "tier": {"重要客户": "B", "贵宾": "A", "金卡": "C"}}
    headers = {"customer_source": "客户来源", "customer_nature": "客户性质", "retail_format": "经营业态", "tier": "客户等级"}
    for field, spellings in words.items():
        rows = run([["客户名称", headers[field], "档案类型"], *[[f"店{i}", w, "零售户"] for i, w in enumerate(spellings)]])
        assert run.job.mapping["1"] == field  # 经营业态 applies to retail stores
        assert [rows[n].data.get(field) for n in range(2, 2 + len(spellings))] == list(spellings.values()), field


def test_defaults_and_unknown_values_are_counted_side_by_side_in_one_preview(run):
    """Both halves of issue 13 in one file: the default's rows and the values to map, each in its count."""
    rows = run(sheets.SOURCES, defaults={"tier": "E"})
    assert run.job.counts["values"] == {"customer_source": [
        {"value": "抖音", "count": 2, "rows": [6, 7]}, {"value": "老乡推荐", "count": 1, "rows": [8]}]}
    assert run.job.counts["defaults"] == {"tier": 4}  # the rows in error (unknown source) got none
    assert [rows[n].data.get("tier") for n in (2, 3, 4, 5)] == ["E"] * 4 and rows[6].status == S.ERROR
