"""Thin views over the order services: permission → form → one service call → message and redirect.
Orders come only from `selectors.visible_orders(user)`, customers from the policy's visible set or its order-queue
reach; every page shows a row's customer as `selectors.order_view` says (named, or masked by its code), and opening
an order, a statement or an evidence file of a customer the reader does not name is audited by the policy."""
import re
from datetime import date, timedelta
from itertools import chain
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm import exports
from crm.actions import refuse_form, run_action
from crm.errors import DomainError
from crm.inputs import form_errors, page_number, positive_int
from customers.models import Customer
from customers.policy import queue_customers, read_queue_record, visible_customers
from customers.selectors import capped_count
from customers.validators import serve_upload

from . import permissions, selectors, services
from .forms import (
    AccountPeriodForm, ClaimForm, CommentForm, ConfirmForm, DecideForm, DeliverForm, LineFormSet, MonthForm,
    OrderForm, OrderQuery, PaymentForm, ProductImportForm, ReasonForm, ReturnForm, ShipForm,
)
from .models import ZERO, AccountPeriodApplication, Order, Payment, TransitClaim

PAGE = 50
CJK = re.compile(r"[\u3400-\u9fff]")
# Only the columns the list and queue pages show (the customer row is wide: every catalogue field), and the ones
# the policy's queue view reads to name or mask a row's customer.
_CUSTOMER = ("customer__name", "customer__customer_code", "customer__unit_id", "customer__confidentiality_level")
LIST_COLUMNS = ("number", "status", "total", "allocated", "created_at", "delivery_address", *_CUSTOMER)
APPROVAL_COLUMNS = ("number", "status", "total", "allocated", "booked_on", "delivery_address", *_CUSTOMER)
SHIPPING_COLUMNS = ("number", "ship_due_on", "transport", "destination_station", "delivery_address", "status",
                    *_CUSTOMER)
TRANSIT_COLUMNS = ("number", "shipped_on", "carrier", "waybill", "status", "delivery_address", *_CUSTOMER)
PAYMENT_COLUMNS = ("method", "amount", "discount_interest", "received_on", "reference", "payer", "status",
                   "created_at", "for_order__number", *_CUSTOMER)


def _order_or_404(user, pk) -> Order:
    pk = positive_int(pk)
    order = selectors.visible_orders(user).select_related("customer").filter(pk=pk).first() if pk else None
    if order is None:
        raise Http404
    return order


def _customer_or_404(user, pk) -> Customer:
    pk = positive_int(pk)
    customer = selectors.statement_customers(user).filter(pk=pk).first() if pk else None
    if customer is None:
        raise Http404
    return customer


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _page(request, qs, query=""):
    page = page_number(request.GET.get("page"))
    rows = list(qs[(page - 1) * PAGE: page * PAGE + 1])
    return {"rows": rows[:PAGE], "page": page, "has_next": len(rows) > PAGE, "query": query}


@login_required
def order_list(request):
    _require(permissions.can_open_orders(request.user) or permissions.is_delegate(request.user))
    query = OrderQuery(request.GET)
    query.warn(request)
    values = query.values
    qs = selectors.visible_orders(request.user)
    if values.get("status"):
        qs = qs.filter(status=values["status"])
    text = (values.get("q") or "").strip()
    if text:  # an order number, or the customer as the office knows it: its name or code
        qs = qs.filter(Q(number__startswith=text.upper()) | Q(customer__name__icontains=text)
                       | Q(customer__customer_code__istartswith=text))
    params = urlencode({k: v for k, v in values.items() if k in ("status", "q") and v})
    # First the page's ids, newest first, from the (customer, created_at, id) index alone; then only those rows,
    # with only the columns shown: the sort never carries whole order and customer rows.
    page = page_number(request.GET.get("page"))
    ids = qs.order_by("-created_at", "-id").values("pk")[(page - 1) * PAGE: page * PAGE + 1]
    rows = list(Order.objects.filter(pk__in=ids).select_related("customer").only(*LIST_COLUMNS)
                .order_by("-created_at", "-id"))
    selectors.order_view(request.user, rows)
    count, count_more = capped_count(qs)  # a rep's orders over years: never a full COUNT for a page
    return render(request, "orders/order_list.html", {
        "query_form": query, "rows": rows[:PAGE], "page": page, "has_next": len(rows) > PAGE, "query": params,
        "count": count, "count_more": count_more, "filtered": bool(text or values.get("status")),
        "can_create": permissions.can_enter_orders(request.user)})


def _pick_customer(request):
    """新建订单 from the list: find the customer first (approved customers the user may see), then the form."""
    from customers.selectors import filter_customers

    text = (request.GET.get("q") or "").strip()[:100]
    found = filter_customers(request.user, {"q": text}).only("pk", "name", "customer_code")[:20] if text else []
    return render(request, "orders/pick_customer.html", {"customers": found, "q": text})


@login_required
def product_options(request):
    """Products for the order lines' search box: code, name, specification, unit, list price."""
    _require(permissions.can_enter_orders(request.user))
    products = selectors.product_search(request.GET.get("q", "")[:40])
    return JsonResponse({"products": [
        {"code": p.code, "name": p.name, "specification": p.specification, "unit": p.unit,
         "price": str(p.list_price)} for p in products]})


@login_required
@require_http_methods(["GET", "POST"])
def product_import(request):
    """The product list from a sheet (codes, names, prices): upload here, then map, preview and import on the
    import pages like any other resource; the page lists the columns it reads and the user's earlier imports."""
    from imports import selectors as import_selectors
    from imports import services as imports
    from imports.resources import get_resource

    _require(permissions.can_manage_products(request.user))
    back = reverse("orders:product_import")
    form = ProductImportForm(request.POST, request.FILES) if request.method == "POST" else ProductImportForm()
    if request.method == "POST":
        if not form.is_valid():
            return refuse_form(request, form, back)
        try:
            job = imports.create_import(actor=request.user, upload=form.cleaned_data["file"], resource="products")
        except imports.ImportRefused as exc:
            messages.error(request, str(exc))
            return redirect(back)
        return redirect("imports:detail", pk=job.pk)
    # The header spellings in the page's language (Chinese ones in the Chinese UI); the others are recognised too.
    chinese = (translation.get_language() or "").startswith("zh")
    columns = [(column.label, [a for a in dict.fromkeys(column.aliases) if bool(CJK.search(a)) == chinese])
               for column in get_resource("products").columns()]
    return render(request, "orders/product_import.html", {
        "form": form, "columns": columns,
        "jobs": import_selectors.visible_jobs(request.user).filter(resource="products")[:20],
    })


@login_required
def order_new(request):
    _require(permissions.can_enter_orders(request.user))
    if request.method == "GET" and not request.GET.get("customer"):
        return _pick_customer(request)
    pk = positive_int(request.GET.get("customer") or request.POST.get("customer"))
    customer = selectors.orderable_customers(request.user).filter(pk=pk).first() if pk else None
    if customer is None:
        raise Http404
    form = OrderForm(request.POST or None, initial={"delivery_address": customer.address or ""})
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                order = services.create_order(
                    actor=request.user, customer=customer, lines=[f.cleaned_data for f in lines.forms if f.cleaned_data],
                    delivery_address=data["delivery_address"], transport=data["transport"],
                    destination_station=data["destination_station"], remittance=data["remittance"] or 0,
                    notes=data["notes"], payment_mode=data["payment_mode"],
                )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if "submit" in request.POST:
                return run_action(request, services.submit_order, actor=request.user, order_id=order.pk,
                                  success=_("The order is submitted."),
                                  redirect_to=reverse("orders:detail", args=[order.pk]),
                                  error_to=reverse("orders:detail", args=[order.pk]))
            messages.success(request, _("The order is saved as a draft."))
            return redirect("orders:detail", order.pk)
    elif request.method == "POST":
        messages.error(request, _("Please correct the marked fields.") + " " + form_errors(form))
    return render(request, "orders/order_form.html", {
        "customer": customer, "form": form, "lines": lines,
        "balance": selectors.balance(customer.pk), "terms": getattr(customer, "credit_terms", None),
        "missing": customer.missing_fields("required"),  # the policy's queryset gave the whole row
    })


@login_required
def order_detail(request, pk):
    order = _order_or_404(request.user, pk)
    user = request.user
    view = read_queue_record(user, order.customer, request=request, subject=order.number, detail={"what": "order"})
    selectors.order_view(user, [order], view=view)
    can = {target: services.ORDER.can_move(order, target, user) for target in Order.Status.values}
    return render(request, "orders/order_detail.html", {
        "order": order, "lines": order.lines.select_related("product"),
        "events": order.events.select_related("actor")[:100],
        "allocations": order.allocations.select_related("payment"),
        "claims": order.claims.all(), "returns": order.returns.select_related("line__product"),
        "can": can, "can_return": permissions.can_record_returns(user) and order.status in ("delivered", "closed"),
        "can_claim": permissions.can_file_claims(user) and order.shipped_on is not None,
        "ship_form": ShipForm(), "deliver_form": DeliverForm(), "return_form": ReturnForm(), "claim_form": ClaimForm(),
        "late": order.ship_late(timezone.localdate()),
    })


ACTIONS = {
    "submit": (lambda data, files: CommentForm(data), lambda req, pk, d: services.submit_order(
        actor=req.user, order_id=pk), _("The order is submitted.")),
    "approve": (lambda data, files: CommentForm(data), lambda req, pk, d: services.approve_order(
        actor=req.user, order_id=pk, comment=d["comment"]), _("The order is approved.")),
    "ship": (lambda data, files: ShipForm(data), lambda req, pk, d: services.ship_order(
        actor=req.user, order_id=pk, carrier=d["carrier"], waybill=d["waybill"], shipped_on=d["shipped_on"]),
        _("The shipment is recorded.")),
    "deliver": (lambda data, files: DeliverForm(data), lambda req, pk, d: services.deliver_order(
        actor=req.user, order_id=pk, delivered_on=d["delivered_on"]), _("The delivery is recorded.")),
    "cancel": (lambda data, files: ReasonForm(data), lambda req, pk, d: services.cancel_order(
        actor=req.user, order_id=pk, reason=d["reason"]), _("The order is cancelled.")),
    "return": (lambda data, files: ReturnForm(data), lambda req, pk, d: services.record_return(
        actor=req.user, line_id=_line_of(pk, d["line"]), quantity=d["quantity"], reason=d["reason"], on=d["on"],
        hq_at_fault=d["hq_at_fault"]), _("The return is recorded.")),
    "claim": (lambda data, files: ClaimForm(data, files), lambda req, pk, d: services.file_claim(
        actor=req.user, order_id=pk, kind=d["kind"], description=d["description"], evidence=d["evidence"],
        on=d["on"]), _("The claim is filed.")),
}


def _line_of(order_id: int, line_id: int) -> int:
    from .models import OrderLine

    if not OrderLine.objects.filter(pk=line_id, order_id=order_id).exists():
        raise services.OrderError("orders.no_such_line", _("That line is not on this order."))
    return line_id


@login_required
@require_POST
def order_action(request, pk, action):
    order = _order_or_404(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    make_form, call, success = ACTIONS[action]
    form = make_form(request.POST, request.FILES)
    back = request.POST.get("back") if request.POST.get("back") in {
        reverse(n) for n in ("orders:approvals", "orders:shipping")} else reverse("orders:detail", args=[order.pk])
    if not form.is_valid():
        return refuse_form(request, form, back)
    return run_action(request, call, request, order.pk, form.cleaned_data, success=success, redirect_to=back)


@login_required
def claim_evidence(request, pk):
    """Evidence goes out only to those who may see the order, as what it really is (never as HTML)."""
    claim = TransitClaim.objects.filter(pk=positive_int(pk) or 0).first()
    if claim is None:
        raise Http404
    order = _order_or_404(request.user, claim.order_id)
    read_queue_record(request.user, order.customer, request=request, subject=order.number,
                      detail={"what": "claim_evidence", "claim": claim.pk})
    return serve_upload(claim.evidence)


# --- queues -----------------------------------------------------------------------------------------
@login_required
def payments(request):
    _require(permissions.can_open_payments(request.user))
    form = PaymentForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return refuse_form(request, form, reverse("orders:payments"))
        data = form.cleaned_data
        customer = queue_customers(request.user, "money").filter(customer_code=data["customer_code"].strip()).first()
        if customer is None:
            messages.error(request, _("No customer with code %(code)s.") % {"code": data["customer_code"][:40]})
            return redirect("orders:payments")
        return run_action(request, services.record_payment, actor=request.user, customer=customer,
                          method=data["method"], amount=data["amount"], received_on=data["received_on"],
                          reference=data["reference"], payer=data["payer"],
                          discount_interest=data["discount_interest"] or 0,
                          success=_("The payment is recorded; confirm it when it is in the bank."),
                          redirect_to=reverse("orders:payments"))
    page = _page(request, selectors.payments_to_confirm().only(*PAYMENT_COLUMNS).order_by("created_at", "id"))
    selectors.order_view(request.user, page["rows"])
    return render(request, "orders/payments.html", {
        "form": form, **page, "confirm_form": ConfirmForm(), "reason_form": ReasonForm()})


@login_required
@require_POST
def payment_action(request, pk, action):
    _require(permissions.can_confirm_payments(request.user))
    payment = Payment.objects.filter(pk=positive_int(pk) or 0).first()
    if payment is None or action not in ("confirm", "reject"):
        raise Http404
    back = reverse("orders:payments")
    if action == "reject":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return refuse_form(request, form, back)
        return run_action(request, services.reject_payment, actor=request.user, payment_id=payment.pk,
                          reason=form.cleaned_data["reason"], success=_("The payment is rejected."), redirect_to=back)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return refuse_form(request, form, back)
    order_ids = list(Order.objects.filter(customer_id=payment.customer_id, number__in=form.cleaned_data["orders"])
                     .values_list("pk", flat=True))
    return run_action(request, services.confirm_payment, actor=request.user, payment_id=payment.pk, orders=order_ids,
                      success=_("The payment is confirmed and allocated."), redirect_to=back)


@login_required
def approvals(request):
    _require(permissions.can_approve(request.user))
    page = _page(request, selectors.orders_to_approve().only(*APPROVAL_COLUMNS).order_by("booked_on", "id"))
    selectors.order_view(request.user, page["rows"])
    return render(request, "orders/approvals.html", {**page, "comment_form": CommentForm()})


@login_required
def shipping(request):
    _require(permissions.can_ship(request.user))
    today = timezone.localdate()
    page = _page(request, selectors.orders_to_ship().only(*SHIPPING_COLUMNS).order_by("ship_due_on", "id"))
    in_transit = list(selectors.orders_to_deliver().only(*TRANSIT_COLUMNS).order_by("shipped_on", "id")[:PAGE])
    selectors.order_view(request.user, page["rows"] + in_transit)
    return render(request, "orders/shipping.html", {
        **page, "today": today, "in_transit": in_transit, "ship_form": ShipForm(), "deliver_form": DeliverForm()})


# --- statements ----------------------------------------------------------------------------------
STATEMENT_PAGE_ROWS = 300  # the page shows the latest rows; the .xlsx has every one


def _statement_headers():
    return [_("Date"), _("Item"), _("Reference"), _("Debit"), _("Credit"), _("Balance")]


@login_required
def statement(request, pk):
    """The customer statement (all time) or the monthly one (?month=YYYY-MM), latest rows first by page;
    ?format=xlsx downloads every row."""
    _require(permissions.can_open_orders(request.user) or permissions.can_open_payments(request.user))
    customer = _customer_or_404(request.user, pk)
    xlsx = request.GET.get("format") == "xlsx"
    view = read_queue_record(request.user, customer, request=request, subject=customer.customer_code or str(customer.pk),
                             detail={"what": "statement", "format": "xlsx" if xlsx else "page"}, export=xlsx)
    query = MonthForm(request.GET)
    query.warn(request)
    month: date | None = query.values.get("month")
    start, end = selectors.month_bounds(month) if month else (None, None)
    if xlsx:
        title = _("Statement") + (f" {month:%Y-%m}" if month else "")
        opening = selectors.balance(customer.pk, until=start - timedelta(days=1)) if start else ZERO
        body = chain([[_("Opening balance"), "", "", "", "", opening]], (
            [row.on, row.kind, row.reference, row.debit, row.credit, row.balance]
            for row in selectors.statement_rows(customer.pk, start, end)))
        content = exports.streamed_workbook(
            title=title, watermark=exports.watermark(request.user, str(title)), headers=_statement_headers(), rows=body)
        name = f"statement-{customer.customer_code or customer.pk}{'-' + format(month, '%Y%m') if month else ''}.xlsx"
        return exports.xlsx_response(content, name)
    page = selectors.statement_page(customer.pk, start, end, page=page_number(request.GET.get("page")),
                                    per_page=STATEMENT_PAGE_ROWS)
    return render(request, "orders/statement.html", {
        "customer": customer, "customer_name": view.name(customer), "customer_named": view.names(customer),
        "customer_seen": view.sees(customer), "statement": page, "opening": page.opening, "rows": page.rows,
        "closing": page.closing, "month": month, "page": page.page, "has_next": page.has_older,
        "query": f"month={month:%Y-%m}" if month else "", "terms": getattr(customer, "credit_terms", None)})


# --- account period ----------------------------------------------------------------------------------
@login_required
def account_period_new(request, pk):
    _require(permissions.can_apply_account_period(request.user))
    customer = selectors.orderable_customers(request.user).filter(pk=positive_int(pk) or 0).first()
    if customer is None:
        raise Http404
    form = AccountPeriodForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return refuse_form(request, form, request.path)
        d = form.cleaned_data
        return run_action(request, services.apply_account_period, actor=request.user, customer=customer,
                          limit=d["limit"], period_days=d["period_days"], investigation=d["investigation"],
                          success=_("The application is sent to the sales manager."),
                          redirect_to=reverse("customers:detail", args=[customer.pk]))
    return render(request, "orders/account_period_form.html", {"customer": customer, "form": form})


@login_required
def account_periods(request):
    _require(permissions.can_decide_account_period(request.user))
    pending = AccountPeriodApplication.objects.filter(
        status="pending", customer__in=visible_customers(request.user)).select_related("customer", "applicant")
    return render(request, "orders/account_periods.html", {
        **_page(request, pending.order_by("created_at", "id")), "decide_form": DecideForm()})


@login_required
@require_POST
def account_period_decide(request, pk):
    _require(permissions.can_decide_account_period(request.user))
    application = AccountPeriodApplication.objects.filter(
        pk=positive_int(pk) or 0, customer__in=visible_customers(request.user)).first()
    if application is None:
        raise Http404
    form = DecideForm(request.POST)
    back = reverse("orders:account_periods")
    if not form.is_valid():
        return refuse_form(request, form, back)
    return run_action(request, services.decide_account_period, actor=request.user, application_id=application.pk,
                      approve=form.cleaned_data["decision"] == "approve", comment=form.cleaned_data["comment"],
                      success=_("The application is decided."), redirect_to=back)
