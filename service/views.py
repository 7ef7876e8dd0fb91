"""Thin views over service workflows; customers always come through the confidentiality policy."""
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy as _lazy, ngettext
from django.views.decorators.http import require_POST

from crm import registry
from crm import roles as r
from crm.actions import refuse_form, run_action
from crm.inputs import form_errors, positive_int, safe_next
from crm.lists import ListQuery, filtered, list_page
from customers.policy import is_visible, visible_customers

from . import permissions, selectors, services
from . import recalls as recalls_svc
from .forms import (
    CareOptOutForm, ComplaintForm, ComplaintQuery, ComplaintStepForm, InquiryForm, OpportunityForm, OpportunityMoveForm,
    OpportunityQuery, OpportunityStepForm, PoolClaimForm, PoolQuery, RecallForm, RecallQuery, RecallStepForm, RollupQuery,
    TaskStepForm, VisitForm, WeekQuery,
)
from .models import Complaint, Recall


def _customer_or_404(user, pk):
    pk = positive_int(pk)
    customer = visible_customers(user).filter(pk=pk).first() if pk else None
    if customer is None:
        raise Http404
    return customer


@login_required
def inbox(request):
    return render(request, "service/inbox.html", {"items": registry.inbox_for(request.user)})


@login_required
def inbox_count(request):
    """The navigation badge, loaded by htmx after the page so no page pays for building the inbox."""
    from django.http import HttpResponse
    from django.utils.html import format_html

    count, overdue = selectors.inbox_counts(request.user)
    if not count:
        return HttpResponse("")
    if not overdue:  # red only when something is past due (issue 15: honest badges)
        return HttpResponse(format_html('<span class="badge text-bg-secondary" data-testid="nav-inbox-count">{}</span>', count))
    title = ngettext("%(n)d item overdue", "%(n)d items overdue", overdue) % {"n": overdue}
    return HttpResponse(format_html(
        '<span class="badge text-bg-danger" data-testid="nav-inbox-count" data-overdue="{}" title="{}">{}</span>',
        overdue, title, count))


@login_required
def visit_new(request):
    """Phone-sized quick entry; opened from the inbox or the customer page."""
    customer = _customer_or_404(request.user, request.GET.get("customer") or request.POST.get("customer"))
    form = VisitForm(request.POST or None, user=request.user, customer=customer)
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
                                                        "next": request.POST.get("next") or request.GET.get("next", "")})


@login_required
def weekly(request):
    if not permissions.can_see_weekly_visits(request.user):
        raise PermissionDenied
    query = WeekQuery(request.GET)
    query.warn(request)
    monday, visits = selectors.weekly_visits(request.user, query.values.get("week"))
    return render(request, "service/weekly.html", {
        "monday": monday, "sunday": monday + timedelta(days=6), "visits": visits,
        "previous": monday - timedelta(days=7), "next": monday + timedelta(days=7),
    })


@login_required
def complaints(request):
    rows = selectors.complaints_seen_by(request.user).select_related("customer")
    page = list_page(request, rows, ComplaintQuery, search_fields=COMPLAINT_SEARCH, filters={
        "status": "status", "category": "category", "escalated": lambda qs, _v: qs.filter(escalated_at__isnull=False),
        "since": "received_at__date__gte", "until": "received_at__date__lte",
    })
    return render(request, "service/complaints.html", {"list": page})


COMPLAINT_SEARCH = ("number", "customer__name", "customer__customer_code", "product", "order_number")
OPPORTUNITY_SEARCH = ("title", "customer__name", "customer__customer_code")
PICK_FOR = {"complaint": "service:complaint_new", "opportunity": "service:opportunities"}


@login_required
def pick_customer(request, purpose):
    """The first step of 新建 from a list: find the customer (only those the user may see), then its form."""
    from customers.selectors import filter_customers

    if purpose not in PICK_FOR:
        raise Http404
    query = ListQuery(request.GET)
    text = query.values.get("q", "")
    found = filter_customers(request.user, {"q": text}).only("pk", "name", "customer_code")[:20] if text else []
    return render(request, "service/pick_customer.html", {
        "purpose": purpose, "target": reverse(PICK_FOR[purpose]), "customers": found, "q": text,
    })


@login_required
def complaint_new(request):
    if not (request.GET.get("customer") or request.POST.get("customer")):
        return redirect("service:pick_customer", purpose="complaint")
    customer = _customer_or_404(request.user, request.GET.get("customer") or request.POST.get("customer"))
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.register_complaint(actor=request.user, customer=customer, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Complaint %(number)s registered.") % {"number": complaint.number})
            if hasattr(complaint, "recall") and not recalls_svc.quality_managers().exists():
                messages.warning(request, _("No quality manager is set up to receive the recall; tell your administrator."))
            return redirect("service:complaint_detail", pk=complaint.pk)
    return render(request, "service/complaint_form.html", {"form": form, "customer": customer})


@login_required
def complaint_detail(request, pk):
    complaint = get_object_or_404(selectors.complaints_seen_by(request.user), pk=pk)
    if request.method == "POST":
        form = ComplaintStepForm(request.POST)
        back = reverse("service:complaint_detail", args=[pk])
        if not form.is_valid():
            return refuse_form(request, form, back)
        step = {"respond": services.respond_to_complaint, "resolve": services.resolve_complaint,
                "confirm": services.confirm_complaint}[form.cleaned_data["action"]]
        extra = {"resolution": form.cleaned_data["resolution"]} if form.cleaned_data["action"] == "resolve" else {}
        said = {"respond": _("First response recorded."), "resolve": _("Solution recorded; waiting for the customer's confirmation."),
                "confirm": _("The customer's confirmation is recorded; the complaint is closed.")}[form.cleaned_data["action"]]
        return run_action(request, step, actor=request.user, complaint_id=pk, **extra, success=said, redirect_to=back)
    can = {step: services.COMPLAINT.can_move(complaint, step, request.user) for step in ("responded", "resolved", "confirmed")}
    return render(request, "service/complaint_detail.html",
                  {"complaint": complaint, "can": can, "recall": getattr(complaint, "recall", None)})


@login_required
def recalls(request):
    """The quality managers' list; customers are not named here (the quality role may not see them)."""
    if not permissions.can_open_recalls(request.user):
        raise PermissionDenied
    query = RecallQuery(request.GET)
    query.warn(request)
    rows = Recall.objects.select_related("complaint", "assignee")
    if query.values.get("status"):
        rows = rows.filter(status=query.values["status"])
    return render(request, "service/recalls.html", {"recalls": rows[:200], "query": query,
                                                    "statuses": Recall.Status.choices})


@login_required
def recall_detail(request, pk):
    """Quality managers record and close; whoever sees the customer reads it; anyone else gets a 404."""
    recall = get_object_or_404(Recall.objects.select_related("complaint__customer", "assignee"), pk=pk)
    if not permissions.can_view_recall(request.user, recall):
        raise Http404
    back = reverse("service:recall_detail", args=[recall.pk])
    may_work = permissions.can_work_recall(request.user, recall)
    form = RecallForm(instance=recall)
    if request.method == "POST":
        if not may_work:
            raise PermissionDenied
        if "action" in request.POST:
            step = RecallStepForm(request.POST)
            if not step.is_valid():
                return refuse_form(request, step, back)
            verb = {"start": recalls_svc.start_recall, "close": recalls_svc.close_recall}[step.cleaned_data["action"]]
            extra = {"comment": step.cleaned_data["comment"]} if step.cleaned_data["action"] == "close" else {}
            return run_action(request, verb, actor=request.user, recall_id=recall.pk, **extra,
                              success=_("Saved."), redirect_to=back)
        form = RecallForm(request.POST, instance=Recall.objects.select_related("complaint").get(pk=recall.pk))
        if form.is_valid():
            return run_action(request, recalls_svc.record_recall, actor=request.user, recall_id=recall.pk,
                              **form.cleaned_data, success=_("Saved."), redirect_to=back)
    return render(request, "service/recall_detail.html", {
        "recall": recall, "form": form, "may_work": may_work and recall.status != Recall.Status.CLOSED,
        "can": {step: recalls_svc.RECALL.can_move(recall, step, request.user) for step in ("in_progress", "closed")},
        "customer_shown": is_visible(request.user, recall.complaint.customer),
        "events": recall.events.select_related("actor"),
    })




@login_required
def public_pool(request):
    from .pool import claim, pool

    if request.method == "POST":
        form = PoolClaimForm(request.POST)
        if not form.is_valid():
            return refuse_form(request, form, reverse("service:pool"))
        return run_action(request, claim, actor=request.user, customer_id=form.cleaned_data["customer"],
                          success=lambda customer: _("%(name)s is now yours.") % {"name": customer.name},
                          redirect_to=reverse("service:pool"))
    page = list_page(request, pool(request.user).select_related("unit").order_by("-updated_at", "-pk"), PoolQuery,
                     search_fields=("name", "customer_code"), filters={"tier": "tier"})
    return render(request, "service/pool.html", {
        "list": page,
        "can_claim": r.has_role(request.user, r.SALES_REP),
    })




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
               "hows": Inquiry.How.choices, "may_rollup": permissions.can_roll_up_inquiries(request.user), "period": period}
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
    rows = selectors.opportunities_seen_by(request.user).select_related("customer", "owner")
    filters = {"stage": "stage", "result": "result", "mine": lambda qs, _v: qs.filter(owner=request.user),
               "due_before": "deadline__lte"}
    board = request.GET.get("view") == "board"
    page = list_page(request, rows, OpportunityQuery, search_fields=OPPORTUNITY_SEARCH, filters=filters)
    customer = _customer_or_404(request.user, request.GET["customer"]) if request.GET.get("customer") else None
    return render(request, "service/opportunities.html", {
        "list": page,
        "board": records.pipeline(request.user, filtered(page.query, rows, OPPORTUNITY_SEARCH, filters)) if board else None,
        "figures": records.monthly_figures(request.user, timezone.localdate()) if permissions.can_roll_up_inquiries(request.user) else None,
        "customer": customer, "view": "board" if board else "table",
    })


@login_required
@require_POST
def opportunity_move(request, pk):
    """A card moved on the board (a button, or dropped on the next column): one stage through the pipeline."""
    from . import records

    get_object_or_404(selectors.opportunities_seen_by(request.user), pk=pk)
    form = OpportunityMoveForm(request.POST)
    back = safe_next(request, "service:opportunities").url
    if not form.is_valid():
        return refuse_form(request, form, back)
    return run_action(request, records.move_opportunity, actor=request.user, opportunity_id=pk,
                      stage=form.cleaned_data["stage"], redirect_to=back,
                      success=lambda o: _("%(title)s moved to %(stage)s.") % {"title": o.title, "stage": o.get_stage_display()})


@login_required
def opportunity_action(request, pk):
    from . import records

    get_object_or_404(selectors.opportunities_seen_by(request.user), pk=pk)
    if request.method != "POST":
        raise Http404
    form = OpportunityStepForm(request.POST)
    back = reverse("service:opportunities")
    if not form.is_valid():
        return refuse_form(request, form, back)
    data = form.cleaned_data
    if data["action"] == "follow_up":
        return run_action(request, records.follow_up, actor=request.user, opportunity_id=pk, note=data["note"],
                          success=_("Saved."), redirect_to=back)
    return run_action(request, records.close_opportunity, actor=request.user, opportunity_id=pk, result=data["result"],
                      reason=data["reason"], success=_("Saved."), redirect_to=back)


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


TASK_STEPS = {
    "dismiss": (services.dismiss_tier_review, "reason", _lazy("The tier stays; the proposal is closed.")),
    "renew": (services.complete_renewal, "new_date", _lazy("The new date is recorded; the reminder is done.")),
    "confirm": (services.confirm_allocation, "comment", _lazy("The allocation quantities are confirmed.")),
}


@login_required
def task_action(request, pk, verb):
    """Closes a job's task from the customer page; a task of a customer the user may not see does not exist."""
    from .models import FollowUpTask

    task = get_object_or_404(FollowUpTask.objects.filter(customer__in=visible_customers(request.user)), pk=pk)
    if request.method != "POST" or verb not in TASK_STEPS:
        raise Http404
    service, field, success = TASK_STEPS[verb]
    back = reverse("customers:detail", args=[task.customer_id])
    form = TaskStepForm(request.POST, verb=verb)
    if not form.is_valid():
        return refuse_form(request, form, back)
    return run_action(request, service, actor=request.user, task_id=task.pk, **{field: form.cleaned_data[field]},
                      success=str(success), redirect_to=back)


@login_required
def monthly_targets(request):
    """Seed 001 for reps and their managers: last month judged (flagged from the 1st) and this month so far."""
    from django.db.models import Q
    from django.utils import timezone

    from . import targets

    user = request.user
    if not permissions.can_open_targets(user):
        raise PermissionDenied
    today = timezone.localdate()
    last = targets.last_month(today)
    context = {"this_month": today, "last_month": last}
    if r.has_role(user, r.SALES_REP):
        mine = visible_customers(user).filter(Q(account_manager=user) | Q(co_owners=user)).distinct()
        context.update({
            "mine_last": [targets.my_standing(user, last, today)], "mine_now": [targets.my_standing(user, today, today)],
            "below_last": targets.contact_shortfalls(mine, today), "below_now": targets.contact_shortfalls(mine, today, closed=False),
        })
    if permissions.can_roll_up_targets(user):
        reps = list(targets.reps_in_scope(user))
        context.update({"rollup_last": targets.standings(user, reps, last, today),
                        "rollup_now": targets.standings(user, reps, today, today)})
    return render(request, "service/targets.html", context)
