"""Who may open which service page; the views and the navigation ask here instead of repeating role lists."""
from crm import roles as r

SALES = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)


def can_open_inbox(user) -> bool:
    """Everyone has a to-do list, if only an empty one."""
    return True


def can_open_visits(user) -> bool:
    return r.has_role(user, *SALES, r.MARKETING_HEAD)


def can_open_inquiries(user) -> bool:
    return r.has_role(user, *SALES, r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD)


def can_open_opportunities(user) -> bool:
    return r.has_role(user, *SALES, r.MARKETING_HEAD)


def can_open_pool(user) -> bool:
    return r.has_role(user, *SALES)


def can_open_complaints(user) -> bool:
    return r.has_role(user, *SALES, r.CS_SPECIALIST, r.CS_MANAGER)
