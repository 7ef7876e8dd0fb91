"""Thin views: permission → form → one service call → message and redirect. Rows come from selectors."""
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

from crm import audit
from crm.actions import refuse_form, run_action
from crm.exports import streamed_workbook, watermark, xlsx_response
from crm.inputs import QueryForm, page_number
from customers.policy import read_customer, visible_customers

from . import permissions, selectors, services
from .catalogue import CATALOGUE
from .choice_labels import choice_label
from .forms import AdviceForm, CommentForm, DealerCardForm, ReasonForm, WithdrawalForm
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
    _opener(request)
    query, qs = _filtered(request)
    page = page_number(request.GET.get("page"))
    rows = list(qs[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    return render(request, "dealers/dealer_list.html", {
        "dealers": rows[:PAGE_SIZE], "page": page, "has_next": len(rows) > PAGE_SIZE, "filter_form": query,
        "can_export": permissions.can_export(request.user), "query": urlencode(query.values),
        "open_form": OpenCardForm(),
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
def dealer_detail(request, pk: int):
    dealer = _dealer_or_404(request, pk)
    read_customer(request.user, dealer.customer, request=request, subject=dealer.customer.name)
    can_decide = permissions.can_decide_franchise(request.user, dealer)
    return render(request, "dealers/dealer_detail.html", {
        "dealer": dealer, "sections": selectors.card_sections(request.user, dealer),
        "status_label": choice_label("franchise_status", dealer.franchise_status),
        "can_edit": permissions.can_edit_card(request.user, dealer), "can_decide": can_decide,
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
    audit.record("print", actor=request.user, customers=[dealer.customer], request=request,
                 subject=_("Dealer card: %(name)s") % {"name": dealer.customer.name})
    return render(request, "dealers/dealer_print.html", {
        "dealer": dealer, "sections": selectors.card_sections(request.user, dealer),
        "watermark": watermark(request.user, _("Dealer card printout")),
    })


@login_required
def dealer_export(request):
    """The dealer list as filtered, as .xlsx with Chinese headers, masked per viewer, audited."""
    _opener(request)
    if not permissions.can_export(request.user):
        raise PermissionDenied
    _query, qs = _filtered(request)
    dealers = list(qs[:50_000])
    access = selectors.card_access(request.user, dealers)
    headers = [_("Customer code"), _("Name"), _("Franchise status")] + [str(spec.label) for spec in CATALOGUE]
    rows = ([d.customer.customer_code or "", d.customer.name, choice_label("franchise_status", d.franchise_status)]
            + [selectors.shown(access, d, spec.code) for spec in CATALOGUE] for d in dealers)
    mark = watermark(request.user, _("Dealer export"))
    content = streamed_workbook(title=_("Dealers"), watermark=mark, headers=headers, rows=rows)
    audit.record("export", actor=request.user, customers=dealers, request=request,
                 subject=_("Dealer export"), detail={"rows": len(dealers)})
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
