"""Who may do what with orders, payments and credit (DOMAIN §5). Which rows a user reads, and what of them, is the
customers' policy (`visible_customers`, and its order-queue reach: `queue_reach`, `queue_view`)."""
from django.db.models import Q
from django.utils import timezone

from crm import roles as r
from customers.policy import QUEUE_ROLES

ENTERS_ORDERS = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)
# The roles with an orders navigation entry besides those who enter orders: they process the queues (their reach
# over other people's customers is the policy's `ROLE_REACH`).
PROCESSES_ORDERS = QUEUE_ROLES


def is_delegate(user) -> bool:
    """Named by the GM in the admin to approve orders (until a date, or until removed); asked once per request."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_order_delegate", None)
    if cached is None:
        from .models import ApprovalDelegate

        cached = ApprovalDelegate.objects.filter(user_id=user.pk).filter(
            Q(until__isnull=True) | Q(until__gte=timezone.localdate())).exists()
        user._order_delegate = cached
    return cached


def can_open_orders(user) -> bool:
    """The navigation entry: by role only (a delegate reaches the orders it approves from its queue)."""
    return user.is_superuser or r.has_role(user, *ENTERS_ORDERS, *PROCESSES_ORDERS)


def can_open_approvals(user) -> bool:
    """The navigation entry: the general manager's; a delegate finds the queue on its home page and inbox."""
    return user.is_superuser or r.has_role(user, r.GENERAL_MANAGER)


def can_open_payments(user) -> bool:
    return user.is_superuser or r.has_role(user, r.FINANCE)


def can_enter_orders(user) -> bool:
    return user.is_superuser or r.has_role(user, *ENTERS_ORDERS)


def can_submit(user, order) -> bool:
    return can_enter_orders(user)


def can_confirm_payments(user, obj=None) -> bool:
    return user.is_superuser or r.has_role(user, r.FINANCE)


def can_approve(user, order=None) -> bool:
    return user.is_superuser or r.has_role(user, r.GENERAL_MANAGER) or is_delegate(user)


def can_ship(user, order=None) -> bool:
    return user.is_superuser or r.has_role(user, r.WAREHOUSE)


def can_close(user, order) -> bool:
    """Closing follows from delivery and full payment; whoever completes either closes it."""
    return order.covered


def can_cancel(user, order) -> bool:
    return user.is_superuser or r.has_role(user, *ENTERS_ORDERS, r.FINANCE, r.GENERAL_MANAGER)


def can_record_returns(user) -> bool:
    return user.is_superuser or r.has_role(user, *ENTERS_ORDERS, r.FINANCE)


def can_file_claims(user) -> bool:
    return user.is_superuser or r.has_role(user, *ENTERS_ORDERS, r.WAREHOUSE)


def can_apply_account_period(user) -> bool:
    return user.is_superuser or r.has_role(user, *ENTERS_ORDERS)


def can_decide_account_period(user) -> bool:
    return user.is_superuser or r.has_role(user, r.SALES_MANAGER)


def can_set_credit(user) -> bool:
    return user.is_superuser or r.has_role(user, r.FINANCE, r.SALES_MANAGER)


# The product list and its prices are reference data the administrators keep (they hold the product model
# permissions, crm.roles.ROLE_MODEL_PERMISSIONS): the admin pages and the product import are theirs. The
# list prices every order line starts from must not move at a rep's, finance's or a CS specialist's hand.
MANAGES_PRODUCTS = (r.ADMIN,)


def can_manage_products(user) -> bool:
    """Edit products in the admin and import the product list (new products, price changes)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or r.has_role(user, *MANAGES_PRODUCTS))
