"""Who may open the orders pages (placeholders until the orders release)."""
from crm import roles as r


def can_open_orders(user) -> bool:
    return r.has_role(user, r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.FINANCE, r.GENERAL_MANAGER)


def can_open_payments(user) -> bool:
    return r.has_role(user, r.FINANCE)
