"""Paper archive lending (客户档案借阅): request, approval, lending out, return with a completeness check."""
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from customers.policy import is_visible

from .models import ArchiveLoan

K, S = ArchiveLoan.Kind, ArchiveLoan.Status
LOAN_DAYS = 3


class ArchiveError(Exception):
    pass


@transaction.atomic
def request_loan(*, borrower, customer, kind: str, purpose: str) -> ArchiveLoan:
    if not is_visible(borrower, customer):
        raise ArchiveError(_("You cannot borrow the file of a customer you may not see."))
    if not (purpose or "").strip():
        raise ArchiveError(_("State the purpose."))
    if kind not in K.values:
        raise ArchiveError(_("Choose reading on site, a loan or a copy."))
    return ArchiveLoan.objects.create(customer=customer, borrower=borrower, kind=kind, purpose=purpose.strip())


def _approver_ok(actor, loan: ArchiveLoan) -> bool:
    # Copies need the department manager; reading and borrowing the archivist.
    role = r.SALES_MANAGER if loan.kind == K.COPY else r.ARCHIVIST
    return r.has_role(actor, role) and actor.pk != loan.borrower_id


@transaction.atomic
def approve_loan(*, actor, loan_id: int) -> ArchiveLoan:
    loan = ArchiveLoan.objects.select_for_update().get(pk=loan_id)
    if loan.status != S.REQUESTED:
        raise ArchiveError(_("This request was already handled."))
    if not _approver_ok(actor, loan):
        raise ArchiveError(_("Copies are approved by the department manager, other loans by the archivist."))
    loan.status, loan.approved_by = S.APPROVED, actor
    loan.save(update_fields=["status", "approved_by"])
    return loan


@transaction.atomic
def reject_loan(*, actor, loan_id: int, reason: str) -> ArchiveLoan:
    loan = ArchiveLoan.objects.select_for_update().get(pk=loan_id)
    if loan.status != S.REQUESTED or not _approver_ok(actor, loan):
        raise ArchiveError(_("This request was already handled."))
    if not (reason or "").strip():
        raise ArchiveError(_("Give a reason for the rejection."))
    loan.status, loan.approved_by, loan.return_note = S.REJECTED, actor, reason.strip()
    loan.save(update_fields=["status", "approved_by", "return_note"])
    return loan


def due_time(kind: str, lent_at: datetime) -> datetime:
    """Originals come back by the end of the same day; copies within 3 days."""
    local = timezone.localtime(lent_at)
    if kind == K.READ:
        return timezone.make_aware(datetime.combine(local.date(), time(23, 59, 59)))
    return lent_at + timedelta(days=LOAN_DAYS)


@transaction.atomic
def lend_out(*, actor, loan_id: int) -> ArchiveLoan:
    if not r.has_role(actor, r.ARCHIVIST):
        raise ArchiveError(_("Only the archivist hands out files."))
    loan = ArchiveLoan.objects.select_for_update().get(pk=loan_id)
    if loan.status != S.APPROVED:
        raise ArchiveError(_("Only approved requests are handed out."))
    now = timezone.now()
    loan.status, loan.lent_by, loan.lent_at, loan.due_at = S.OUT, actor, now, due_time(loan.kind, now)
    loan.save(update_fields=["status", "lent_by", "lent_at", "due_at"])
    return loan


@transaction.atomic
def receive_back(*, actor, loan_id: int, complete: bool, note: str = "") -> ArchiveLoan:
    if not r.has_role(actor, r.ARCHIVIST):
        raise ArchiveError(_("Only the archivist takes files back."))
    loan = ArchiveLoan.objects.select_for_update().get(pk=loan_id)
    if loan.status != S.OUT:
        raise ArchiveError(_("This file is not out."))
    if not complete and not (note or "").strip():
        raise ArchiveError(_("Say what is missing."))
    loan.status, loan.returned_at, loan.received_by = S.RETURNED, timezone.now(), actor
    loan.complete, loan.return_note = complete, (note or "").strip()
    loan.save(update_fields=["status", "returned_at", "received_by", "complete", "return_note"])
    return loan


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
