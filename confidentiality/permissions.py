"""Who may take which step of a data request, an archive loan or a printout: the one layer services,
views and the navigation ask."""
from crm import roles as r

from .models import ArchiveLoan, DataRequest
from customers.policy import own_unit_ids

S = DataRequest.Status


def next_step(request: DataRequest) -> tuple[str, str] | None:
    """(role, verb) that acts next: marketing head approves cross-unit requests, every export and
    anything covering secret customers, the CS manager confirms cross-unit ones, the CS specialist
    of the data's unit fulfils."""
    needs_marketing = request.cross_unit or request.form == DataRequest.Form.EXPORT or request.touches_secret
    if request.status == S.SUBMITTED:
        return (r.MARKETING_HEAD, "approve") if needs_marketing else (r.CS_SPECIALIST, "fulfil")
    if request.status == S.MARKETING_APPROVED:
        return (r.CS_MANAGER, "confirm") if request.cross_unit else (r.CS_SPECIALIST, "fulfil")
    if request.status == S.CS_CONFIRMED:
        return (r.CS_SPECIALIST, "fulfil")
    return None


def may_act(user, request: DataRequest) -> bool:
    """Whether the user takes the next step (or rejects instead); never the requester."""
    step = next_step(request)
    if step is None or user.pk == request.requester_id:
        return False
    role, _verb = step
    if not r.has_role(user, role):
        return False
    return role != r.CS_SPECIALIST or request.data_unit_id in own_unit_ids(user)


def may_take(verb: str):
    """A workflow permission: the request's next step is `verb` and the user is the one to take it."""

    def check(user, request: DataRequest) -> bool:
        step = next_step(request)
        return step is not None and step[1] == verb and may_act(user, request)

    check.__name__ = f"may_{verb}"
    return check


def can_decide_loan(user, loan: ArchiveLoan) -> bool:
    """Copies need the department manager; reading and borrowing the archivist; never one's own request."""
    role = r.SALES_MANAGER if loan.kind == ArchiveLoan.Kind.COPY else r.ARCHIVIST
    return r.has_role(user, role) and user.pk != loan.borrower_id


def is_archivist(user, obj=None) -> bool:
    """Only the archivist hands files out and takes them back."""
    return r.has_role(user, r.ARCHIVIST)


def can_check_in_printout(user, printout) -> bool:
    """The CS specialist of the unit holding the data takes printouts back."""
    return r.has_role(user, r.CS_SPECIALIST) and printout.grant.request.data_unit_id in own_unit_ids(user)


def handles_copy_requests(user) -> bool:
    """Department managers approve copies, so their archive page lists the copy requests."""
    return r.has_role(user, r.SALES_MANAGER)


def can_see_archive_report(user) -> bool:
    """The monthly lending report goes to the general manager; the archivist keeps it."""
    return r.has_role(user, r.GENERAL_MANAGER, r.ARCHIVIST)


def can_decide_leaks(user) -> bool:
    """The general manager's office decides on leaks and sees every report; others see their own."""
    return r.has_role(user, r.GENERAL_MANAGER)


# Navigation: which pages of this app a user may open; ConfidentialityConfig.ready() hands these to the registry.
CUSTOMER_READERS = (r.SALES_REP, r.SALES_SUPERVISOR, r.SALES_MANAGER, r.CS_SPECIALIST, r.CS_MANAGER,
                    r.MARKETING_HEAD, r.PLANNER)


def can_open_data_requests(user) -> bool:
    """Anyone may ask for customer data; the request is what gets checked."""
    return True


def can_open_data_request_queue(user) -> bool:
    return r.has_role(user, r.MARKETING_HEAD, r.CS_MANAGER, r.CS_SPECIALIST)


def can_open_audit(user) -> bool:
    from .selectors import may_read_audit

    return may_read_audit(user)


def can_open_archive(user) -> bool:
    return r.has_role(user, *CUSTOMER_READERS, r.ARCHIVIST, r.GENERAL_MANAGER)


def can_open_leaks(user) -> bool:
    """Anyone may report a suspected leak (DOMAIN §6)."""
    return True
