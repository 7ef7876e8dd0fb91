from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
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
