"""What customers puts on the shared pages (navigation, home queues, inbox, timeline), from CustomersConfig.ready()."""
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy as _lazy

from crm import registry

from . import permissions, selectors


def approval_items(user, on, limit) -> list[registry.InboxItem]:
    if not (permissions.can_approve_in_general(user) or permissions.can_first_review_in_general(user)):
        return []
    return [
        registry.InboxItem("approval", _("Approve the registration of %(name)s") % {"name": c.name},
                           reverse("customers:detail", args=[c.pk]), None, False)
        for c in selectors.approval_queue(user)[:limit]
    ]


def approvals_queue(user):
    if not (permissions.can_approve_in_general(user) or permissions.can_first_review_in_general(user)):
        return None
    return _("Registrations waiting for you"), reverse("customers:approvals"), selectors.approval_queue(user).count()


def handovers_queue(user):
    if not permissions.can_confirm_handovers_in_general(user):
        return None
    handovers = len(selectors.handover_requests_to_confirm(user))
    return (_("Handovers waiting for your confirmation"), reverse("customers:handover_requests"), handovers) if handovers else None


def level_requests_queue(user):
    from .models import LevelChangeRequest

    if not permissions.can_lower_confidentiality(user):
        return None
    pending = LevelChangeRequest.objects.filter(status=LevelChangeRequest.Status.PENDING).count()
    return _("Confidentiality lowerings waiting for you"), reverse("customers:level_requests"), pending


def timeline(customer, user) -> list[registry.TimelineEntry]:
    return selectors.timeline(customer)


def register() -> None:
    nav = registry.register_nav
    nav("customers", _lazy("Customers"), "customers:list", menu="customers", order=10,
        visible=permissions.can_open_customers)
    nav("registrations", _lazy("Registration approvals"), "customers:approvals", menu="customers", order=20,
        visible=permissions.can_open_registrations)
    nav("handover", _lazy("Customer handover"), "customers:handover", menu="customers", order=30,
        visible=permissions.can_open_handover)
    nav("handover_requests", _lazy("Handover confirmations"), "customers:handover_requests", menu="customers", order=40,
        visible=permissions.can_open_handover_requests)
    nav("level_requests", _lazy("Confidentiality approvals"), "customers:level_requests", menu="confidentiality",
        order=30, visible=permissions.can_open_level_requests)
    registry.register_queue("registrations", approvals_queue, order=10)
    registry.register_queue("handover_requests", handovers_queue, order=30)
    registry.register_queue("level_requests", level_requests_queue, order=40)
    registry.register_inbox_source("approvals", approval_items)
    registry.register_timeline_source("customers", timeline)
