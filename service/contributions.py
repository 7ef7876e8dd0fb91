"""What service puts on the shared pages (navigation, inbox, customer page), from ServiceConfig.ready()."""
from django.utils.translation import gettext as _, gettext_lazy as _lazy

from crm import registry
from crm import roles as r

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


def recalls_queue(user):
    """The quality managers' home card: recalls nobody has taken on yet."""
    from django.urls import reverse

    from .models import Recall

    if not permissions.can_work_recall(user):
        return None
    return (_("Recalls waiting"), f"{reverse('service:recalls')}?status=open",
            Recall.objects.filter(status=Recall.Status.OPEN).count())


def my_targets_queue(user):
    """A rep's home card, from the 1st: how many of last month's targets it missed (shown only then)."""
    from django.urls import reverse
    from django.utils import timezone

    from . import targets

    if not r.has_role(user, r.SALES_REP):
        return None
    today = timezone.localdate()
    standing = targets.my_standing(user, targets.last_month(today), today)
    return (_("Last month's targets missed"), reverse("service:targets"), standing.misses) if standing.short else None


def reps_short_queue(user):
    """The manager's roll-up card: reps of its units short of last month's targets."""
    from django.urls import reverse

    from . import targets

    if not permissions.can_roll_up_targets(user):
        return None
    short = targets.short_last_month(user)
    return (_("Reps short of last month's targets"), reverse("service:targets"), len(short)) if short else None


def register() -> None:
    from .recalls import recall_items
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
    nav("targets", _lazy("Monthly targets"), "service:targets", menu="service", order=35,
        visible=permissions.can_open_targets)
    nav("recalls", _lazy("Recalls"), "service:recalls", menu="service", order=60, visible=permissions.can_open_recalls)
    for key, source in INBOX_SOURCES.items():
        registry.register_inbox_source(key, source)
    registry.register_inbox_source("recalls", recall_items)
    registry.register_queue("recalls", recalls_queue, order=20)
    registry.register_queue("my_targets", my_targets_queue, order=30)
    registry.register_queue("reps_short", reps_short_queue, order=31)
    registry.register_timeline_source("visits", visits_timeline)
    registry.register_panel("care", "service/_customer_care_panel.html", care_panel, order=10)
    registry.register_panel("tasks", "service/_customer_tasks_panel.html", tasks_panel, order=5)
