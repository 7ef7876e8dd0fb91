"""Thin views: permission → form → one service call → message and redirect. Rows come from selectors."""
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from crm.actions import refuse_form, run_action
from crm.exports import xlsx_response
from crm.inputs import QueryForm, page_number
from customers.policy import read_customer, visible_customers

from . import permissions, selectors, services
from .catalogue import CATALOGUE
from .choice_labels import choice_label
from .forms import (
    AdviceForm, CommentForm, DeadlineForm, DealerCardForm, PlanForm, ProgressFilter, ReasonForm, WithdrawalForm,
)
from .models import Dealer

PAGE_SIZE = 50
S = Dealer.Status


def _opener(request) -> None:
    if not permissions.can_open_dealers(request.user):
        raise PermissionDenied


def _dealer_or_404(request, pk: int) -> Dealer:
    _opener(request)
    dealer = selectors.visible_dealers(request.user).select_related("customer__unit", "customer__account_manager").filter(pk=pk).first()
    if dealer is None:
        raise Http404
    return dealer


class DealerFilter(QueryForm):
    q = forms.CharField(label=gettext_lazy("Name or code"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Franchise status"), required=False,
                               choices=[("", "")] + [(s.value, s.label) for s in S])


def _filtered(request):
    query = DealerFilter(request.GET)
    query.warn(request)
    qs = selectors.visible_dealers(request.user).order_by("customer__name", "pk")
    values = query.values
    if values.get("q"):
        from django.db.models import Q

        qs = qs.filter(Q(customer__name__icontains=values["q"]) | Q(customer__customer_code__iexact=values["q"]))
    if values.get("status"):
        qs = qs.filter(franchise_status=values["status"])
    return query, qs


@login_required
def dealer_list(request):
    from imports import permissions as import_permissions

    _opener(request)
    query, qs = _filtered(request)
    page = page_number(request.GET.get("page"))
    rows = list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    return render(request, "dealers/dealer_list.html", {
        "dealers": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE, "filter_form": query,
        "can_export": permissions.can_export(request.user), "query": urlencode(query.values),
        "can_import": import_permissions.can_import(request.user),
    })


class OpenCardForm(forms.Form):
    customer_code = forms.CharField(label=gettext_lazy("Customer code"), max_length=20)


@login_required
@require_POST
def dealer_create(request):
    _opener(request)
    form = OpenCardForm(request.POST)
    back = reverse("dealers:list")
    if not form.is_valid():
        return refuse_form(request, form, back)
    customer = visible_customers(request.user).filter(customer_code=form.cleaned_data["customer_code"].strip().upper()).first()
    if customer is None:
        messages.error(request, _("No customer you can see has this code."))
        return redirect(back)
    return run_action(request, services.create_card, actor=request.user, customer_id=customer.pk,
                      redirect_to=lambda d: reverse("dealers:edit", args=[d.pk]), error_to=back,
                      success=_("The dealer card is open; fill it in."))


@login_required
@require_POST
def dealer_import(request):
    """Dealer cards from a sheet (old dealer systems' GBK CSV too): upload here, then map, preview and
    import on the import pages like any other resource."""
    from imports import permissions as import_permissions
    from imports import services as imports

    _opener(request)
    if not import_permissions.can_import(request.user):
        raise PermissionDenied
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("dealers:list")
    try:
        job = imports.create_import(actor=request.user, upload=upload, resource="dealers")
    except imports.ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect("dealers:list")
    return redirect("imports:detail", pk=job.pk)


@login_required
def dealer_detail(request, pk: int):
    dealer = _dealer_or_404(request, pk)
    read_customer(request.user, dealer.customer, request=request, subject=dealer.customer.name)
    can_decide = permissions.can_decide_franchise(request.user, dealer)
    return render(request, "dealers/dealer_detail.html", {
        "dealer": dealer, "sections": selectors.card_sections(request.user, dealer),
        "status_label": choice_label("franchise_status", dealer.franchise_status),
        "can_edit": permissions.can_edit_card(request.user, dealer), "can_decide": can_decide,
        "can_plan": permissions.can_enter_plan(request.user, dealer) and dealer.franchise_status in (S.ACTIVE, S.ADVISED),
        "failures": services.admission_failures(dealer) if dealer.franchise_status == S.APPLICANT else [],
        "moves": {target: services.FRANCHISE.can_move(dealer, target, request.user) for target in S.values},
        "advice_form": AdviceForm(), "withdrawal_form": WithdrawalForm(),
        "terminate_form": ReasonForm(reasons=services.TERMINATION_REASONS),
        "expel_form": ReasonForm(reasons=services.EXPULSION_REASONS),
        "events": dealer.events.select_related("actor")[:30],
        "changes": selectors.card_changes(request.user, dealer)[:30],
    })


@login_required
@require_http_methods(["GET", "POST"])
def dealer_edit(request, pk: int):
    dealer = _dealer_or_404(request, pk)
    if not permissions.can_edit_card(request.user, dealer):
        raise PermissionDenied
    access = selectors.card_access(request.user, [dealer])
    hidden = [spec.code for spec in CATALOGUE if not access.can_see(dealer, spec.code)]
    form = DealerCardForm(request.POST or None, instance=dealer, hidden=hidden)
    if request.method == "POST" and form.is_valid():
        return run_action(request, services.save_card, actor=request.user, dealer_id=dealer.pk, values=form.card_values(),
                          redirect_to=reverse("dealers:detail", args=[dealer.pk]), success=_("The dealer card is saved."))
    if request.method == "POST":
        dealer.refresh_from_db()  # the form changed the instance while validating
    return render(request, "dealers/dealer_form.html", {"dealer": dealer, "form": form})


@login_required
def dealer_print(request, pk: int):
    """The card for paper: masked as on the page, watermarked with the reader, and audited as a print."""
    dealer = _dealer_or_404(request, pk)
    sections, mark = services.print_card(actor=request.user, dealer=dealer, request=request)
    return render(request, "dealers/dealer_print.html", {"dealer": dealer, "sections": sections, "watermark": mark})


@login_required
def dealer_export(request):
    """The dealer list as filtered, as .xlsx with Chinese headers, masked per viewer, audited."""
    _opener(request)
    if not permissions.can_export(request.user):
        raise PermissionDenied
    _query, qs = _filtered(request)
    content = services.export_dealers(actor=request.user, dealers=qs, request=request)
    return xlsx_response(content, f"dealers-{timezone.localdate():%Y%m%d}.xlsx")


FRANCHISE_ACTIONS = {
    "admit": (CommentForm, {}, services.admit, gettext_lazy("The dealer is admitted as a member.")),
    "advise": (AdviceForm, {}, services.advise, gettext_lazy("The correction advice is recorded.")),
    "clear": (CommentForm, {}, services.clear_advice, gettext_lazy("The advice is marked as complied with.")),
    "terminate": (ReasonForm, {"reasons": services.TERMINATION_REASONS}, services.terminate,
                  gettext_lazy("The franchise contract is terminated.")),
    "expel": (ReasonForm, {"reasons": services.EXPULSION_REASONS}, services.expel, gettext_lazy("The member is expelled.")),
    "withdraw": (WithdrawalForm, {}, services.withdraw, gettext_lazy("The withdrawal is recorded.")),
}


@login_required
@require_POST
def franchise_action(request, pk: int, action: str):
    dealer = _dealer_or_404(request, pk)
    if action not in FRANCHISE_ACTIONS:
        raise Http404
    if not permissions.can_decide_franchise(request.user, dealer):
        raise PermissionDenied
    form_class, extra, service, success = FRANCHISE_ACTIONS[action]
    form = form_class(request.POST, **extra)
    back = reverse("dealers:detail", args=[dealer.pk])
    if not form.is_valid():
        return refuse_form(request, form, back)
    return run_action(request, service, actor=request.user, dealer_id=dealer.pk, **form.cleaned_data,
                      redirect_to=back, success=success)


# --- monthly plans, sales progress, credit, HQ share ---------------------------------------------------

def _month(text: str | None, default: date) -> date:
    if text:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    return default.replace(day=1)


@login_required
@require_http_methods(["GET", "POST"])
def dealer_plan(request, pk: int):
    from orders.models import Product

    dealer = _dealer_or_404(request, pk)
    if not permissions.can_enter_plan(request.user, dealer):
        raise PermissionDenied
    products = Product.objects.filter(active=True).order_by("code")[:300]
    month = timezone.localdate().replace(day=1)
    if request.method == "GET" and request.GET.get("month"):
        probe = PlanForm({"month": request.GET["month"]}, products=[])
        if probe.is_valid():
            month = _month(probe.cleaned_data["month"], month)
    plan = dealer.plans.filter(month=month).first()
    current = {line.product_id: line.quantity for line in plan.lines.all()} if plan else {}
    form = PlanForm(request.POST or None, products=products, current=current, initial={"month": f"{month:%Y-%m}"})
    if request.method == "POST":
        back = reverse("dealers:plan", args=[dealer.pk])
        if not form.is_valid():
            return refuse_form(request, form, back)
        return run_action(request, services.submit_plan, actor=request.user, dealer_id=dealer.pk,
                          month=_month(form.cleaned_data["month"], month), lines=form.lines(),
                          redirect_to=f"{back}?month={form.cleaned_data['month']}",
                          success=lambda p: _("The plan is saved (late: submitted after the 5th).") if p.late
                          else _("The plan is saved."))
    return render(request, "dealers/dealer_plan.html", {
        "dealer": dealer, "form": form, "month": month, "plan": plan, "due": services.plan_due(month),
        "quantity_fields": [form[f"q_{p.pk}"] for p in form.products],
    })


def _progress_query(request):
    query = ProgressFilter(request.GET)
    query.warn(request)
    values = query.values
    month = _month(values.get("month"), timezone.localdate())
    groups = selectors.sales_progress(request.user, month, region=values.get("region", ""), tier=values.get("tier", ""))
    return query, month, groups


@login_required
def sales_progress(request):
    _opener(request)
    query, month, groups = _progress_query(request)
    chart = {
        "categories": [f"{g.region or _('No region')} · {g.tier or '—'}" for g in groups],
        "plan": [float(g.plan) for g in groups], "actual": [float(g.actual) for g in groups],
        "labels": {"plan": _("Plan"), "actual": _("Actual")},
    }
    return render(request, "dealers/sales_progress.html", {
        "groups": groups, "month": month, "filter_form": query, "chart": chart,
        "can_export": permissions.can_export(request.user), "query": urlencode(query.values),
    })


@login_required
def sales_progress_export(request):
    _opener(request)
    if not permissions.can_export(request.user):
        raise PermissionDenied
    _query, month, groups = _progress_query(request)
    content = services.export_progress(actor=request.user, month=month, groups=groups, request=request)
    return xlsx_response(content, f"sales-progress-{month:%Y%m}.xlsx")


@login_required
def credit_proposals(request):
    if not permissions.can_open_credit(request.user):
        raise PermissionDenied
    return render(request, "dealers/credit_proposals.html", {
        "proposals": selectors.credit_queue(request.user),
        "shortfalls": list(selectors.open_shortfalls(request.user)[:200]),
        "can_propose": permissions.can_propose_credit(request.user),
        "deadline_form": DeadlineForm(),
    })


@login_required
@require_POST
def credit_run(request):
    if not permissions.can_propose_credit(request.user):
        raise PermissionDenied
    return run_action(request, services.propose_grades, actor=request.user, redirect_to=reverse("dealers:credit"),
                      success=lambda result: _("%(scored)s members scored, %(made)s grade changes proposed.")
                      % {"scored": result[0], "made": result[1]})


@login_required
@require_POST
def credit_decide(request, pk: int, decision: str):
    if not permissions.can_open_credit(request.user) or decision not in ("approve", "reject"):
        raise Http404
    proposal = selectors.open_credit_proposals(request.user).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    form = CommentForm(request.POST)
    back = reverse("dealers:credit")
    if not form.is_valid():
        return refuse_form(request, form, back)
    service = services.approve_credit if decision == "approve" else services.reject_credit
    return run_action(request, service, actor=request.user, proposal_id=proposal.pk, comment=form.cleaned_data["comment"],
                      redirect_to=back, success=_("Approved.") if decision == "approve" else _("Rejected."))


@login_required
@require_POST
def shortfall_decide(request, pk: int, decision: str):
    check = selectors.open_shortfalls(request.user).filter(pk=pk).first()
    if check is None or decision not in ("advise", "dismiss"):
        raise Http404
    back = reverse("dealers:credit")
    if decision == "dismiss":
        return run_action(request, services.dismiss_proposed_advice, actor=request.user, check_id=check.pk,
                          redirect_to=back, success=_("The proposal is dismissed."))
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        return refuse_form(request, form, back)
    return run_action(request, services.give_proposed_advice, actor=request.user, check_id=check.pk,
                      deadline=form.cleaned_data["deadline"], redirect_to=back,
                      success=_("The correction advice is recorded."))
