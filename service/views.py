"""Thin views over service workflows; customers always come through the confidentiality policy."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm import roles as r
from crm.inputs import form_errors, positive_int, safe_next
from customers.policy import visible_customers

from . import selectors, services
from .forms import CareOptOutForm, ComplaintForm, InquiryForm, OpportunityForm, RollupQuery, VisitForm
from .models import Complaint


def _customer_or_404(user, pk):
    pk = positive_int(pk)
    customer = visible_customers(user).filter(pk=pk).first() if pk else None
    if customer is None:
        raise Http404
    return customer


@login_required
def inbox(request):
    return render(request, "service/inbox.html", {"items": selectors.inbox(request.user)})


@login_required
def inbox_count(request):
    """The navigation badge, loaded by htmx after the page so no page pays for building the inbox."""
    from django.http import HttpResponse
    from django.utils.html import format_html

    count = selectors.inbox_count(request.user)
    if not count:
        return HttpResponse("")
    return HttpResponse(format_html('<span class="badge text-bg-warning" data-testid="nav-inbox-count">{}</span>', count))


@login_required
def visit_new(request):
    """Phone-sized quick entry; opened from the inbox or the customer page."""
    customer = _customer_or_404(request.user, request.GET.get("customer") or request.POST.get("customer"))
    form = VisitForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.log_visit(
                actor=request.user, customer=customer, channel=data["channel"], content=data["content"],
                participants=list(data["participants"]), visited_on=data["visited_on"], feedback=data["feedback"],
                next_plan=data["next_plan"], next_on=data["next_on"],
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Visit logged."))
            return safe_next(request, "service:inbox")
    return render(request, "service/visit_form.html", {"form": form, "customer": customer,
                                                        "next": request.GET.get("next", "")})


@login_required
def weekly(request):
    if not r.has_role(request.user, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD, r.SALES_REP):
        raise PermissionDenied
    monday, visits = selectors.weekly_visits(request.user)
    return render(request, "service/weekly.html", {"monday": monday, "visits": visits})


@login_required
def complaints(request):
    rows = Complaint.objects.filter(customer__in=visible_customers(request.user)).select_related("customer")[:200]
    return render(request, "service/complaints.html", {"complaints": rows})


@login_required
def complaint_new(request):
    customer = _customer_or_404(request.user, request.GET.get("customer") or request.POST.get("customer"))
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.register_complaint(actor=request.user, customer=customer, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Complaint %(number)s registered.") % {"number": complaint.number})
            return redirect("service:complaint_detail", pk=complaint.pk)
    return render(request, "service/complaint_form.html", {"form": form, "customer": customer})


@login_required
def complaint_detail(request, pk):
    complaint = get_object_or_404(Complaint.objects.filter(customer__in=visible_customers(request.user)), pk=pk)
    if request.method == "POST":
        steps = {
            "respond": lambda: services.respond_to_complaint(actor=request.user, complaint_id=pk),
            "resolve": lambda: services.resolve_complaint(actor=request.user, complaint_id=pk,
                                                          resolution=request.POST.get("resolution", "")),
            "confirm": lambda: services.confirm_complaint(actor=request.user, complaint_id=pk),
        }
        step = steps.get(request.POST.get("action"))
        if step is None:
            raise Http404
        try:
            step()
            messages.success(request, _("Saved."))
        except services.ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("service:complaint_detail", pk=pk)
    return render(request, "service/complaint_detail.html", {"complaint": complaint})




@login_required
def public_pool(request):
    from .pool import PoolError, claim, pool

    if request.method == "POST":
        try:
            customer = claim(actor=request.user, customer_id=positive_int(request.POST.get("customer")) or 0)
            messages.success(request, _("%(name)s is now yours.") % {"name": customer.name})
        except PoolError as exc:
            messages.error(request, str(exc))
        return redirect("service:pool")
    return render(request, "service/pool.html", {
        "customers": pool(request.user).select_related("unit").order_by("-updated_at")[:200],
        "can_claim": r.has_role(request.user, r.SALES_REP),
    })


ROLLUP_ROLES = (r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD)


@login_required
def inquiries(request):
    """Daily entry for reps; weekly (supervisors) and monthly (CS) roll-ups with an .xlsx download."""
    from django.utils import timezone

    from crm.exports import watermark, watermarked_workbook, xlsx_response
    from crm.models import display_name

    from . import records
    from .models import Inquiry

    if request.method == "POST":
        form = InquiryForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors(form))
        else:
            try:
                records.log_inquiry(actor=request.user, **form.cleaned_data)
            except records.RecordError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Inquiry logged."))
                return redirect("service:inquiries")
    query = RollupQuery(request.GET)
    query.warn(request)
    period = query.values.get("period", "")
    context = {"today": records.inquiries_seen_by(request.user).filter(arrived_at__date=timezone.localdate(), rep=request.user),
               "hows": Inquiry.How.choices, "may_rollup": r.has_role(request.user, *ROLLUP_ROLES), "period": period}
    if period in ("week", "month"):
        if not context["may_rollup"]:
            raise PermissionDenied
        day = query.values.get("day") or timezone.localdate()
        start, end = (records.week_of if period == "week" else records.month_of)(day)
        rows = list(records.rollup(request.user, start, end))
        if query.values.get("format") == "xlsx":
            content = watermarked_workbook(
                title=f"{start:%Y%m%d}", watermark=watermark(request.user, _("inquiry figures")),
                headers=[_("Rep"), _("Phone calls"), _("Walk-ins"), _("Trials"), _("Total")],
                rows=[[f"{row['rep__last_name']}{row['rep__first_name']}", row["phone"], row["walk_in"], row["trials"],
                       row["total"]] for row in rows],
            )
            return xlsx_response(content, f"inquiries-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")
        context.update({"rows": rows, "start": start, "end": end})
    return render(request, "service/inquiries.html", context)


@login_required
def opportunities(request):
    from django.utils import timezone

    from . import records
    from .models import Opportunity

    if request.method == "POST":
        customer = _customer_or_404(request.user, request.POST.get("customer"))
        form = OpportunityForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect("service:opportunities")
        try:
            records.open_opportunity(actor=request.user, customer=customer, **form.cleaned_data)
            messages.success(request, _("Opportunity opened."))
        except records.RecordError as exc:
            messages.error(request, str(exc))
        return redirect("service:opportunities")
    rows = Opportunity.objects.filter(customer__in=visible_customers(request.user)).select_related("customer", "owner")
    return render(request, "service/opportunities.html", {
        "rows": rows[:200], "figures": records.monthly_figures(timezone.localdate())
        if r.has_role(request.user, *ROLLUP_ROLES) else None,
        "customer": request.GET.get("customer", ""),
    })


@login_required
def opportunity_action(request, pk):
    from . import records
    from .models import Opportunity

    get_object_or_404(Opportunity.objects.filter(customer__in=visible_customers(request.user)), pk=pk)
    if request.method != "POST":
        raise Http404
    try:
        if request.POST.get("action") == "follow_up":
            records.follow_up(actor=request.user, opportunity_id=pk, note=request.POST.get("note", ""))
        else:
            records.close_opportunity(actor=request.user, opportunity_id=pk, result=request.POST.get("result", ""),
                                      reason=request.POST.get("reason", ""))
        messages.success(request, _("Saved."))
    except records.RecordError as exc:
        messages.error(request, str(exc))
    return redirect("service:opportunities")


@login_required
def care_opt_out(request, pk):
    """Records (or withdraws) a customer's wish to receive no greetings."""
    customer = _customer_or_404(request.user, pk)
    if request.method != "POST":
        raise Http404
    form = CareOptOutForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("customers:detail", pk=customer.pk)
    opt_out = form.cleaned_data["opt_out"]
    try:
        services.set_care_opt_out(actor=request.user, customer=customer, opt_out=opt_out)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The customer will receive no greetings.") if opt_out
                         else _("The customer will receive greetings again."))
    return redirect("customers:detail", pk=customer.pk)
