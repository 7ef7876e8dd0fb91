"""What service puts on the shared pages (navigation, inbox, customer page), from ServiceConfig.ready()."""
from django.utils.translation import gettext as _, gettext_lazy as _lazy

from crm import registry

from . import permissions


def visits_timeline(customer, user) -> list[registry.TimelineEntry]:
    """The customer's visits; the detail page has already decided the user may see the customer."""
    from .models import Visit

    return [
        registry.TimelineEntry(v.created_at, _("Visit (%(channel)s)") % {"channel": v.get_channel_display()},
                               v.content[:80], v.created_by, kind="visit")
        for v in Visit.objects.filter(customer=customer).select_related("created_by")[:50]
    ]


def care_panel(customer, user) -> dict | None:
    """Revisit status this period and the greetings opt-out, for approved customers only."""
    from .services import revisit_status

    if customer.registration_status != "approved":
        return None
    return {"revisits": revisit_status(customer), "care_opted_out": hasattr(customer, "care_opt_out")}


def tasks_panel(customer, user) -> dict | None:
    """The open tasks of this customer the user may close here: keep the tier, record the new licence or review
    date, confirm the allocation quantities."""
    from .selectors import closable_tasks

    tasks = closable_tasks(user, customer)
    return {"tasks": tasks} if tasks else None


def register() -> None:
    from .selectors import INBOX_SOURCES

    nav = registry.register_nav
    nav("inbox", _lazy("To-do"), "service:inbox", menu="main", order=10, visible=permissions.can_open_inbox,
        badge="service:inbox_count")
    nav("visits", _lazy("Visits"), "service:weekly", menu="service", order=10, visible=permissions.can_open_visits)
    nav("inquiries", _lazy("Calls and walk-ins"), "service:inquiries", menu="service", order=20,
        visible=permissions.can_open_inquiries)
    nav("opportunities", _lazy("Opportunities"), "service:opportunities", menu="service", order=30,
        visible=permissions.can_open_opportunities)
    nav("pool", _lazy("Public pool"), "service:pool", menu="service", order=40, visible=permissions.can_open_pool)
    nav("complaints", _lazy("Complaints"), "service:complaints", menu="service", order=50,
        visible=permissions.can_open_complaints)
    for key, source in INBOX_SOURCES.items():
        registry.register_inbox_source(key, source)
    registry.register_timeline_source("visits", visits_timeline)
    registry.register_panel("care", "service/_customer_care_panel.html", care_panel, order=10)
    registry.register_panel("tasks", "service/_customer_tasks_panel.html", tasks_panel, order=5)
