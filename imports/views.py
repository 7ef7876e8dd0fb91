"""Thin views over the import workflow: permission, shape the input, one service call, a message.

Anyone who may not import gets 403; a job the user may not see is 404."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.actions import refuse_form
from crm.exports import xlsx_response
from crm.inputs import form_errors, page_number

from . import permissions, selectors, services
from .forms import MappingForm, ValueMapForm
from .models import ImportJob, ImportRow
from .report import COUNT_LABELS, report_xlsx
from .resources import get_resource

S = ImportJob.Status
LIST_SIZE = 50


def _importer(request) -> None:
    if not permissions.can_import(request.user):
        raise PermissionDenied


def _job_or_404(request, pk: int) -> ImportJob:
    _importer(request)
    job = selectors.job_for(request.user, pk)
    if job is None:
        raise Http404
    return job


def _page(request) -> int:
    return page_number(request.GET.get("page"))


def _detail(job: ImportJob):
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    _importer(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to upload."))
            return redirect("imports:list")
        try:
            job = services.create_import(actor=request.user, upload=upload)
        except services.ImportRefused as exc:
            messages.error(request, str(exc))
            return redirect("imports:list")
        return _detail(job)
    page = _page(request)
    jobs = list(selectors.visible_jobs(request.user)[(page - 1) * LIST_SIZE: page * LIST_SIZE + 1])
    return render(request, "imports/import_list.html", {
        "jobs": jobs[:LIST_SIZE], "page": page, "has_next": len(jobs) > LIST_SIZE,
    })


def _detail_context(request, job: ImportJob, posted: dict | None = None) -> dict:
    user = request.user
    stale = services.is_stale(job)
    editable = job.status != S.COMMITTED and (not job.running or stale)
    resource = get_resource(job.resource)
    posted = posted or {}
    can_active = permissions.can_import_active(user)
    context = {
        "job": job,
        "stale": stale,
        "editable": editable,
        "mapping_rows": selectors.mapping_rows(job, posted.get("mapping")),  # samples kept on the job: no read
        "columns": resource.columns(),
        "modes": [(value, label) for value, label in ImportJob.Mode.choices if value != ImportJob.Mode.ACTIVE or can_active],
        "mode": posted.get("mode", job.mode),
        "units": permissions.import_units(user),
        "unit_id": posted.get("unit_id", job.unit_id),
        "managers": selectors.account_managers(user),
        "owner_id": posted.get("owner_id", job.owner_id),
        "save_as": posted.get("save_as", ""),
        "default_inputs": selectors.default_form(job, posted.get("defaults")) if editable else [],
        "default_lines": selectors.default_lines(job),
        "can_commit": job.status == S.PREVIEWED and permissions.can_commit(user, job),
        "customer_options": resource.customer_options,
        "name_label": resource.name_label,
    }
    if job.status in (S.PREVIEWED, S.COMMITTED, S.COMMITTING):
        status = request.GET.get("status", "")
        status = status if status in ImportRow.Status.values else ""
        counts = job.counts or {}
        context.update(selectors.preview_page(job, user, status=status, page=_page(request)))
        resource_fields = resource.choice_fields()
        if job.status == S.PREVIEWED and counts.get("values"):
            form = ValueMapForm(job=job, fields=resource_fields, initial={"save_as": selectors.saved_mapping_name(job)})
            context["value_form"] = form
            context["value_rows"] = [(form[name], resource_fields[code][0], entry) for name, code, entry in form.entries]
        context["value_map"] = selectors.mapped_values(job, resource_fields)
        context.update({
            "counts": counts,
            "count_cards": [(key, label(), counts.get(key, 0)) for key, label in COUNT_LABELS],
            "written": counts.get("written") or {},
            "to_write": counts.get("new", 0) + counts.get("updated", 0),
            "status_filter": status,
            # A resource that never matches existing records as duplicates (it updates them) offers no such filter.
            "statuses": [(value, label) for value, label in ImportRow.Status.choices
                         if value != ImportRow.Status.DUPLICATE or resource.duplicate_keys],
            "query": urlencode({"status": status}) if status else "",
        })
    return context


@login_required
@require_GET
def import_detail(request, pk: int):
    job = _job_or_404(request, pk)
    return render(request, "imports/import_detail.html", _detail_context(request, job))


@login_required
@require_POST
def choose_sheet(request, pk: int):
    job = _job_or_404(request, pk)
    sheet = request.POST.get("sheet", "")
    if sheet not in job.sheet_names:
        messages.error(request, _("Choose one of the workbook's sheets."))
        return _detail(job)
    try:
        services.choose_sheet(actor=request.user, job_id=job.pk, sheet=sheet)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    return _detail(job)


@login_required
@require_POST
def preview(request, pk: int):
    """Confirms the mapping and the options, then runs the preview (at once, or by a worker)."""
    job = _job_or_404(request, pk)
    user = request.user
    if request.POST.get("again"):  # the same mapping once more, after a stopped worker or a cancel
        try:
            services.start_preview(actor=user, job_id=job.pk)
        except services.ImportRefused as exc:
            messages.error(request, str(exc))
        return _detail(job)
    resource = get_resource(job.resource)
    form = MappingForm(request.POST, job=job, user=user, columns=resource.columns(), default_fields=resource.default_fields(job))
    try:
        if not form.is_valid():
            raise services.ImportRefused(form_errors(form))
        data = form.cleaned_data
        services.set_mapping(actor=user, job_id=job.pk, mapping=form.mapping(), mode=data["mode"], unit=data["unit"],
                             owner=data["owner"], save_as=data["save_as"], defaults=form.defaults())
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
        return render(request, "imports/import_detail.html", _detail_context(request, job, form.posted()))
    try:
        services.start_preview(actor=user, job_id=job.pk)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    return _detail(job)


@login_required
@require_POST
def value_map(request, pk: int):
    """The importer's choice for each value the preview could not place; the preview runs again with them."""
    job = _job_or_404(request, pk)
    form = ValueMapForm(request.POST, job=job, fields=get_resource(job.resource).choice_fields())
    if not form.is_valid():
        return refuse_form(request, form, reverse("imports:detail", args=[job.pk]))
    try:
        services.set_value_map(actor=request.user, job_id=job.pk, value_map=form.value_map(),
                               save_as=form.cleaned_data["save_as"])
        services.start_preview(actor=request.user, job_id=job.pk)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    return _detail(job)


@login_required
@require_POST
def commit(request, pk: int):
    job = _job_or_404(request, pk)
    try:
        services.start_commit(actor=request.user, job_id=job.pk)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
    return _detail(job)


@login_required
@require_POST
def cancel(request, pk: int):
    job = _job_or_404(request, pk)
    try:
        job = services.cancel_import(actor=request.user, job_id=job.pk)
    except services.ImportRefused as exc:
        messages.error(request, str(exc))
        return _detail(job)
    if job.status == S.CANCELLED:
        messages.info(request, _("The import was cancelled; nothing was imported."))
    else:
        messages.info(request, _("Cancelling: the worker stops after the rows it is reading now."))
    return _detail(job)


@login_required
@require_GET
def progress(request, pk: int):
    """The progress bar, polled by htmx; once the job has finished (or its worker is gone) the page reloads."""
    job = _job_or_404(request, pk)
    response = render(request, "imports/_progress.html", {"job": job})
    if not job.running or services.is_stale(job):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def report(request, pk: int):
    job = _job_or_404(request, pk)
    return xlsx_response(report_xlsx(job, request.user), f"import-{job.pk}-report.xlsx")
