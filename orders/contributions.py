"""What orders puts on the shared pages (navigation, home queues, inbox, customer page), from OrdersConfig.ready()."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy as _lazy

from crm import registry
from customers import policy

from . import permissions, selectors
from .models import EVENT_LABELS


def payments_queue(user):
    if not permissions.can_confirm_payments(user):
        return None
    return _("Payments to confirm"), reverse("orders:payments"), selectors.payments_to_confirm().count()


def approvals_queue(user):
    if not permissions.can_approve(user):
        return None
    return _("Orders waiting for approval"), reverse("orders:approvals"), selectors.orders_to_approve().count()


def shipping_queue(user):
    if not permissions.can_ship(user):
        return None
    return _("Orders to ship"), reverse("orders:shipping"), selectors.orders_to_ship().count()


def account_period_queue(user):
    if not permissions.can_decide_account_period(user):
        return None
    return (_("Account-period applications"), reverse("orders:account_periods"),
            selectors.account_periods_to_decide(user).count())


def payment_items(user, on, limit) -> list[registry.InboxItem]:
    if not permissions.can_confirm_payments(user):
        return []
    rows = selectors.order_view(user, selectors.payments_to_confirm().order_by("created_at", "id")[:limit])
    return [registry.InboxItem("payment", _("Confirm the payment of %(amount)s from %(customer)s")
                               % {"amount": p.amount, "customer": p.shown.customer},
                               reverse("orders:payments"), p.received_on, False)
            for p in rows]


def approval_items(user, on, limit) -> list[registry.InboxItem]:
    if not permissions.can_approve(user):
        return []
    rows = selectors.order_view(user, selectors.orders_to_approve().order_by("booked_on", "id")[:limit])
    return [registry.InboxItem("order_approval", _("Approve order %(number)s of %(customer)s")
                               % {"number": o.number, "customer": o.shown.customer},
                               reverse("orders:detail", args=[o.pk]), o.booked_on, False)
            for o in rows]


def shipping_items(user, on, limit) -> list[registry.InboxItem]:
    if not permissions.can_ship(user):
        return []
    rows = selectors.order_view(user, selectors.orders_to_ship().order_by("ship_due_on", "id")[:limit])
    return [registry.InboxItem("shipping", _("Ship order %(number)s to %(customer)s")
                               % {"number": o.number, "customer": o.shown.customer},
                               reverse("orders:detail", args=[o.pk]), o.ship_due_on,
                               bool(o.ship_due_on and o.ship_due_on < on), o.ship_due_on == on)
            for o in rows]


def account_period_items(user, on, limit) -> list[registry.InboxItem]:
    if not permissions.can_decide_account_period(user):
        return []
    return [registry.InboxItem("account_period", _("Decide the account-period application of %(customer)s")
                               % {"customer": a.customer.name}, reverse("orders:account_periods"), None, False)
            for a in selectors.account_periods_to_decide(user).select_related("customer")[:limit]]


def orders_panel(customer, user) -> dict | None:
    """The customer's latest orders, balance and purchase figures; the page already decided the customer is visible."""
    if customer.registration_status != "approved" or not (
            permissions.can_open_orders(user) or permissions.can_open_payments(user)):
        return None
    balance, terms = selectors.account(customer.pk)
    return {
        "orders": list(customer.orders.order_by("-created_at", "-id")[:10]),
        "balance": balance,
        "terms": terms,
        "can_order": permissions.can_enter_orders(user) and customer.customer_status == "active",
        "can_apply": permissions.can_apply_account_period(user),
        "figures": customer,
        "today": timezone.localdate(),
    }


TIMELINE_KINDS = {kind: EVENT_LABELS[kind] for kind in ("submitted", "approved", "shipped", "delivered", "cancelled",
                                                         "returned")}


def orders_timeline(customer, user) -> list[registry.TimelineEntry]:
    from .models import OrderEvent

    events = OrderEvent.objects.filter(order__customer=customer, kind__in=list(TIMELINE_KINDS))
    return [registry.TimelineEntry(e.at, _("Order %(number)s: %(what)s")
                                   % {"number": e.order.number, "what": TIMELINE_KINDS[e.kind]},
                                   e.comment[:80], e.actor, kind="order")
            for e in events.select_related("order", "actor").order_by("-at")[:50]]


def register() -> None:
    # Approval delegates work the orders they approve like the general manager: amounts, names masked by the policy.
    policy.register_queue_reach("order_approval_delegates", permissions.is_delegate, policy.QueueReach(money=True))
    nav = registry.register_nav
    nav("orders", _lazy("Orders"), "orders:list", menu="orders", order=10, visible=permissions.can_open_orders)
    nav("payments", _lazy("Payments and credit"), "orders:payments", menu="orders", order=20,
        visible=permissions.can_open_payments)
    nav("order_approvals", _lazy("Order approvals"), "orders:approvals", menu="orders", order=30,
        visible=permissions.can_open_approvals)
    nav("shipping", _lazy("Shipping"), "orders:shipping", menu="orders", order=40, visible=permissions.can_ship)
    nav("account_periods", _lazy("Account-period applications"), "orders:account_periods", menu="orders", order=50,
        visible=permissions.can_decide_account_period)
    nav("product_import", _lazy("Product import"), "orders:product_import", menu="admin", order=15,
        visible=permissions.can_manage_products)
    registry.register_queue("order_payments", payments_queue, order=50)
    registry.register_queue("order_approvals", approvals_queue, order=51)
    registry.register_queue("order_shipping", shipping_queue, order=52)
    registry.register_queue("account_periods", account_period_queue, order=53)
    registry.register_inbox_source("order_payments", payment_items)
    registry.register_inbox_source("order_approvals", approval_items)
    registry.register_inbox_source("order_shipping", shipping_items)
    registry.register_inbox_source("account_periods", account_period_items)
    registry.register_timeline_source("orders", orders_timeline)
    registry.register_panel("orders", "orders/_customer_orders_panel.html", orders_panel, order=5)
    from confidentiality import retention

    from .retention import RULE, destroy_transactions, transactions_due

    retention.register_rule(RULE, due=transactions_due, destroy=destroy_transactions)
