"""Who may do what in customer service: the one layer services, views and the navigation ask."""
from crm import roles as r
from customers.selectors import is_visible, own_unit_ids


def can_handle_complaint(user, complaint) -> bool:
    """Responding and resolving (DOMAIN §3): whoever took the complaint, the customer's account manager,
    the CS specialist of the customer's unit, or the CS manager who oversees complaints."""
    customer = complaint.customer
    if not is_visible(user, customer):
        return False
    if user.is_superuser or r.has_role(user, r.CS_MANAGER):
        return True
    if user.pk in (complaint.handler_id, customer.account_manager_id):
        return True
    return r.has_role(user, r.CS_SPECIALIST) and customer.unit_id in own_unit_ids(user)


def can_confirm_complaint(user, complaint) -> bool:
    """The customer's confirmation is recorded by the one who deals with the customer (the account manager)
    or by the CS manager; not by whoever merely took or solved the complaint."""
    customer = complaint.customer
    if not is_visible(user, customer):
        return False
    return user.is_superuser or r.has_role(user, r.CS_MANAGER) or user.pk == customer.account_manager_id


def can_decide_tier_review(user, task) -> bool:
    """Whoever may change the tier may keep it instead."""
    from customers.permissions import can_change_tier

    return can_change_tier(user, task.customer)


def can_record_renewal(user, task) -> bool:
    from customers.permissions import can_edit

    return can_edit(user, task.customer)


def can_confirm_allocation(user, task) -> bool:
    """The supervisor (科长) of the customer's unit or a unit above it."""
    return is_visible(user, task.customer) and (user.is_superuser or (
        r.has_role(user, r.SALES_SUPERVISOR) and task.customer.unit_id in own_unit_ids(user)))


def can_work_recall(user, recall=None) -> bool:
    """The quality managers (质量管理员) take, record and close recalls (seed 003 第八条)."""
    return user.is_superuser or r.has_role(user, r.QUALITY)


def can_view_recall(user, recall) -> bool:
    """The quality managers, and whoever may see the complaint's customer (read only)."""
    return can_work_recall(user) or is_visible(user, recall.complaint.customer)


ROLLUP_ROLES = (r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD)


def can_see_weekly_visits(user) -> bool:
    return r.has_role(user, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD, r.SALES_REP)


def can_roll_up_inquiries(user) -> bool:
    """Weekly by supervisors, monthly by the CS specialist (DOMAIN §3); managers read the roll-ups."""
    return r.has_role(user, *ROLLUP_ROLES)


# Navigation: which pages of this app a user may open; ServiceConfig.ready() hands these to the registry.
SALES = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER)


def can_open_inbox(user) -> bool:
    """Everyone has a to-do list, if only an empty one."""
    return True


def can_open_visits(user) -> bool:
    return can_see_weekly_visits(user)


def can_open_inquiries(user) -> bool:
    return r.has_role(user, *SALES, r.CS_SPECIALIST, r.CS_MANAGER, r.MARKETING_HEAD)


def can_open_opportunities(user) -> bool:
    return r.has_role(user, *SALES, r.MARKETING_HEAD)


def can_open_pool(user) -> bool:
    return r.has_role(user, *SALES)


def can_open_complaints(user) -> bool:
    return r.has_role(user, *SALES, r.CS_SPECIALIST, r.CS_MANAGER)


def can_open_recalls(user) -> bool:
    return can_work_recall(user)


# Seed 001's monthly targets: a rep reads its own; supervisors, managers and the heads roll up their units' reps.
TARGET_ROLLUP_ROLES = (r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD, r.GENERAL_MANAGER)


def can_roll_up_targets(user) -> bool:
    return user.is_superuser or r.has_role(user, *TARGET_ROLLUP_ROLES)


def can_open_targets(user) -> bool:
    return r.has_role(user, r.SALES_REP) or can_roll_up_targets(user)
def can_move_opportunity(user, opportunity) -> bool:
    """An open opportunity moves through the pipeline by its rep, or by the sales managers above the rep."""
    if opportunity.result != "open" or not is_visible(user, opportunity.customer):
        return False
    return user.pk == opportunity.owner_id or can_move_others_opportunities(user)


def can_move_others_opportunities(user) -> bool:
    return user.is_superuser or r.has_role(user, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.MARKETING_HEAD)
