"""Thin views: check permission, shape input with a form, call one service, say what happened."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.utils.html import escape
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm import audit, registry
from crm.actions import refuse_form, run_action
from crm.exports import xlsx_response
from crm.inputs import form_errors, page_number
from crm.models import OrgUnit
from customers import policy

from . import bulk, permissions, selectors, services
from .catalogue import CATALOGUE
from .forms import (
    BulkActionForm, CommentForm, CustomerFilterForm, CustomerForm, HandoverDecisionForm, HandoverForm, IdNumberCheckForm,
    ReasonForm, SavedFilterForm, StatusForm, SubmitForm, TierForm, UnmaskForm, VerificationForm,
)
from .models import BulkAction, Customer, HandoverRequest, LevelChangeRequest, SavedFilter
from .regions import region_label, search_regions
from .validators import id_number_warning, normalise_number, serve_upload, validate_id_number

PAGE_SIZE = 50
LIST_COLUMNS = (
    "customer_code", "name", "tier", "registration_status", "customer_status", "profile_completeness", "updated_at",
    "mobile", "account_manager_id", "last_verified_on",
    "unit__name", "account_manager__first_name", "account_manager__last_name",
)
FILTER_KEYS = (
    "q", "state", "tier", "customer_status", "customer_source", "retail_format", "admin_region", "unit", "owner",
    "verification_overdue", "verification_due", "completeness_below", "sort",
)


def _visible_or_404(user, pk) -> Customer:
    customer = selectors.visible_customers(user).select_related("unit", "account_manager").filter(pk=pk).first()
    if customer is None:
        raise Http404
    policy.remember_visible(user, customer)
    return customer


def _units_for(user):
    if user.is_superuser:
        return OrgUnit.objects.filter(is_active=True)
    return OrgUnit.objects.filter(pk__in=selectors.own_unit_ids(user), is_active=True)


@login_required
def customer_list(request):
    params = {k: v for k, v in request.GET.items() if k in FILTER_KEYS and v}
    qs = (
        selectors.filter_customers(request.user, request.GET)
        .select_related("unit", "account_manager")
        .only(*LIST_COLUMNS)
    )
    page = page_number(request.GET.get("page"))
    if not request.headers.get("HX-Request"):
        CustomerFilterForm(request.GET).warn(request)
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    count, more = selectors.capped_count(qs)
    rows = rows[:PAGE_SIZE]
    access = policy.field_access(request.user, rows)
    today = timezone.localdate()
    context = {
        "customers": [(c, policy.shown(access, c, "mobile", c.mobile), selectors.next_due(c, today)) for c in rows],
        "filter_count": len([k for k in params if k not in ("q", "sort", "page")]),
        "page": page,
        "has_next": has_next,
        "count": count,
        "count_more": more,
        "params": params,
        "query": urlencode(params),
        "tiers": Customer._meta.get_field("tier").choices,
        "statuses": Customer._meta.get_field("customer_status").choices,
        "states": Customer.Registration.choices,
        "sources": Customer._meta.get_field("customer_source").choices,
        "formats": Customer._meta.get_field("retail_format").choices,
        "units": OrgUnit.objects.filter(is_active=True),
        "owners": selectors.assignable_owners(request.user),
        "saved_filters": SavedFilter.objects.filter(user=request.user),
        "can_register": permissions.can_register(request.user),
        "can_export": permissions.can_export_directly(request.user),
        **_bulk_choices(request.user),
    }
    template = "customers/_customer_rows.html" if request.headers.get("HX-Request") else "customers/customer_list.html"
    return render(request, template, context)


@login_required
@require_POST
def bulk_action(request):
    """A bulk action from the list: on the checked customers or on every one the filter finds; each goes
    through its own service. Small ones run now, large ones on the worker; either way the result page
    lists the customers that could not be changed and why."""
    form = BulkActionForm(request.POST, user=request.user)
    query = request.POST.get("query", "")[:2000]
    back = f"{reverse('customers:list')}?{query}" if query else reverse("customers:list")
    if not form.is_valid():
        return refuse_form(request, form, back)
    data = form.cleaned_data
    return run_action(
        request, bulk.start_bulk_action, actor=request.user, action=data["action"], params=data["query"],
        ids=form.selected_ids(), field=data["field"], value=data["value"], owner=data["owner"],
        comment=data["comment"].strip(), redirect_to=lambda done: reverse("customers:bulk_detail", args=[done.pk]),
        error_to=back,
    )


def _bulk_choices(user) -> dict:
    """What the list's bulk toolbar offers; the account managers load only when that action is chosen."""
    allowed = permissions.bulk_actions(user)
    return {
        "bulk_actions": [(value, label) for value, label in BulkAction.Action.choices if value in allowed],
        "bulk_fields": [(code, CATALOGUE[code].label) for code in services.SETTABLE_FIELDS],
        "bulk_values": BulkActionForm.value_groups(),
    }


@login_required
def bulk_owners(request):
    """The account managers a bulk "assign" may choose (the handover's heirs), as <option>s for the toolbar."""
    if not permissions.can_hand_over(request.user):
        raise PermissionDenied
    return render(request, "customers/_owner_options.html", {"owners": selectors.handover_heirs(request.user)})


def _bulk_or_404(request, pk) -> BulkAction:
    found = BulkAction.objects.filter(pk=pk, actor=request.user).first()  # only its own: the names are the actor's to see
    if found is None:
        raise Http404
    return found


@login_required
def bulk_detail(request, pk):
    action = _bulk_or_404(request, pk)
    return render(request, "customers/bulk_action.html", {"bulk": action, "params": action.params,
                                                           "field_label": CATALOGUE.by_code[action.params["field"]].label
                                                           if action.params.get("field") in CATALOGUE.by_code else ""})


@login_required
def bulk_progress(request, pk):
    """The progress bar, polled by htmx; once the action has finished the page reloads with the result."""
    action = _bulk_or_404(request, pk)
    response = render(request, "customers/_bulk_progress.html", {"bulk": action})
    if not action.running:
        response["HX-Refresh"] = "true"
    return response


@login_required
def customer_export(request):
    """The list as filtered, as .xlsx, for those who may export directly; others are told to file a data request."""
    params = {k: v for k, v in request.GET.items() if k in FILTER_KEYS and v}
    query = urlencode(params)
    if not permissions.can_export_directly(request.user):
        return render(request, "customers/customer_export_refused.html", {"query": query}, status=403)
    try:
        content, filename, _count = services.export_customers(actor=request.user, params=params, request=request)
    except services.CustomerError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('customers:list')}?{query}" if query else reverse("customers:list"))
    return xlsx_response(content, filename)


@login_required
@require_POST
def save_filter(request):
    form = SavedFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("customers:list")
    name, query = form.cleaned_data["name"], form.cleaned_data["query"]
    if name:
        SavedFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return redirect(f"{request.build_absolute_uri('/customers/')}?{query}")


@login_required
def region_options(request):
    """Datalist options for the region picker: type a place name or code prefix."""
    # the form's field, the import's default, the list's bulk action
    term = request.GET.get("admin_region") or request.GET.get("default_admin_region") or request.GET.get("region", "")
    return render(request, "customers/_region_options.html", {"regions": search_regions(term)})


@login_required
@require_GET
def id_number_check(request):
    """The ID number field's verdict as it is typed: the error that would refuse it, or the warning saving keeps."""
    number = normalise_number(IdNumberCheckForm(request.GET).values.get("id_number", ""))
    error, warning = "", ""
    try:
        validate_id_number(number)
        warning = id_number_warning(number)
    except ValidationError as exc:
        error = exc.messages[0]
    return render(request, "customers/_id_check.html", {"error": error, "warning": warning, "name": "id_number"})


def _form_warnings(request, form) -> None:
    for warning in form.warnings.values():
        messages.warning(request, warning)


@login_required
def customer_create(request):
    if not permissions.can_register(request.user):
        raise PermissionDenied
    units = _units_for(request.user)
    form = CustomerForm(request.POST or None, request.FILES or None, user=request.user, units=units)
    if request.method == "POST" and form.is_valid():
        customer = services.register_customer(
            actor=request.user, unit=form.cleaned_data["unit"], customer=form.save(commit=False)
        )
        form.save_m2m()
        messages.success(request, _("Draft saved."))
        _form_warnings(request, form)
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "creating": True})


@login_required
def customer_edit(request, pk):
    customer = _visible_or_404(request.user, pk)
    if not permissions.can_edit(request.user, customer):
        raise PermissionDenied
    units = _units_for(request.user) | OrgUnit.objects.filter(pk=customer.unit_id)
    old_level = customer.confidentiality_level
    form = CustomerForm(request.POST or None, request.FILES or None, instance=customer, user=request.user, units=units.distinct())
    if request.method == "POST" and form.is_valid():
        wanted_level = form.instance.confidentiality_level
        form.instance.confidentiality_level = old_level  # the level changes only through its service (lowering is approved)
        form.save()
        messages.success(request, _("Changes saved."))
        _form_warnings(request, form)
        if wanted_level and wanted_level != old_level:
            try:
                pending = services.change_confidentiality(
                    actor=request.user, customer_id=customer.pk, level=wanted_level, reason=_("Changed on the customer form")
                )
            except services.CustomerError as exc:
                messages.error(request, str(exc))
            else:
                if pending is not None:
                    messages.info(request, _("Lowering the confidentiality level waits for the marketing head's approval."))
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@login_required
def customer_detail(request, pk):
    customer = _visible_or_404(request.user, pk)
    access = policy.read_customer(request.user, customer, request=request)
    context = {
        "customer": customer,
        "actions": permissions.actions_for(request.user, customer),
        "missing_important": customer.missing_fields("important"),
        "groups": _detail_groups(customer, access),
        "may_unmask": policy.may_unmask(request.user, customer),
        # Other apps' entries and panels (visits, revisits, greetings...) come through the registry.
        "timeline": registry.customer_timeline(customer, request.user)[:50],
        "panels": registry.customer_panels(customer, request.user),
        "suggested_tier": services.suggest_tier(customer),
        "changes": selectors.change_history(customer, user=request.user, access=access),
        "co_owners": customer.co_owners.all(),
        "verifications": customer.verifications.select_related("verifier")[:10],
        "next_verification": services.next_verification_due(customer),
        "next_static_review": services.next_static_review_due(customer),
        "duplicates": selectors.find_duplicates(request.user, customer)
        if customer.registration_status in (Customer.Registration.DRAFT, Customer.Registration.REJECTED)
        else [],
        "tier_form": TierForm(),
        "status_form": StatusForm(current=customer.customer_status),
        "verify_form": VerificationForm(),
        "reason_form": ReasonForm(),
    }
    return render(request, "customers/customer_detail.html", context)


def _detail_groups(customer, access):
    """Fields grouped as in the form; sensitive ones masked unless the policy lets the viewer see them."""
    from .forms import GROUP_LABELS

    groups = []
    for group, label in GROUP_LABELS.items():
        rows = []
        for spec in customer.applicable_fields():
            if spec.group != group:
                continue
            field = customer._meta.get_field(spec.code)
            if field.choices:
                value = getattr(customer, f"get_{spec.code}_display")()
            elif spec.type == "region":
                value = f"{customer.admin_region} {region_label(customer.admin_region)}" if customer.admin_region else ""
            else:
                value = getattr(customer, spec.code)
            masked = not access.can_see(customer, spec.code)
            if masked:
                value = policy.mask(spec.code, value)
            rows.append((spec, value, customer.is_filled(spec.code), masked))
        groups.append((group, label, rows))
    return groups


@login_required
@require_POST
def unmask_field(request, pk):
    """Reveals one masked field to a viewer allowed to, once, with the reason in the audit log."""
    customer = _visible_or_404(request.user, pk)
    form = UnmaskForm(request.POST)
    form.is_valid()
    code = form.cleaned_data.get("field")
    spec = CATALOGUE.by_code.get(code)
    # A scan is not text: revealing it would only give away the file's name.
    if code is None or spec is None or spec.type == "photo" or not policy.may_unmask(request.user, customer):
        raise PermissionDenied
    if form.errors:
        return HttpResponse(escape(form_errors(form)), status=400)
    reason = form.cleaned_data["reason"]
    audit.record("unmask", actor=request.user, customers=[customer], request=request, reason=reason, detail={"field": code})
    value = getattr(customer, code)
    return HttpResponse(escape(getattr(value, "name", value) or ""))


@login_required
def customer_file(request, pk, field):
    """Uploaded images and scans go out only through the policy, never from a public media URL."""
    customer = _visible_or_404(request.user, pk)
    spec = CATALOGUE.by_code.get(field)
    if spec is None or spec.type != "photo" or not policy.can_see_field(request.user, customer, field):
        raise Http404
    file = getattr(customer, field)
    if not file:
        raise Http404
    policy.read_customer(request.user, customer, request=request, subject=field,
                         every_level=field in policy.SENSITIVE_FIELDS)
    return serve_upload(file)


# action → (the form that shapes its POST, the one service call it makes with the cleaned data)
ACTIONS = {
    "submit": (lambda customer, data: SubmitForm(data), lambda req, pk, d: services.submit_registration(
        actor=req.user, customer_id=pk, acknowledge_duplicates=d["acknowledge"], comment=d["comment"],
    )),
    "first_review": (lambda customer, data: CommentForm(data), lambda req, pk, d: services.first_review_registration(
        actor=req.user, customer_id=pk, comment=d["comment"]
    )),
    "approve": (lambda customer, data: CommentForm(data), lambda req, pk, d: services.approve_registration(
        actor=req.user, customer_id=pk, comment=d["comment"]
    )),
    "reject": (lambda customer, data: ReasonForm(data), lambda req, pk, d: services.reject_registration(
        actor=req.user, customer_id=pk, reason=d["reason"]
    )),
    "tier": (lambda customer, data: TierForm(data), lambda req, pk, d: services.change_tier(
        actor=req.user, customer_id=pk, tier=d["tier"], reason=d["reason"]
    )),
    "status": (lambda customer, data: StatusForm(data, current=customer.customer_status),
               lambda req, pk, d: services.change_customer_status(
                   actor=req.user, customer_id=pk, status=d["status"], reason=d["reason"]
               )),
    "verify": (lambda customer, data: VerificationForm(data), lambda req, pk, d: services.verify_customer(
        actor=req.user, customer_id=pk, channel=d["channel"], result=d["result"],
        static_reviewed=d["static_reviewed"], note=d["note"],
    )),
}
DONE = {
    "submit": _("Submitted for approval."),
    "first_review": _("First review passed."),
    "approve": _("Approved. Customer code: %(code)s"),
    "reject": _("Rejected; the registration went back to the rep."),
    "tier": _("Tier changed."),
    "status": _("Status changed."),
    "verify": _("Verification recorded."),
}


@login_required
@require_POST
def customer_action(request, pk, action):
    customer = _visible_or_404(request.user, pk)
    if action not in ACTIONS:
        raise Http404
    make_form, act = ACTIONS[action]
    form = make_form(customer, request.POST)
    try:
        if not form.is_valid():
            raise services.CustomerError(form_errors(form))
        result = act(request, pk, form.cleaned_data)
    except services.DuplicatesNeedAcknowledgement as exc:
        messages.warning(request, str(exc))
        return redirect(f"{request.build_absolute_uri(f'/customers/{pk}/')}#duplicates")
    except services.CustomerError as exc:
        messages.error(request, str(exc))
    else:
        code = getattr(result, "customer_code", "") or ""
        messages.success(request, DONE[action] % {"code": code} if "%(code)s" in DONE[action] else DONE[action])
    next_url = request.POST.get("next")
    if next_url == "queue":
        return redirect("customers:approvals")
    return redirect("customers:detail", pk=pk)


@login_required
def approvals(request):
    if not (permissions.can_approve_in_general(request.user) or permissions.can_first_review_in_general(request.user)):
        raise PermissionDenied
    queue = selectors.approval_queue(request.user)[:200]
    return render(request, "customers/approvals.html", {"queue": queue, "reason_form": ReasonForm()})


@login_required
def handover(request):
    if not permissions.can_hand_over(request.user):
        raise PermissionDenied
    form = HandoverForm(request.POST or None, user=request.user)
    scope = selectors.handoverable_customers(request.user)
    if request.method == "POST" and form.is_valid():
        from_user = form.cleaned_data["from_user"]
        codes = form.customer_codes()
        ids = None
        if codes:
            found = dict(scope.filter(account_manager=from_user, customer_code__in=codes).values_list("customer_code", "pk"))
            ids = list(found.values())
            unknown = set(codes) - set(found)
            if unknown:
                form.add_error("customers", _("Not customers of this rep: %(codes)s") % {"codes": "、".join(sorted(unknown))})
        if not form.errors:
            try:
                if form.is_self_handover():
                    services.request_self_handover(
                        actor=request.user, from_user=from_user, customer_ids=ids, reason=form.cleaned_data["reason"]
                    )
                    done = _("Your request to take these customers over waits for another sales manager's confirmation.")
                else:
                    moved = services.handover_customers(
                        actor=request.user,
                        from_user=from_user,
                        to_users=list(form.cleaned_data["to_users"]),
                        customer_ids=ids,
                        deactivate=form.cleaned_data["deactivate"],
                        reason=form.cleaned_data["reason"],
                    )
                    done = _("%(n)d customers handed over.") % {"n": moved}
            except services.CustomerError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, done)
                return redirect("customers:handover")
    # Counts only of the customers this manager may hand over: the page must not size other units' books.
    counts = dict(
        scope.order_by().values("account_manager").annotate(owned=Count("pk")).values_list("account_manager", "owned")
    )
    owners = list(get_user_model().objects.filter(pk__in=counts))
    for owner in owners:
        owner.owned = counts[owner.pk]
    owners = sorted(owners, key=lambda u: -u.owned)[:200]
    return render(request, "customers/handover.html", {"form": form, "owners": owners})


@login_required
def handover_requests(request):
    """Self-handovers waiting for a second approver."""
    if not permissions.can_confirm_handovers_in_general(request.user):
        raise PermissionDenied
    return render(
        request,
        "customers/handover_requests.html",
        {"pending": selectors.handover_requests_to_confirm(request.user), "form": HandoverDecisionForm()},
    )


@login_required
@require_POST
def handover_request_decide(request, pk):
    handover_request = get_object_or_404(HandoverRequest, pk=pk)
    if not permissions.can_confirm_handover(request.user, handover_request):
        raise Http404
    form = HandoverDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to confirm or refuse the handover."))
        return redirect("customers:handover_requests")
    try:
        if form.cleaned_data["decision"] == "approve":
            moved = services.approve_handover_request(
                actor=request.user, request_id=pk, comment=form.cleaned_data["comment"]
            )
            messages.success(request, _("%(n)d customers handed over.") % {"n": moved})
        else:
            services.reject_handover_request(actor=request.user, request_id=pk, comment=form.cleaned_data["comment"])
            messages.success(request, _("Handover request refused."))
    except services.CustomerError as exc:
        messages.error(request, str(exc))
    return redirect("customers:handover_requests")


@login_required
def level_requests(request):
    """Requests to lower a confidentiality level, for the marketing head."""
    if not permissions.can_lower_confidentiality(request.user):
        raise PermissionDenied
    pending = LevelChangeRequest.objects.filter(status=LevelChangeRequest.Status.PENDING).select_related(
        "customer", "requester"
    )[:200]
    return render(request, "customers/level_requests.html", {"pending": pending, "form": HandoverDecisionForm()})


@login_required
@require_POST
def level_request_decide(request, pk):
    if not permissions.can_lower_confidentiality(request.user):
        raise Http404
    get_object_or_404(LevelChangeRequest, pk=pk)
    form = HandoverDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or reject the request."))
        return redirect("customers:level_requests")
    decide = services.approve_level_change if form.cleaned_data["decision"] == "approve" else services.reject_level_change
    try:
        decide(actor=request.user, request_id=pk, comment=form.cleaned_data["comment"])
    except services.CustomerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("customers:level_requests")
