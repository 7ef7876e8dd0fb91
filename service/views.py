"""Thin views over service workflows; customers always come through the confidentiality policy."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from confidentiality.policy import visible_customers
from crm import roles as r

from . import selectors, services
from .forms import ComplaintForm, VisitForm
from .models import Complaint


def _customer_or_404(user, pk):
    customer = visible_customers(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if customer is None:
        raise Http404
    return customer


@login_required
def inbox(request):
    return render(request, "service/inbox.html", {"items": selectors.inbox(request.user)})


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
            return redirect(request.POST.get("next") or "service:inbox")
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
            customer = claim(actor=request.user, customer_id=int(request.POST.get("customer", 0)))
            messages.success(request, _("%(name)s is now yours.") % {"name": customer.name})
        except (PoolError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect("service:pool")
    return render(request, "service/pool.html", {
        "customers": pool(request.user).select_related("unit").order_by("-updated_at")[:200],
        "can_claim": r.has_role(request.user, r.SALES_REP),
    })
