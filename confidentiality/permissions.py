"""Who may open which confidentiality page; the navigation asks here instead of repeating role lists."""
from crm import roles as r

from .selectors import may_read_audit

CUSTOMER_READERS = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_SPECIALIST, r.CS_MANAGER,
                    r.MARKETING_HEAD, r.PLANNER)


def can_open_data_requests(user) -> bool:
    """Anyone may ask for customer data; the request is what gets checked."""
    return True


def can_open_data_request_queue(user) -> bool:
    return r.has_role(user, r.MARKETING_HEAD, r.CS_MANAGER, r.CS_SPECIALIST)


def can_open_audit(user) -> bool:
    return may_read_audit(user)


def can_open_archive(user) -> bool:
    return r.has_role(user, *CUSTOMER_READERS, r.ARCHIVIST, r.GENERAL_MANAGER)


def can_open_leaks(user) -> bool:
    """Anyone may report a suspected leak (DOMAIN §6)."""
    return True
