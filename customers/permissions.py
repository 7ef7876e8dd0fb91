"""Who may do what to a customer record: the one layer views and templates ask."""
from crm import roles as r

from .models import Customer
from .selectors import is_visible, own_unit_ids

APPROVERS = (r.SALES_MANAGER,)
# Secret records are invisible to sales managers (DOMAIN §6); the marketing head, who sees them, approves them.
SECRET_APPROVERS = (r.MARKETING_HEAD,)
SECRET = "secret"
FIRST_REVIEWERS = (r.SALES_SUPERVISOR,)
TIER_DECIDERS = (r.SALES_MANAGER, r.MARKETING_HEAD)
REGISTRARS = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_SPECIALIST)
# Who may own customers, hence take them over in a handover.
SALES_STAFF = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)


def can_register(user) -> bool:
    return user.is_superuser or r.has_role(user, *REGISTRARS)


def can_approve_in_general(user) -> bool:
    return user.is_superuser or r.has_role(user, *APPROVERS, *SECRET_APPROVERS)


def approves_level(user, level: str) -> bool:
    """Whether the user approves registrations of this confidentiality level."""
    return user.is_superuser or r.has_role(user, *(SECRET_APPROVERS if level == SECRET else APPROVERS))


def can_first_review_in_general(user) -> bool:
    return user.is_superuser or r.has_role(user, *FIRST_REVIEWERS)


def can_view(user, customer: Customer) -> bool:
    return is_visible(user, customer)


def can_edit(user, customer: Customer) -> bool:
    if not can_view(user, customer) or customer.customer_status == "cancelled":
        return False
    if user.is_superuser or r.has_role(user, r.SALES_MANAGER):
        return True
    if r.has_role(user, r.CS_SPECIALIST) and customer.unit_id in own_unit_ids(user):
        return True
    owners = {customer.account_manager_id, customer.created_by_id}
    return user.pk in owners or customer.co_owners.filter(pk=user.pk).exists()


def can_submit(user, customer: Customer) -> bool:
    return customer.registration_status in (Customer.Registration.DRAFT, Customer.Registration.REJECTED) and can_edit(
        user, customer
    )


def can_first_review(user, customer: Customer) -> bool:
    return (
        customer.registration_status == Customer.Registration.SUBMITTED
        and customer.unit.requires_first_review
        and customer.confidentiality_level != SECRET
        and can_first_review_in_general(user)
        and can_view(user, customer)
    )


def can_approve(user, customer: Customer) -> bool:
    """A secret registration skips the supervisor's first review: the supervisor cannot see it."""
    secret = customer.confidentiality_level == SECRET
    ready = customer.registration_status == Customer.Registration.REVIEWED or (
        customer.registration_status == Customer.Registration.SUBMITTED
        and (secret or not customer.unit.requires_first_review)
    )
    return ready and approves_level(user, customer.confidentiality_level) and can_view(user, customer)


def can_reject(user, customer: Customer) -> bool:
    return can_approve(user, customer) or can_first_review(user, customer)


def can_change_tier(user, customer: Customer) -> bool:
    return (user.is_superuser or r.has_role(user, *TIER_DECIDERS)) and can_view(user, customer)


def can_lower_confidentiality(user) -> bool:
    """DOMAIN §6 via issue 11: lowering a level is the marketing head's approval, never the owner's choice."""
    return user.is_superuser or r.has_role(user, r.MARKETING_HEAD)


def can_change_confidentiality(user, customer: Customer) -> bool:
    return can_edit(user, customer) or can_change_tier(user, customer)


def can_change_status(user, customer: Customer) -> bool:
    return customer.registration_status == Customer.Registration.APPROVED and can_approve_in_general(user)


def can_verify(user, customer: Customer) -> bool:
    return customer.registration_status == Customer.Registration.APPROVED and can_edit(user, customer)


HANDOVER_MANAGERS = (r.SALES_MANAGER, r.MARKETING_HEAD)


def can_hand_over(user, customer: Customer | None = None) -> bool:
    """Without a customer: may open the handover page. With one: may move that customer, i.e. sees it
    and it belongs to the units the manager manages."""
    if not (user.is_superuser or r.has_role(user, *HANDOVER_MANAGERS)):
        return False
    if customer is None:
        return True
    return can_view(user, customer) and (hands_over_everywhere(user) or customer.unit_id in own_unit_ids(user))


def hands_over_everywhere(user) -> bool:
    """The marketing head sees every level, so a departing rep's secret customers (which no sales manager
    sees) still find an heir through her."""
    return user.is_superuser or r.has_role(user, r.MARKETING_HEAD)


def can_confirm_handovers_in_general(user) -> bool:
    return user.is_superuser or r.has_role(user, r.SALES_MANAGER, r.MARKETING_HEAD)


def can_confirm_handover(user, request) -> bool:
    """A self-handover needs a second person: another sales manager of every customer's unit, or the marketing head."""
    from .models import HandoverRequest

    if request.status != HandoverRequest.Status.PENDING or user.pk == request.requester_id or not user.is_active:
        return False
    if user.is_superuser or r.has_role(user, r.MARKETING_HEAD):
        return True
    if not r.has_role(user, r.SALES_MANAGER):
        return False
    units = set(Customer.objects.filter(pk__in=request.customer_ids).values_list("unit_id", flat=True))
    return units <= own_unit_ids(user)


def can_export_directly(user) -> bool:
    """DOMAIN §6: every electronic export needs the marketing head's approval, so only the marketing
    head (and superusers) export the list themselves; everyone else files a data request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or r.has_role(user, r.MARKETING_HEAD)


def bulk_actions(user) -> list[str]:
    """Bulk actions the customer list offers the user; each customer is still checked by its service
    (`can_edit`, `can_submit`, `can_approve`, `can_hand_over`), so offering one promises nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    actions = []
    if can_register(user) or r.has_role(user, *TIER_DECIDERS):  # the marketing head sets tiers
        actions.append("set_field")
    if can_register(user):
        actions.append("submit")
    if can_hand_over(user):
        actions.append("assign_owner")
    if can_approve_in_general(user):
        actions.append("approve")
    return actions


def actions_for(user, customer: Customer) -> dict[str, bool]:
    """Everything a detail page needs to know, asked once."""
    return {
        "edit": can_edit(user, customer),
        "submit": can_submit(user, customer),
        "first_review": can_first_review(user, customer),
        "approve": can_approve(user, customer),
        "change_tier": can_change_tier(user, customer),
        "change_status": can_change_status(user, customer),
        "verify": can_verify(user, customer),
    }


# Navigation: which pages of this app a user may open; the app's ready() hands these to the registry.
SALES_READERS = SALES_STAFF + (r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD, r.PLANNER)


def can_open_customers(user) -> bool:
    return r.has_role(user, *SALES_READERS)


def can_open_registrations(user) -> bool:
    return can_approve_in_general(user) or can_first_review_in_general(user)


def can_open_handover(user) -> bool:
    return can_hand_over(user)


def can_open_handover_requests(user) -> bool:
    return can_confirm_handovers_in_general(user)


def can_open_level_requests(user) -> bool:
    return can_lower_confidentiality(user)
