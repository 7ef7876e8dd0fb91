"""Thin views over confidentiality services; every customer row shown goes through the policy."""
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import audit
from crm.actions import refuse_form, run_action
from crm.exports import watermark, watermarked_workbook, xlsx_response
from crm.inputs import form_errors, positive_int
from crm.lists import list_page
from crm.models import display_name
from customers import policy
from customers.catalogue import CATALOGUE
from customers.choice_labels import choice_label
from customers.models import Customer
from customers.resources import CustomerExportResource
from customers.selectors import grant_customer_ids

from . import permissions, selectors, services
from .forms import (
    AuditQuery, CheckInForm, CopiesForm, DataRequestForm, DecisionForm, GrantedQuery, LeakDecisionForm, LeakQuery,
    LeakReportForm, LoanRequestForm, LoanStepForm, RequestQuery,
)
from .models import ArchiveLoan, DataRequest, Printout

BASE_COLUMNS = ("customer_code", "name", "tier", "contact_name", "address")


def _own_request_or_404(user, pk) -> DataRequest:
    request = get_object_or_404(DataRequest.objects.select_related("requester", "data_unit"), pk=pk)
    if not selectors.may_see_request(user, request):
        raise Http404
    return request


@login_required
def request_list(request):
    page = list_page(request, selectors.requests_of(request.user).select_related("data_unit"), RequestQuery, filters={
        "q": selectors.search_requests, "status": "status", "form": "form",
        "since": "created_at__date__gte", "until": "created_at__date__lte"})
    return render(request, "confidentiality/request_list.html", {"list": page})


@login_required
def request_customers(request, pk):
    """Exactly the customers a fulfilled request granted the user (and the user may still see), each linking to its page."""
    data_request = _own_request_or_404(request.user, pk)
    grant = services.active_grant(request.user, data_request)
    if grant is None:
        messages.error(request, _("This request grants you no access now."))
        return redirect("confidentiality:request_detail", pk=pk)
    granted = policy.visible_customers(request.user).filter(pk__in=grant_customer_ids(grant.pk))
    page = list_page(request, granted.select_related("unit").order_by("customer_code", "pk"), GrantedQuery,
                     search_fields=("name", "customer_code"))
    return render(request, "confidentiality/request_customers.html", {"req": data_request, "grant": grant, "list": page})


@login_required
def request_new(request):
    initial = {
        "customer_codes": request.GET.get("codes", ""),
        "scope": request.GET.get("scope", "customers"),
        "filter_query": request.GET.get("filter_query", ""),
        "form": request.GET.get("form", DataRequest.Form.VIEW),
    }
    form = DataRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        codes = form.codes()
        customers = list(Customer.objects.filter(customer_code__in=codes)) if codes else []
        missing = set(codes) - {c.customer_code for c in customers}
        if missing:
            form.add_error("customer_codes", _("Unknown customer codes: %(codes)s") % {"codes": "、".join(sorted(missing))})
        else:
            try:
                data_request = services.submit_data_request(
                    requester=request.user, purpose=form.cleaned_data["purpose"], scope=form.cleaned_data["scope"],
                    data_unit=form.cleaned_data["data_unit"], customers=customers,
                    filter_query=form.cleaned_data["filter_query"], fields=form.cleaned_data["fields"],
                    form=form.cleaned_data["form"], days=form.cleaned_data["days"], copies=form.cleaned_data["copies"],
                )
            except services.DataRequestError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Request %(number)s submitted.") % {"number": data_request.number})
                return redirect("confidentiality:request_detail", pk=data_request.pk)
    return render(request, "confidentiality/request_form.html", {"form": form})


@login_required
def request_detail(request, pk):
    data_request = _own_request_or_404(request.user, pk)
    grant = services.active_grant(request.user, data_request)
    levels = None
    if selectors.may_count_scope(request.user, data_request):
        levels = [(choice_label("confidentiality_level", level), n) for level, n in selectors.scope_by_level(data_request).items()]
    return render(
        request,
        "confidentiality/request_detail.html",
        {
            "req": data_request,
            "events": data_request.events.select_related("actor"),
            "may_act": services.may_act(request.user, data_request),
            "next_step": services.next_step(data_request),
            "grant": grant,
            "scope_levels": levels,
            "granted_count": selectors.granted_count(data_request),
        },
    )


def _approval_message(data_request) -> str:
    """The CS manager's confirmation is not an approval: say which step was taken and who acts next."""
    from crm.roles import role_label

    done = _("Confirmed.") if data_request.status == DataRequest.Status.CS_CONFIRMED else _("Approved.")
    step = services.next_step(data_request)
    return _("%(done)s Next: %(role)s.") % {"done": done, "role": role_label(step[0])} if step else done


@login_required
@require_POST
def request_action(request, pk, action):
    data_request = _own_request_or_404(request.user, pk)
    back = reverse("confidentiality:queue") if request.POST.get("next") == "queue" else reverse(
        "confidentiality:request_detail", args=[pk])
    form = DecisionForm(request.POST)
    if action not in ("approve", "reject", "fulfil"):
        raise Http404
    if not form.is_valid():
        return refuse_form(request, form, back)
    data, common = form.cleaned_data, {"actor": request.user, "request_id": data_request.pk, "http_request": request}
    if action == "approve":
        return run_action(request, services.approve_data_request, comment=data["comment"], **common,
                          success=_approval_message, redirect_to=back)
    if action == "reject":
        return run_action(request, services.reject_data_request, reason=data["reason"], **common,
                          success=_("Rejected."), redirect_to=back)

    def granted(grant) -> str:
        return _("Access granted until %(date)s.") % {"date": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")}

    return run_action(request, services.fulfil_data_request, **common, success=granted, redirect_to=back)


def _granted_columns() -> list[str]:
    """Sensitive columns are always there, masked unless the grant covers them."""
    return [*BASE_COLUMNS, *[c for c in policy.SENSITIVE_FIELDS if CATALOGUE[c].type != "photo"]]


def _granted_rows(user, grant):
    """Granted customers through the policy: visible rows only, sensitive fields unmasked only if granted."""
    customers = list(
        policy.visible_customers(user).filter(pk__in=grant_customer_ids(grant.pk)).order_by("customer_code")
    )
    access = policy.field_access(user, customers, grant=grant)
    columns = _granted_columns()
    rows = []
    for customer in customers:
        row = []
        for code in columns:
            value = customer.get_tier_display() if code == "tier" else getattr(customer, code)
            row.append(value if access.can_see(customer, code) else policy.mask(code, value))
        rows.append(row)
    return [CATALOGUE[c].label for c in columns], rows, customers


def _watermark(user, data_request) -> str:
    return watermark(user, _("request %(number)s · for the stated purpose only") % {"number": data_request.number})


@login_required
def request_print(request, pk):
    data_request = _own_request_or_404(request.user, pk)
    grant = services.active_grant(request.user, data_request)
    if grant is None or grant.form != DataRequest.Form.PRINT:
        raise PermissionDenied
    headers, rows, _customers = _granted_rows(request.user, grant)
    printout = None
    if request.method == "POST":
        form = CopiesForm(request.POST)
        try:
            if not form.is_valid():
                raise services.DataRequestError("request.invalid_form", form_errors(form))
            printout = services.register_printout(actor=request.user, grant=grant, copies=form.cleaned_data["copies"] or 1,
                                                  http_request=request)
        except services.DataRequestError as exc:
            messages.error(request, str(exc))
    return render(request, "confidentiality/request_print.html", {
        "req": data_request, "grant": grant, "headers": headers, "rows": rows, "printout": printout,
        "watermark": _watermark(request.user, data_request),
    })


@login_required
def request_export(request, pk):
    data_request = _own_request_or_404(request.user, pk)
    grant = services.active_grant(request.user, data_request)
    if grant is None or grant.form != DataRequest.Form.EXPORT:
        raise PermissionDenied
    # The same cells as the list's export (labels, names, real dates, masking, formula-safe), limited
    # to the columns a data request is about: the granted customers' identity plus the sensitive fields.
    resource = CustomerExportResource(user=request.user, grant=grant)
    customers = Customer.objects.filter(pk__in=grant_customer_ids(grant.pk)).order_by("customer_code")
    content = resource.export_xlsx(
        customers, title=data_request.number, watermark=_watermark(request.user, data_request),
        selected_fields=_granted_columns(),
    )
    audit.record("export", actor=request.user, customers=resource.exported_ids, request=request,
                 subject=data_request.number, reason=data_request.purpose, detail={"rows": len(resource.exported_ids)})
    return xlsx_response(content, f"{data_request.number}.xlsx")


@login_required
def queue(request):
    return render(request, "confidentiality/queue.html", {
        "queue": selectors.data_request_queue(request.user),
        "printouts": selectors.printouts_to_check_in(request.user),
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def printout_check_in(request, pk):
    printout = get_object_or_404(Printout, pk=pk)
    form = CheckInForm(request.POST)
    try:
        if not form.is_valid():
            raise services.DataRequestError("request.invalid_form", form_errors(form))
        services.check_in_printout(actor=request.user, printout_id=printout.pk,
                                   returned_copies=form.cleaned_data["returned_copies"])
        messages.success(request, _("Printout checked in."))
    except services.DataRequestError as exc:
        messages.error(request, str(exc))
    return redirect("confidentiality:queue")


def _customers_cell(row: selectors.AuditRow) -> str:
    more = _("and %(count)s more") % {"count": row.more} if row.more else ""
    return "、".join([*row.customers, *([more] if more else [])])


@login_required
def audit_log(request):
    if not selectors.may_read_audit(request.user):
        raise PermissionDenied
    User = get_user_model()
    query = AuditQuery(request.GET)
    query.warn(request)
    params = query.values
    actor = User.objects.filter(username=params["person"]).first() if params.get("person") else None
    customer = params.get("customer", "").strip()
    customer_id = None
    if customer:
        found = Customer.objects.filter(customer_code=customer.upper()).values_list("pk", flat=True).first()
        customer_id = found or positive_int(customer) or -1
    entries = selectors.search_audit(
        actor=actor, customer_id=customer_id, action=params.get("action", ""),
        since=params.get("since"), until=params.get("until"), who=params.get("q", ""),
    )
    if params.get("format") == "xlsx":
        rows = [
            [timezone.localtime(row.entry.at).strftime("%Y-%m-%d %H:%M:%S"), row.entry.actor_name,
             row.entry.get_action_display(), _customers_cell(row), row.subject, row.entry.ip or "", row.entry.reason]
            for row in selectors.audit_rows(request.user, entries[:50000])
        ]
        audit.record("audit_export", actor=request.user, request=request, detail={"query": request.GET.urlencode(), "rows": len(rows)})
        content = watermarked_workbook(
            title="audit", watermark=watermark(request.user, _("audit log export")),
            headers=[_("At"), _("Who"), _("Action"), _("Customers"), _("Subject"), _("IP address"), _("Reason")], rows=rows,
        )
        return xlsx_response(content, "audit.xlsx")
    page = list_page(request, entries, AuditQuery, warn=False)
    return render(request, "confidentiality/audit_log.html", {
        "rows": selectors.audit_rows(request.user, page.rows), "list": page,
        "export": f"?{page.querystring}&format=xlsx" if page.querystring else "?format=xlsx",
    })


@login_required
def leaks(request):
    """Anyone reports a suspected leak here; the GM's office sees every report, others their own."""
    from .models import LeakIncident

    if request.method == "POST":
        form = LeakReportForm(request.POST)
        if not form.is_valid():
            return refuse_form(request, form, reverse("confidentiality:leaks"))
        customers = policy.visible_customers(request.user).filter(customer_code__in=form.codes())
        return run_action(
            request, services.report_leak, reporter=request.user, description=form.cleaned_data["description"],
            customers=list(customers), redirect_to=reverse("confidentiality:leaks"),
            success=lambda incident: _("Report no. %(pk)d sent to the general manager's office.") % {"pk": incident.pk},
        )
    incidents = LeakIncident.objects.select_related("reported_by")
    if not permissions.can_decide_leaks(request.user):
        incidents = incidents.filter(reported_by=request.user)
    page = list_page(request, incidents.order_by("-reported_at", "-pk"), LeakQuery, search_fields=("description",),
                     filters={"status": "status", "penalty": "penalty"})
    return render(request, "confidentiality/leaks.html", {"list": page})


@login_required
def leak_detail(request, pk):
    from .models import LeakIncident

    incident = get_object_or_404(LeakIncident.objects.select_related("reported_by", "decided_by"), pk=pk)
    is_gm = permissions.can_decide_leaks(request.user)
    if not is_gm and incident.reported_by_id != request.user.pk:
        raise Http404
    if request.method == "POST" and is_gm:
        form = LeakDecisionForm(request.POST)
        back = reverse("confidentiality:leak_detail", args=[pk])
        if not form.is_valid():
            return refuse_form(request, form, back)
        return run_action(request, services.decide_leak, actor=request.user, incident_id=incident.pk, **form.cleaned_data,
                          success=_("Decision recorded."), redirect_to=back)
    return render(request, "confidentiality/leak_detail.html", {
        "incident": incident, "is_gm": is_gm, "penalties": LeakIncident.Penalty.choices,
        "customers": policy.visible_customers(request.user).filter(pk__in=incident.customers.values("pk")),
    })


@login_required
def archive(request):
    from . import archive as lending

    if request.method == "POST":
        form = LoanRequestForm(request.POST)
        back = reverse("confidentiality:archive")
        if not form.is_valid():
            return refuse_form(request, form, back)
        data = form.cleaned_data
        customer = policy.visible_customers(request.user).filter(customer_code=data["customer_code"].upper()).first()
        if customer is None:
            messages.error(request, _("No customer you may see has this code."))
            return redirect(back)
        return run_action(request, lending.request_loan, borrower=request.user, customer=customer, kind=data["kind"],
                          purpose=data["purpose"], success=_("Request registered."), redirect_to=back)
    is_archivist = permissions.is_archivist(request.user)
    to_handle = ArchiveLoan.objects.none()
    if is_archivist:
        to_handle = ArchiveLoan.objects.exclude(status__in=[ArchiveLoan.Status.RETURNED, ArchiveLoan.Status.REJECTED])
    elif permissions.handles_copy_requests(request.user):
        to_handle = ArchiveLoan.objects.filter(kind=ArchiveLoan.Kind.COPY, status=ArchiveLoan.Status.REQUESTED)
    return render(request, "confidentiality/archive.html", {
        "kinds": ArchiveLoan.Kind.choices,
        "mine": ArchiveLoan.objects.filter(borrower=request.user).select_related("customer")[:100],
        "to_handle": to_handle.select_related("customer", "borrower").order_by("due_at", "requested_at")[:200],
        "is_archivist": is_archivist,
        "now": timezone.now(),
    })


@login_required
@require_POST
def archive_action(request, pk, action):
    from . import archive as lending

    steps = {"approve": lending.approve_loan, "reject": lending.reject_loan, "lend": lending.lend_out,
             "return": lending.receive_back}
    if action not in steps:
        raise Http404
    get_object_or_404(ArchiveLoan, pk=pk)
    back = reverse("confidentiality:archive")
    form = LoanStepForm(request.POST)
    if not form.is_valid():
        return refuse_form(request, form, back)
    data = form.cleaned_data
    extra = ({"reason": data["reason"]} if action == "reject"
             else {"complete": data["complete"], "note": data["note"]} if action == "return" else {})
    return run_action(request, steps[action], actor=request.user, loan_id=pk, **extra,
                      success=_loan_message(action), redirect_to=back)


def _loan_message(action: str):
    """Each step of a loan says what happened, not just 已完成."""
    def said(loan) -> str:
        if action == "approve":
            return _("Loan approved: the file can be handed out.")
        if action == "reject":
            return _("Loan rejected.")
        if action == "lend":
            return _("File handed out, due back by %(due)s.") % {
                "due": timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M") if loan.due_at else "—"}
        return _("File taken back, complete.") if loan.complete else _("File taken back, marked incomplete.")
    return said


@login_required
def archive_report(request):
    from . import archive as lending

    if not permissions.can_see_archive_report(request.user):
        raise PermissionDenied
    report = lending.outstanding_report()
    if request.GET.get("format") == "xlsx":
        rows = [
            [loan.customer.customer_code, loan.customer.name, display_name(loan.borrower), loan.get_kind_display(),
             timezone.localtime(loan.due_at).strftime("%Y-%m-%d %H:%M") if loan.due_at else "",
             _("overdue") if loan in report["overdue"] else ""]
            for loan in report["out"]
        ]
        content = watermarked_workbook(
            title="archive", watermark=watermark(request.user, _("files out")),
            headers=[_("Customer code"), _("Name"), _("Borrower"), _("Kind"), _("Due back"), _("Overdue")], rows=rows,
        )
        return xlsx_response(content, "archive-outstanding.xlsx")
    return render(request, "confidentiality/archive_report.html", report)
