from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .roles import role_label, user_role_codes


@login_required
def home(request):
    profile = getattr(request.user, "staff_profile", None)
    units = list(profile.units.all()) if profile else []
    return render(
        request,
        "crm/home.html",
        {
            "units": units,
            "role_names": [role_label(c) for c in sorted(user_role_codes(request.user))],
            "queues": _queues(request.user),
        },
    )


def _queues(user) -> list[tuple[str, str, int]]:
    """(label, url, count) of what waits for this user; each app contributes its own queue."""
    from confidentiality.selectors import data_request_queue, printouts_to_check_in
    from crm import roles as r
    from customers.models import LevelChangeRequest
    from customers.permissions import (
        can_approve_in_general,
        can_confirm_handovers_in_general,
        can_first_review_in_general,
        can_lower_confidentiality,
    )
    from customers.selectors import approval_queue, handover_requests_to_confirm

    queues = []
    if can_approve_in_general(user) or can_first_review_in_general(user):
        queues.append((_("Registrations waiting for you"), reverse("customers:approvals"), approval_queue(user).count()))
    if r.has_role(user, r.MARKETING_HEAD, r.CS_MANAGER, r.CS_SPECIALIST):
        pending = len(data_request_queue(user)) + printouts_to_check_in(user).count()
        queues.append((_("Data requests and printouts waiting for you"), reverse("confidentiality:queue"), pending))
    if can_confirm_handovers_in_general(user):
        handovers = len(handover_requests_to_confirm(user))
        if handovers:
            queues.append((_("Handovers waiting for your confirmation"), reverse("customers:handover_requests"), handovers))
    if can_lower_confidentiality(user):
        queues.append((_("Confidentiality lowerings waiting for you"), reverse("customers:level_requests"),
                       LevelChangeRequest.objects.filter(status=LevelChangeRequest.Status.PENDING).count()))
    return queues


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
