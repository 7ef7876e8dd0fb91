from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .errors import DomainError
from .registry import home_queues
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
            "queues": home_queues(request.user),  # what the apps registered
        },
    )


@never_cache
@require_GET
def healthz(request):
    checks = {"database": health.database_status(), "broker": health.broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _way_back(request) -> str:
    """The page the user came from when it is one of ours, else the workbench."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return reverse("home")


def permission_denied(request, exception=None):
    """403 in the UI's language and layout; a refusal the app explained (DomainError) says why."""
    reason = exception.message if isinstance(exception, DomainError) else ""
    return render(request, "403.html", {"reason": reason, "back_url": _way_back(request)}, status=403)


def page_not_found(request, exception=None):
    """404 in the UI's language and layout; never echoes what was looked for (another unit's object is just absent)."""
    return render(request, "404.html", {"back_url": _way_back(request)}, status=404)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: an expired or reused form (often a sign-in page left open) says so and offers a way back."""
    return render(request, "403_csrf.html", {"back_url": _way_back(request)}, status=403)
