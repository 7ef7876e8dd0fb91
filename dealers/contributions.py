"""What dealers puts on the shared pages (navigation, to-do inbox), from DealersConfig.ready()."""
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from crm import registry

from . import permissions


def credit_inbox(user, on, limit) -> list[registry.InboxItem]:
    """Grade proposals waiting for this user's side of the approval."""
    from .selectors import credit_queue

    if not permissions.can_open_credit(user):
        return []
    url = reverse("dealers:credit")
    return [registry.InboxItem("credit_grade", _("Approve credit grade %(grade)s for %(name)s") % {
        "grade": p.grade, "name": p.shown_name}, url, p.proposed_at.date())
        for p in credit_queue(user, limit)]


def shortfall_inbox(user, on, limit) -> list[registry.InboxItem]:
    from .selectors import open_shortfalls

    url = reverse("dealers:credit")
    return [registry.InboxItem("hq_share", _("%(name)s bought %(share)s%% from HQ in %(month)s (minimum %(min)s%%)") % {
        "name": c.dealer.customer.name, "share": c.share, "month": f"{c.month:%Y-%m}", "min": c.minimum}, url, None)
        for c in open_shortfalls(user)[:limit]]


def plan_inbox(user, on, limit) -> list[registry.InboxItem]:
    """The owner's members without this month's plan: due by the 5th, overdue after it."""
    from .models import Dealer
    from .services import plan_due

    month = on.replace(day=1)
    due = plan_due(month)
    dealers = (Dealer.objects.filter(customer__account_manager=user, franchise_status__in=("active", "advised"))
               .exclude(plans__month=month).select_related("customer")[:limit])
    return [registry.InboxItem("dealer_plan", _("Monthly plan of %(name)s for %(month)s") % {
        "name": d.customer.name, "month": f"{month:%Y-%m}"}, reverse("dealers:plan", args=[d.pk]), due,
        overdue=on > due, due_soon=on <= due) for d in dealers]


def register() -> None:
    nav = registry.register_nav
    nav("dealers", _lazy("Dealers"), "dealers:list", menu="customers", order=50, visible=permissions.can_open_dealers)
    nav("dealer_progress", _lazy("Sales progress"), "dealers:progress", menu="reports", order=20,
        visible=permissions.can_open_dealers)
    nav("dealer_credit", _lazy("Credit grades"), "dealers:credit", menu="orders", order=80, visible=permissions.can_open_credit)
    registry.register_inbox_source("dealer_credit", credit_inbox)
    registry.register_inbox_source("dealer_hq_share", shortfall_inbox)
    registry.register_inbox_source("dealer_plan", plan_inbox)
