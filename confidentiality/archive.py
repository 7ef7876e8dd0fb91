"""Paper archive lending (客户档案借阅): request, approval, lending out, return with a completeness check."""
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.errors import AppError
from crm.workflow import Transition, Workflow
from customers.policy import is_visible

from . import permissions
from .models import ArchiveLoan, ArchiveLoanEvent

K, S = ArchiveLoan.Kind, ArchiveLoan.Status
LOAN_DAYS = 3
_DECIDE = permissions.can_decide_loan
LOANS = Workflow(
    model=ArchiveLoan,
    event_model=ArchiveLoanEvent,
    event_fk="loan",
    transitions={
        S.REQUESTED: {S.APPROVED: Transition("approved", _DECIDE), S.REJECTED: Transition("rejected", _DECIDE)},
        S.APPROVED: {S.OUT: Transition("lent", permissions.is_archivist)},
        S.OUT: {S.RETURNED: Transition("returned", permissions.is_archivist)},
        S.RETURNED: {},
        S.REJECTED: {},
    },
)


class ArchiveError(AppError):
    """A refused step: `ArchiveError("archive.<what>", _("message"))`."""

    code = "archive.refused"


@transaction.atomic
def request_loan(*, borrower, customer, kind: str, purpose: str) -> ArchiveLoan:
    if not is_visible(borrower, customer):
        raise ArchiveError("archive.customer_not_visible", _("You cannot borrow the file of a customer you may not see."))
    if not (purpose or "").strip():
        raise ArchiveError("archive.purpose_required", _("State the purpose."))
    if kind not in K.values:
        raise ArchiveError("archive.kind_required", _("Choose reading on site, a loan or a copy."))
    loan = ArchiveLoan.objects.create(customer=customer, borrower=borrower, kind=kind, purpose=purpose.strip())
    ArchiveLoanEvent.objects.create(loan=loan, kind="requested", actor=borrower, data={"to": loan.status})
    return loan


def _locked_loan(loan_id: int) -> ArchiveLoan:
    return ArchiveLoan.objects.select_for_update().get(pk=loan_id)


def _approver_ok(actor, loan: ArchiveLoan) -> bool:
    return permissions.can_decide_loan(actor, loan)


@transaction.atomic
def approve_loan(*, actor, loan_id: int) -> ArchiveLoan:
    loan = _locked_loan(loan_id)
    if loan.status != S.REQUESTED:
        raise ArchiveError("archive.already_handled", _("This request was already handled."))
    if not _approver_ok(actor, loan):
        raise ArchiveError("archive.not_approver",
                           _("Copies are approved by the department manager, other loans by the archivist."))

    def approve(loan):
        loan.approved_by = actor
        return ["approved_by"]

    return LOANS.move(loan, S.APPROVED, actor=actor, side_effect=approve)


@transaction.atomic
def reject_loan(*, actor, loan_id: int, reason: str) -> ArchiveLoan:
    loan = _locked_loan(loan_id)
    if loan.status != S.REQUESTED or not _approver_ok(actor, loan):
        raise ArchiveError("archive.already_handled", _("This request was already handled."))
    if not (reason or "").strip():
        raise ArchiveError("archive.reason_required", _("Give a reason for the rejection."))

    def reject(loan):
        loan.approved_by, loan.return_note = actor, reason.strip()
        return ["approved_by", "return_note"]

    return LOANS.move(loan, S.REJECTED, actor=actor, comment=reason.strip(), side_effect=reject)


def due_time(kind: str, lent_at: datetime) -> datetime:
    """Originals come back by the end of the same day; copies within 3 days."""
    local = timezone.localtime(lent_at)
    if kind == K.READ:
        return timezone.make_aware(datetime.combine(local.date(), time(23, 59, 59)))
    return lent_at + timedelta(days=LOAN_DAYS)


@transaction.atomic
def lend_out(*, actor, loan_id: int) -> ArchiveLoan:
    if not permissions.is_archivist(actor):
        raise ArchiveError("archive.not_archivist", _("Only the archivist hands out files."))
    loan = _locked_loan(loan_id)
    if loan.status != S.APPROVED:
        raise ArchiveError("archive.not_approved", _("Only approved requests are handed out."))

    def lend(loan):
        now = timezone.now()
        loan.lent_by, loan.lent_at, loan.due_at = actor, now, due_time(loan.kind, now)
        return ["lent_by", "lent_at", "due_at"]

    return LOANS.move(loan, S.OUT, actor=actor, side_effect=lend)


@transaction.atomic
def receive_back(*, actor, loan_id: int, complete: bool, note: str = "") -> ArchiveLoan:
    if not permissions.is_archivist(actor):
        raise ArchiveError("archive.not_archivist", _("Only the archivist takes files back."))
    loan = _locked_loan(loan_id)
    if loan.status != S.OUT:
        raise ArchiveError("archive.not_out", _("This file is not out."))
    if not complete and not (note or "").strip():
        raise ArchiveError("archive.missing_required", _("Say what is missing."))

    def receive(loan):
        loan.returned_at, loan.received_by = timezone.now(), actor
        loan.complete, loan.return_note = complete, (note or "").strip()
        return ["returned_at", "received_by", "complete", "return_note"]

    return LOANS.move(loan, S.RETURNED, actor=actor, comment=(note or "").strip(), side_effect=receive,
                      complete=complete)


def overdue(now=None):
    return ArchiveLoan.objects.filter(status=S.OUT, due_at__lt=now or timezone.now()).select_related("customer", "borrower")


def outstanding_report(as_of=None):
    """The monthly list for the general manager (by the 5th): everything out, overdue first, and
    returns found incomplete."""
    as_of = as_of or timezone.now()
    out = list(ArchiveLoan.objects.filter(status=S.OUT).select_related("customer", "borrower").order_by("due_at"))
    incomplete = list(
        ArchiveLoan.objects.filter(status=S.RETURNED, complete=False).select_related("customer", "borrower")
    )
    return {"as_of": as_of, "out": out, "overdue": [loan for loan in out if loan.due_at < as_of], "incomplete": incomplete}


def send_outstanding_report(today=None) -> int:
    """By the 5th of each month the general manager gets the list of files out (once a month)."""
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError
    from django.urls import reverse

    from crm.models import JobRun

    from crm.notifications import notify

    today = today or timezone.localdate()
    job = f"lending_report_{today:%Y%m}"
    try:
        with transaction.atomic():
            JobRun.objects.create(job=job, status=JobRun.Status.RUNNING, dedupe_key=job)
    except IntegrityError:
        return 0  # this month's report went out already (or is going out in another worker)
    report = outstanding_report()
    managers = get_user_model().objects.filter(groups__name=r.GENERAL_MANAGER, is_active=True)
    run = JobRun.objects.get(dedupe_key=job)
    sent = notify(
        managers,
        subject=_("Files out on %(day)s: %(n)d, %(m)d overdue") % {"day": today, "n": len(report["out"]), "m": len(report["overdue"])},
        url=reverse("confidentiality:archive_report"),
    )
    run.status, run.tasks_created, run.rows_scanned, run.finished_at = JobRun.Status.OK, sent, len(report["out"]), timezone.now()
    run.save()
    return sent
