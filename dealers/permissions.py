"""Who may open the dealer pages (placeholders until the dealers release)."""
from crm import roles as r


def can_open_dealers(user) -> bool:
    return r.has_role(user, r.SALES_MANAGER, r.MARKETING_HEAD, r.FINANCE)
