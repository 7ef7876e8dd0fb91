"""The import pages: upload, mapping, preview, commit, report and progress, through the test client."""
from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from crm import roles as r
from crm.models import display_name
from crm.tests.factories import UserFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from imports.models import ImportJob, ImportRow, SavedMapping
from imports.resources import get_resource
from imports.tests import sheets

pytestmark = pytest.mark.django_db
MOBILE = get_resource("customers").label_of("mobile")  # 手机号

# A hand-kept sheet: a title row, a blank row, then the header (row 3) and the data.
MESSY = [
    ["2016年客户名单"],
    [],
    ["客户名称", "联系手机*", "联系人", "备注"],
    ["张三商店", "138 0000 1111", "张三", "老客户"],  # 4: new
    ["李四", "12345", "李四", None],  # 5: the mobile is wrong → error at B5
    ["王五", "13912345678", "王五", None],  # 6: an existing customer has this mobile
    ["张三商店", "13800001111", "张三", None],  # 7: repeats row 4
    [None, None, None, None],
    ["赵六", "13700002222", "赵六", None],  # 9: new
]


def xlsx(rows=MESSY, name="客户名单.xlsx", sheets=None) -> SimpleUploadedFile:
    wb = Workbook()
    wb.active.title = "客户"
    for row in rows:
        wb.active.append(row)
    for title, more in (sheets or {}).items():
        ws = wb.create_sheet(title)
        for row in more:
            ws.append(row)
    buffer = BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def admin(make_user, unit):
    return make_user(r.ADMIN, units=[unit])


@pytest.fixture
def rep_zhang(make_user, unit):
    return make_user(r.SALES_REP, units=[unit], username="zhangwei", last_name="张", first_name="伟")


@pytest.fixture
def existing(unit, rep_zhang):
    return CustomerFactory(unit=unit, created_by=rep_zhang, account_manager=rep_zhang, name="王五建材", mobile="13912345678")


def signed_in(client, user):
    client.force_login(user)
    return client


def upload(client, file=None) -> ImportJob:
    response = client.post(reverse("imports:list"), {"file": file or xlsx()})
    assert response.status_code == 302, response.content[:500]
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    return job


def preview_form(job, unit, **extra) -> dict:
    data = {f"col_{col}": code for col, code in job.mapping.items()}
    data.update({"mode": "draft", "unit": unit.pk, **extra})
    return data


def previewed(client, unit, file=None) -> ImportJob:
    job = upload(client, file)
    response = client.post(reverse("imports:preview", args=[job.pk]), preview_form(job, unit))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED, job.error
    return job


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_upload_finds_the_header_and_proposes_the_mapping(client, admin, unit):
    job = upload(signed_in(client, admin))
    assert job.header_row == 3 and job.mapping["0"] == "name" and job.mapping["1"] == "mobile"

    response = client.get(reverse("imports:detail", args=[job.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="header-row">3<' in html
    assert '<option value="name" selected>' in html and '<option value="mobile" selected>' in html
    assert "张三商店" in html and "138 0000 1111" in html  # sample values under the header
    assert 'value="active"' in html  # administrators may import directly as active


def test_the_active_mode_is_offered_to_administrators_only(client, make_user, unit):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    job = upload(signed_in(client, manager))
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'value="draft"' in html and 'value="active"' not in html


def test_preview_shows_the_counts_and_each_error_with_its_cell(client, admin, unit, existing):
    job = previewed(signed_in(client, admin), unit)
    assert job.counts == {"rows": 5, "new": 2, "updated": 0, "unchanged": 0, "duplicates": 2, "errors": 1, "skipped_blank": 1}

    response = client.get(reverse("imports:detail", args=[job.pk]))
    html = response.content.decode()
    assert 'data-count="errors"><div class="fs-5">1<' in html
    assert 'data-count="new"><div class="fs-5">2<' in html
    error = ImportRow.objects.get(job=job, row_no=5)
    assert error.status == "error" and error.messages[0][1] == "B5"
    assert f"{MOBILE} B5</span>: " + error.messages[0][2] in html
    assert 'data-testid="commit"' in html

    only_errors = client.get(reverse("imports:detail", args=[job.pk]) + "?status=error")
    assert [row.row_no for row, _name, _reasons in only_errors.context["rows"]] == [5]


def test_a_duplicate_the_importer_cannot_see_names_only_its_account_manager(client, admin, unit, existing, rep_zhang):
    job = previewed(signed_in(client, admin), unit)  # an administrator sees no customer records (DOMAIN §6)
    html = client.get(reverse("imports:detail", args=[job.pk]) + "?status=duplicate").content.decode()
    assert display_name(rep_zhang) == "张伟" and "张伟" in html
    assert existing.customer_code not in html and "王五建材" not in html
    assert reverse("customers:detail", args=[existing.pk]) not in html

    repeats = client.get(reverse("imports:detail", args=[job.pk]) + "?status=dup_in_file").context["rows"]
    [(row, _name, [reason])] = repeats
    assert row.row_no == 7 and reason.field == MOBILE and MOBILE in reason.text and "4" in reason.text


def test_a_duplicate_the_importer_can_see_links_to_the_customer(client, make_user, unit, existing):
    manager = make_user(r.SALES_MANAGER, units=[unit])
    job = previewed(signed_in(client, manager), unit)
    html = client.get(reverse("imports:detail", args=[job.pk]) + "?status=duplicate").content.decode()
    assert existing.customer_code in html and "王五建材" in html
    assert reverse("customers:detail", args=[existing.pk]) in html


def test_commit_creates_the_customers_and_says_so_a_second_commit_is_refused(client, admin, unit, existing):
    job = previewed(signed_in(client, admin), unit)
    before = Customer.objects.count()

    response = client.post(reverse("imports:commit", args=[job.pk]), follow=True)
    assert Customer.objects.count() == before + 2
    assert set(Customer.objects.filter(customer_source="legacy_import").values_list("name", flat=True)) == {"张三商店", "赵六"}
    assert 'data-testid="import-done"' in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED

    again = client.post(reverse("imports:commit", args=[job.pk]), follow=True)
    assert Customer.objects.count() == before + 2
    refusal = page_messages(again)
    assert len(refusal) == 1 and display_name(admin) in refusal[0]  # "already imported by …"
    assert 'data-testid="commit"' not in again.content.decode()


def test_a_renamed_pdf_is_refused_with_the_reason_and_nothing_is_kept(client, admin, media):
    fake = SimpleUploadedFile("客户.xlsx", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF")
    response = signed_in(client, admin).post(reverse("imports:list"), {"file": fake}, follow=True)
    assert response.status_code == 200
    message = page_messages(response)
    assert len(message) == 1 and "PDF" in message[0]
    assert message[0] in response.content.decode()
    assert ImportJob.objects.count() == 0
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_an_upload_without_a_file_is_refused(client, admin):
    response = signed_in(client, admin).post(reverse("imports:list"), {}, follow=True)
    assert len(page_messages(response)) == 1 and ImportJob.objects.count() == 0


def test_a_refused_mapping_keeps_the_choices_on_the_page(client, admin, unit):
    job = upload(signed_in(client, admin))
    data = preview_form(job, unit, col_2="name")  # the name twice
    response = client.post(reverse("imports:preview", args=[job.pk]), data)
    assert response.status_code == 200 and len(page_messages(response)) == 1
    html = response.content.decode()
    assert html.count('<option value="name" selected>') == 2
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED and job.mapping.get("2") != "name"


def test_the_mapping_can_be_saved_under_a_name_and_is_offered_again(client, admin, unit):
    job = upload(signed_in(client, admin))
    assert job.mapping["2"] == "contact_name"
    data = preview_form(job, unit, save_as="老系统导出", col_2="")  # 联系人: not imported
    client.post(reverse("imports:preview", args=[job.pk]), data)
    saved = SavedMapping.objects.get(name="老系统导出")
    assert saved.mapping == {"客户名称": "name", "联系手机*": "mobile"}
    assert upload(client).mapping == {"0": "name", "1": "mobile"}  # same headers: the saved mapping, not the guess


def test_a_workbook_with_several_sheets_offers_the_choice(client, admin):
    other = [["客户名称", "手机", "地址"], ["钱七", "13600003333", "上海"]]
    job = upload(signed_in(client, admin), xlsx(sheets={"二部": other}))
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="sheet-form"' in html and "二部" in html

    client.post(reverse("imports:sheet", args=[job.pk]), {"sheet": "二部"})
    job.refresh_from_db()
    assert job.sheet_name == "二部" and job.header_row == 1 and job.headers == ["客户名称", "手机", "地址"]
    response = client.post(reverse("imports:sheet", args=[job.pk]), {"sheet": "nope"}, follow=True)
    assert len(page_messages(response)) == 1


def test_cancel_before_the_preview(client, admin):
    job = upload(signed_in(client, admin))
    client.post(reverse("imports:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED


def test_the_report_lists_each_row_and_each_error_with_its_cell(client, admin, unit, existing):
    job = previewed(signed_in(client, admin), unit)
    response = client.get(reverse("imports:report", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(BytesIO(response.content), read_only=True)
    summary, rows = wb.worksheets
    assert ("客户名单.xlsx" in [c for line in summary.iter_rows(values_only=True) for c in line])
    lines = list(rows.iter_rows(values_only=True))
    assert len(lines[0]) == 6
    body = lines[1:]
    assert [line[0] for line in body] == [4, 5, 6, 7, 9]
    error = next(line for line in body if line[0] == 5)
    message = ImportRow.objects.get(job=job, row_no=5).messages[0][2]
    assert error[3] == "B5" and error[4] == MOBILE and error[5] == message
    duplicate = next(line for line in body if line[0] == 6)
    assert "张伟" in duplicate[5] and existing.customer_code not in duplicate[5]  # the viewer cannot see it


def test_report_text_is_formula_safe(client, admin, unit):
    rows = [["客户名称", "手机"], ["@SUM(A1)客户", "13800001111"]]
    job = previewed(signed_in(client, admin), unit, xlsx(rows))
    wb = load_workbook(BytesIO(client.get(reverse("imports:report", args=[job.pk])).content))
    names = [row[2].value for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert names == ["'@SUM(A1)客户"]


def test_a_large_file_runs_in_the_background_with_a_progress_bar(client, admin, unit, settings, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    from imports import services, tasks

    settings.CRM_IMPORT_INLINE_ROWS = 2
    queued = []

    class Queue:  # no broker in the tests: the task is recorded, and the test plays the worker
        @staticmethod
        def delay(job_id, *args):
            queued.append(job_id)

        @staticmethod
        def apply_async(args=(), **options):
            queued.append(args[0])

    monkeypatch.setattr(tasks, "preview_import", Queue)
    job = upload(signed_in(client, admin))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:preview", args=[job.pk]), preview_form(job, unit))
    assert queued == [job.pk]
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert reverse("imports:progress", args=[job.pk]) in html and 'hx-trigger="every 1s"' in html
    assert 'data-testid="cancel"' in html

    ImportJob.objects.filter(pk=job.pk).update(rows_total=10, rows_done=4)
    bar = client.get(reverse("imports:progress", args=[job.pk]))
    assert bar.status_code == 200 and "40%" in bar.content.decode() and "HX-Refresh" not in bar

    services.run_preview(job.pk)  # the worker
    done = client.get(reverse("imports:progress", args=[job.pk]))
    assert done.status_code == 200 and done["HX-Refresh"] == "true" and "100%" in done.content.decode()


def test_a_stopped_worker_is_shown_and_the_preview_can_run_again(client, admin, unit):
    job = upload(signed_in(client, admin))
    long_ago = timezone.now() - timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(status="previewing", heartbeat=long_ago, mapping={"0": "name", "1": "mobile"},
                                               unit=unit)
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-stale"' in html and 'hx-trigger="every 1s"' not in html
    assert client.get(reverse("imports:progress", args=[job.pk]))["HX-Refresh"] == "true"

    client.post(reverse("imports:preview", args=[job.pk]), {"again": "1"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED and job.counts["rows"] == 5


def test_cancel_while_running_asks_the_worker_to_stop(client, admin):
    job = upload(signed_in(client, admin))
    ImportJob.objects.filter(pk=job.pk).update(status="previewing", heartbeat=timezone.now())
    client.post(reverse("imports:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.cancel_requested and job.status == ImportJob.Status.PREVIEWING


def test_the_list_shows_own_jobs_and_administrators_see_all(client, admin, make_user, unit):
    specialist = make_user(r.CS_SPECIALIST, units=[unit])
    mine = upload(signed_in(client, specialist))
    theirs = upload(signed_in(client, make_user(r.SALES_MANAGER, units=[unit])))

    html = signed_in(client, specialist).get(reverse("imports:list")).content.decode()
    assert reverse("imports:detail", args=[mine.pk]) in html and reverse("imports:detail", args=[theirs.pk]) not in html
    html = signed_in(client, admin).get(reverse("imports:list")).content.decode()
    assert reverse("imports:detail", args=[mine.pk]) in html and reverse("imports:detail", args=[theirs.pk]) in html


@pytest.mark.parametrize("name, method", [
    ("imports:detail", "get"), ("imports:progress", "get"), ("imports:report", "get"), ("imports:preview", "post"),
    ("imports:commit", "post"), ("imports:cancel", "post"), ("imports:sheet", "post"),
])
def test_other_users_jobs_are_404(client, make_user, unit, admin, name, method):
    job = upload(signed_in(client, make_user(r.SALES_MANAGER, units=[unit])))
    other = make_user(r.CS_SPECIALIST, units=[unit])
    response = getattr(signed_in(client, other), method)(reverse(name, args=[job.pk]))
    assert response.status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.UPLOADED
    if method == "get":
        assert signed_in(client, admin).get(reverse(name, args=[job.pk])).status_code == 200


def test_a_sales_rep_may_not_import(client, make_user, unit, admin):
    job = upload(signed_in(client, admin))
    rep = make_user(r.SALES_REP, units=[unit])
    signed_in(client, rep)
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.post(reverse("imports:list"), {"file": xlsx()}).status_code == 403
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 403
    assert ImportJob.objects.count() == 1


def test_anonymous_users_are_sent_to_sign_in(client):
    assert client.get(reverse("imports:list")).status_code == 302


def test_the_navigation_offers_the_import_to_importers_only(client, make_user, unit):
    url = reverse("imports:list")
    assert f'href="{url}"' in signed_in(client, make_user(r.CS_SPECIALIST, units=[unit])).get(reverse("home")).content.decode()
    assert f'href="{url}"' not in signed_in(client, make_user(r.SALES_REP, units=[unit])).get(reverse("home")).content.decode()


def test_the_customer_admin_links_to_the_import_and_jobs_are_read_only_there(client, unit):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    signed_in(client, superuser)
    html = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert 'data-testid="admin-import-link"' in html and reverse("imports:list") in html
    upload(client)
    assert client.get(reverse("admin:imports_importjob_changelist")).status_code == 200
    assert client.get(reverse("admin:imports_importjob_add")).status_code == 403
    assert client.get(reverse("admin:imports_savedmapping_changelist")).status_code == 200


def test_the_admin_role_reads_jobs_and_edits_saved_mappings_in_the_admin(client, admin, unit):
    from crm.services import sync_role_groups

    sync_role_groups()
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    job = upload(signed_in(client, admin))
    data = preview_form(job, unit, save_as="老系统")
    client.post(reverse("imports:preview", args=[job.pk]), data)
    saved = SavedMapping.objects.get()
    assert client.get(reverse("admin:imports_importjob_changelist")).status_code == 200
    assert client.get(reverse("admin:imports_importjob_change", args=[job.pk])).status_code == 200  # view only
    assert client.post(reverse("admin:imports_importjob_delete", args=[job.pk])).status_code == 403
    assert client.get(reverse("admin:imports_savedmapping_change", args=[saved.pk])).status_code == 200
    client.post(reverse("admin:imports_savedmapping_change", args=[saved.pk]),
                {"name": "老系统 2016", "resource": "customers", "mapping": '{"客户名称": "name"}'})
    saved.refresh_from_db()
    assert saved.name == "老系统 2016" and saved.mapping == {"客户名称": "name"}
    change = reverse("admin:imports_savedmapping_change", args=[saved.pk])
    form = {"name": "老系统 2016", "resource": "customers", "mapping": '{"客户名称": "name"}'}
    for bad in ('{"customer_source": {"抖音": "tiktok"}}', '{"customer_source": {"抖音": ""}}', '{"name": {"x": "y"}}', "[1]"):
        response = client.post(change, {**form, "value_map": bad})
        assert response.status_code == 200 and response.context["adminform"].form.errors  # refused, with the reason
    client.post(change, {**form, "value_map": '{"customer_source": {"抖音": "outdoor_marketing"}, "retail_format": {"其他": ""}}'})
    saved.refresh_from_db()
    assert saved.value_map == {"customer_source": {"抖音": "outdoor_marketing"}, "retail_format": {"其他": ""}}


def test_the_pages_work_in_english(client, admin, unit):
    signed_in(client, admin).post(reverse("set_language"), {"language": "en"})
    job = upload(client)
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert '<html lang="en">' in html and "— do not import —" in html and "Mobile" in html
    client.post(reverse("imports:preview", args=[job.pk]), preview_form(job, unit))
    cell, message = ImportRow.objects.get(job=job, row_no=5).messages[0][1:]
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert cell == "B5" and f"Mobile phone B5</span>: {message}" in html and not any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_the_mapping_page_shows_the_samples_without_reading_the_file_again(client, admin, unit, monkeypatch):
    """Issue 11: the sample cells are kept on the job when the file is read at upload; the page never
    unpacks the file again (a big .xlsx cost a full unzip per page view)."""
    from imports import readers, selectors

    job = upload(signed_in(client, admin))

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read again")

    monkeypatch.setattr(readers, "open_sheet", no_reading)
    monkeypatch.setattr(selectors, "open_sheet", no_reading, raising=False)
    response = client.get(reverse("imports:detail", args=[job.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "张三商店 · 李四 · 王五" in html and "138 0000 1111" in html
    response = client.post(reverse("imports:preview", args=[job.pk]), {**preview_form(job, unit), "unit": ""})
    assert response.status_code == 200 and "张三商店 · 李四 · 王五" in response.content.decode()  # a refused mapping
    job.refresh_from_db()
    assert job.samples["0"] == ["张三商店", "李四", "王五"] and job.samples["1"][0] == "138 0000 1111"


# --- defaults for empty cells (issue 13 §3) ----------------------------------------------------------

NO_REGION = [["客户名称", "联系人", "手机", "经营地址", "客户等级"], ["华联超市", "王芳", "13800000001", "南京东路1号", "C"],
             ["好德便利", "李强", "13800000002", "南京东路2号", None]]


def test_the_options_step_offers_defaults_for_the_required_fields_the_file_lacks(client, admin, unit):
    CustomerFactory(unit=unit, admin_region="310104")  # the unit's usual region is suggested
    job = upload(signed_in(client, admin), xlsx(NO_REGION))
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'name="default_admin_region"' in html and 'name="default_customer_nature"' in html
    assert 'data-default="admin_region"' in html and "310104 上海市 徐汇区" in html
    missing = {field.code for field, _value, mapped in client.get(
        reverse("imports:detail", args=[job.pk])).context["default_inputs"] if not mapped}
    assert {"admin_region", "customer_nature", "customer_source"} <= missing and "tier" not in missing


def test_an_active_import_with_defaults_shows_them_in_the_preview_and_report_and_succeeds(client, admin, unit):
    job = upload(signed_in(client, admin), xlsx(NO_REGION))
    data = preview_form(job, unit, mode="active", default_admin_region="310101 上海市 黄浦区",
                        default_customer_nature="sole_proprietor", default_tier="E")
    assert client.post(reverse("imports:preview", args=[job.pk]), data).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED and job.counts["new"] == 2 and job.counts["errors"] == 0
    html = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="default-lines"' in html
    assert "310101 上海市 黄浦区" in html and "个体工商户" in html
    wb = load_workbook(BytesIO(client.get(reverse("imports:report", args=[job.pk])).content), read_only=True)
    summary = {line[0]: line[1] for line in wb.worksheets[0].iter_rows(values_only=True)}
    region_line = next(value for key, value in summary.items() if "行政区域" in str(key))
    assert "310101" in region_line and "2" in region_line
    details = [line[5] for line in wb.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert any("默认" in (text or "") for text in details)
    client.post(reverse("imports:commit", args=[job.pk]))
    assert Customer.objects.filter(admin_region="310101", customer_nature="sole_proprietor",
                                   registration_status="approved").count() == 2


def test_a_wrong_default_is_refused_and_the_typed_values_stay_on_the_page(client, admin, unit):
    job = upload(signed_in(client, admin), xlsx(NO_REGION))
    data = preview_form(job, unit, default_admin_region="火星", default_address="待补充")
    response = client.post(reverse("imports:preview", args=[job.pk]), data)
    assert response.status_code == 200 and len(page_messages(response)) == 1
    assert "行政区域" in page_messages(response)[0]
    html = response.content.decode()
    assert 'value="火星"' in html and 'value="待补充"' in html
    job.refresh_from_db()
    assert job.defaults == {} and job.status == ImportJob.Status.UPLOADED


# --- value mapping (issue 13) ---------------------------------------------------------------------

def value_choices(response) -> dict[str, str]:
    """{value as written: its form field name} in the value-mapping form."""
    return {entry["value"]: name for name, _code, entry in response.context["value_form"].entries}


def test_values_in_a_sheets_own_words_are_mapped_and_saved_for_the_next_file(client, admin, unit):
    signed_in(client, admin)
    job = previewed(client, unit, xlsx(sheets.SOURCES, name="2016来源.xlsx"))
    assert job.counts["new"] == 4 and job.counts["errors"] == 3  # the everyday words map without help
    assert job.counts["values"] == {"customer_source": [
        {"value": "抖音", "count": 2, "rows": [6, 7]}, {"value": "老乡推荐", "count": 1, "rows": [8]}]}
    response = client.get(reverse("imports:detail", args=[job.pk]))
    html = response.content.decode()
    assert 'data-testid="value-mapping"' in html and "抖音" in html and "老乡推荐" in html
    fields = value_choices(response)

    response = client.post(reverse("imports:values", args=[job.pk]), {
        fields["抖音"]: "outdoor_marketing", fields["老乡推荐"]: "referral_by_customer", "save_as": "2016 来源"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.counts["new"], job.counts["errors"], "values" in job.counts) == ("previewed", 7, 0, False)
    sources = dict(ImportRow.objects.filter(job=job).values_list("row_no", "data__customer_source"))
    assert sources == {2: "phone_inquiry", 3: "event", 4: "referral_by_customer", 5: "referral_by_customer",
                       6: "outdoor_marketing", 7: "outdoor_marketing", 8: "referral_by_customer"}
    saved = SavedMapping.objects.get(name="2016 来源")
    assert saved.value_map == {"customer_source": {"抖音": "outdoor_marketing", "老乡推荐": "referral_by_customer"}}

    again = previewed(client, unit, xlsx(sheets.SOURCES, name="2017来源.xlsx"))  # same headers: the saved maps apply
    assert again.value_map == saved.value_map and (again.counts["new"], again.counts["errors"]) == (7, 0)
    assert "老乡推荐" in client.get(reverse("imports:detail", args=[again.pk])).content.decode()  # listed as mapped


def test_a_required_field_cannot_map_to_blank_and_a_made_up_choice_is_refused(client, admin, unit):
    signed_in(client, admin)
    job = previewed(client, unit, xlsx(sheets.SOURCES))
    fields = value_choices(client.get(reverse("imports:detail", args=[job.pk])))
    for choice in ("__blank__", "carrier_pigeon"):  # 客户来源 is required: no blank; no such source
        response = client.post(reverse("imports:values", args=[job.pk]), {fields["抖音"]: choice}, follow=True)
        assert response.status_code == 200 and page_messages(response)
        job.refresh_from_db()
        assert job.value_map == {} and job.counts["errors"] == 3


def test_the_value_mapping_of_a_job_one_may_not_see_is_404(client, admin, unit, make_user):
    signed_in(client, admin)
    job = previewed(client, unit, xlsx(sheets.SOURCES))
    other = make_user(r.SALES_MANAGER, units=[unit])
    response = signed_in(client, other).post(reverse("imports:values", args=[job.pk]), {"value_0": "event"})
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.value_map == {}


def test_a_bad_mapping_post_is_answered_by_the_form_with_a_message(client, admin, unit):
    job = upload(signed_in(client, admin))
    for bad in ({"col_0": "no_such_field"}, {"unit": "99999999999999999999"}, {"owner": "abc"}, {"mode": "x"}):
        response = client.post(reverse("imports:preview", args=[job.pk]), {**preview_form(job, unit), **bad})
        assert response.status_code == 200 and page_messages(response)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.UPLOADED
