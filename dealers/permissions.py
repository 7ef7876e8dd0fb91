"""Who may do what with dealers. Which dealers a user sees is the customers' policy (`visible_customers`)."""
from crm import roles as r
from customers import permissions as customer_permissions
from customers.policy import is_visible

DEALER_ROLES = (r.SALES_MANAGER, r.MARKETING_HEAD, r.FINANCE, r.GENERAL_MANAGER, r.SALES_SUPERVISOR, r.SALES_REP)
FRANCHISE_DECIDERS = (r.SALES_MANAGER, r.MARKETING_HEAD)


def _active(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.is_active


def can_open_dealers(user) -> bool:
    return _active(user) and (user.is_superuser or r.has_role(user, *DEALER_ROLES))


def can_view(user, dealer) -> bool:
    return can_open_dealers(user) and is_visible(user, dealer.customer)


def can_edit_card(user, dealer) -> bool:
    return can_open_dealers(user) and customer_permissions.can_edit(user, dealer.customer)


def can_create_card(user, customer) -> bool:
    return can_open_dealers(user) and customer_permissions.can_edit(user, customer)


def can_decide_franchise(user, dealer=None) -> bool:
    """Admit, advise, terminate, expel, record a withdrawal: the sales manager or the marketing head."""
    return _active(user) and (user.is_superuser or r.has_role(user, *FRANCHISE_DECIDERS)) and (
        dealer is None or is_visible(user, dealer.customer))


def can_export(user) -> bool:
    """DOMAIN §6: electronic exports of customer data are the marketing head's (everyone else asks)."""
    return customer_permissions.can_export_directly(user)



def can_propose_credit(user) -> bool:
    return _active(user) and (user.is_superuser or r.has_role(user, r.SALES_MANAGER, r.MARKETING_HEAD, r.FINANCE))


def approves_for_marketing(user) -> bool:
    """Seed 003: credit grades are approved by the marketing centre and by finance."""
    return _active(user) and r.has_role(user, r.MARKETING_HEAD)


def approves_for_finance(user) -> bool:
    return _active(user) and r.has_role(user, r.FINANCE)


def can_open_credit(user) -> bool:
    return _active(user) and (user.is_superuser or can_propose_credit(user))


def can_enter_plan(user, dealer) -> bool:
    """The owner (or a manager) types in what the dealer reported."""
    return can_edit_card(user, dealer)
