"""What confidentiality puts on the shared pages (navigation, home queue, inbox), from ConfidentialityConfig.ready()."""
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy as _lazy

from crm import registry

from . import permissions


def requests_queue(user):
    from .selectors import data_request_queue, printouts_to_check_in

    if not permissions.can_open_data_request_queue(user):
        return None
    pending = len(data_request_queue(user)) + printouts_to_check_in(user).count()
    return _("Data requests and printouts waiting for you"), reverse("confidentiality:queue"), pending


def data_request_items(user, on, limit) -> list[registry.InboxItem]:
    from .selectors import data_request_queue

    return [
        registry.InboxItem("data_request", _("Data request %(number)s") % {"number": req.number},
                           reverse("confidentiality:request_detail", args=[req.pk]), None, False)
        for req in data_request_queue(user)[:limit]
    ]


def printout_items(user, on, limit) -> list[registry.InboxItem]:
    from .models import Printout

    printouts = Printout.objects.filter(printed_by=user, returned_at__isnull=True).select_related("grant__request")
    return [
        registry.InboxItem("printout", _("Return the printout of %(number)s") % {"number": p.grant.request.number},
                           reverse("confidentiality:request_detail", args=[p.grant.request_id]), p.return_due,
                           p.return_due < on)
        for p in printouts[:limit]
    ]


def register() -> None:
    nav = registry.register_nav
    nav("data_requests", _lazy("Data requests"), "confidentiality:requests", menu="confidentiality", order=10,
        visible=permissions.can_open_data_requests)
    nav("data_request_queue", _lazy("Data request approvals"), "confidentiality:queue", menu="confidentiality",
        order=20, visible=permissions.can_open_data_request_queue)
    nav("audit", _lazy("Audit log"), "confidentiality:audit", menu="confidentiality", order=40,
        visible=permissions.can_open_audit)
    nav("archive", _lazy("Archive lending"), "confidentiality:archive", menu="confidentiality", order=50,
        visible=permissions.can_open_archive)
    nav("leaks", _lazy("Leak incidents"), "confidentiality:leaks", menu="confidentiality", order=60,
        visible=permissions.can_open_leaks)
    registry.register_queue("data_requests", requests_queue, order=20)
    registry.register_inbox_source("data_requests", data_request_items)
    registry.register_inbox_source("printouts", printout_items)
