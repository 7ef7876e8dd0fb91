"""Data requests (客户信息使用申请) and the grants they create. Only these functions write grant rows (through customers.services)."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import audit
from crm import roles as r
from crm.errors import AppError
from crm.workflow import Move, Transition, Workflow
from customers.models import Customer
from customers.policy import SECRET, SENSITIVE_FIELDS, own_unit_ids
from customers.selectors import grant_customer_ids
from customers.services import delete_grant_rows, write_grant_rows

from . import permissions
from .models import AccessGrant, DataRequest, DataRequestEvent, Printout, PrintoutEvent
from .permissions import may_act, next_step  # noqa: F401 - re-exported: selectors, views and tests ask here

S = DataRequest.Status
MAX_DAYS = 30
PRINT_RETURN_DAYS = 3


class DataRequestError(AppError):
    """A refused step: `DataRequestError("request.<what>", _("message"), **params)`."""

    code = "request.refused"

    code = "confidentiality.data_request"


def _request_event(workflow: Workflow, move: Move) -> DataRequestEvent:
    return DataRequestEvent(request=move.obj, status=move.target, actor=move.actor, at=move.at, comment=move.comment)


_REJECT = Transition("reject", may_act)  # whoever takes the next step may refuse instead
_FULFIL = Transition("fulfil", permissions.may_take("fulfil"))
# The state alone does not say who acts next (cross-unit, export, secret customers): each move's
# permission asks next_step, so the routing "touches secret → marketing head" holds for every move.
DATA_REQUEST = Workflow(
    model=DataRequest,
    event_model=DataRequestEvent,
    event_fk="request",
    transitions={
        S.SUBMITTED: {
            S.MARKETING_APPROVED: Transition("approve", permissions.may_take("approve")),
            S.FULFILLED: _FULFIL,
            S.REJECTED: _REJECT,
        },
        S.MARKETING_APPROVED: {
            S.CS_CONFIRMED: Transition("confirm", permissions.may_take("confirm")),
            S.FULFILLED: _FULFIL,
            S.REJECTED: _REJECT,
        },
        S.CS_CONFIRMED: {S.FULFILLED: _FULFIL, S.REJECTED: _REJECT},
        S.FULFILLED: {},
        S.REJECTED: {},
    },
    build_event=_request_event,
)
P = Printout.Status
PRINTOUT = Workflow(
    model=Printout,
    event_model=PrintoutEvent,
    event_fk="printout",
    transitions={P.OUT: {P.RETURNED: Transition("checked_in", permissions.can_check_in_printout)}, P.RETURNED: {}},
)


def scope_customers(request: DataRequest):
    """The customers a request covers, read from the unit holding the data (not the requester's view)."""
    from crm.models import OrgUnit

    units = OrgUnit.objects.descendant_ids([request.data_unit_id])
    qs = Customer.objects.filter(unit_id__in=units, registration_status=Customer.Registration.APPROVED)
    if request.scope == DataRequest.Scope.CUSTOMERS:
        return qs.filter(pk__in=request.customers.values("pk"))
    if request.scope == DataRequest.Scope.FILTER:
        from django.http import QueryDict

        from customers.selectors import apply_filters

        # A mobile or ID number in the filter matches only what the requester already sees unmasked.
        return apply_filters(qs, QueryDict(request.filter_query), user=request.requester)
    return qs


def covers_secret(request: DataRequest) -> bool:
    return scope_customers(request).filter(confidentiality_level=SECRET).exists()


@transaction.atomic
def submit_data_request(
    *, requester, purpose: str, scope: str, data_unit, customers=(), filter_query: str = "", fields=(), form: str, days: int,
    copies: int = 1,
) -> DataRequest:
    if not (purpose or "").strip():
        raise DataRequestError("request.purpose_required", _("State the purpose of the request."))
    if not 1 <= int(days) <= MAX_DAYS:
        raise DataRequestError("request.days_range", _("The period is 1 to %(max)d days."), max=MAX_DAYS)
    unknown = set(fields) - set(SENSITIVE_FIELDS)
    if unknown:
        raise DataRequestError("request.unknown_fields", _("Unknown fields: %(fields)s"), fields=", ".join(sorted(unknown)))
    if r.has_role(requester, r.SALES_REP) and requester.staff_profile.status == "departed":
        raise DataRequestError("request.departed_staff", _("Departed staff cannot request customer data."))
    customers = list(customers)
    if scope == DataRequest.Scope.CUSTOMERS:
        if not customers:
            raise DataRequestError("request.customers_required", _("Choose at least one customer."))
        from crm.models import OrgUnit

        inside = OrgUnit.objects.descendant_ids([data_unit.pk])
        if any(c.unit_id not in inside for c in customers):
            raise DataRequestError("request.customers_outside_unit", _("All customers of one request must belong to the chosen unit."))
    request = DataRequest.objects.create(
        requester=requester, purpose=purpose.strip(), scope=scope, data_unit=data_unit, filter_query=filter_query,
        fields=sorted(set(fields)), form=form, days=int(days), copies=max(1, int(copies)),
        cross_unit=data_unit.pk not in own_unit_ids(requester),
    )
    if customers:
        request.customers.set(customers)
    if covers_secret(request):
        request.touches_secret = True
        request.save(update_fields=["touches_secret"])
    DataRequestEvent.objects.create(request=request, status=S.SUBMITTED, actor=requester)
    return request


def _locked(request_id: int) -> DataRequest:
    return DataRequest.objects.select_for_update().get(pk=request_id)


def _check(actor, request: DataRequest, verb: str) -> None:
    step = next_step(request)
    if step is None:
        raise DataRequestError(
            "request.already_decided", _("This request is already %(status)s."), status=request.get_status_display()
        )
    if step[1] != verb or not may_act(actor, request):
        raise DataRequestError("request.not_your_step", _("This step is not yours to take."))


@transaction.atomic
def approve_data_request(*, actor, request_id: int, comment: str = "", http_request=None) -> DataRequest:
    """The marketing head's approval or the CS manager's confirmation, whichever is due."""
    request = _locked(request_id)
    step = next_step(request)
    verb = step[1] if step and step[1] in ("approve", "confirm") else "approve"
    _check(actor, request, verb)
    target = S.MARKETING_APPROVED if verb == "approve" else S.CS_CONFIRMED
    return DATA_REQUEST.move(
        request, target, actor=actor, comment=comment,
        audit=lambda move: audit.record("approve", actor=actor, request=http_request, subject=move.obj.number,
                                        reason=comment, detail={"step": verb}),
    )


@transaction.atomic
def reject_data_request(*, actor, request_id: int, reason: str, http_request=None) -> DataRequest:
    if not (reason or "").strip():
        raise DataRequestError("request.reason_required", _("Give a reason for the rejection."))
    request = _locked(request_id)
    if not may_act(actor, request):
        raise DataRequestError("request.not_your_step", _("This step is not yours to take."))
    return DATA_REQUEST.move(
        request, S.REJECTED, actor=actor, comment=reason.strip(),
        audit=lambda move: audit.record("reject", actor=actor, request=http_request, subject=move.obj.number,
                                        reason=reason.strip()),
    )


def fulfil_data_request(*, actor, request_id: int, http_request=None) -> AccessGrant:
    """Creates the grant and one guardian object permission per customer, all expiring together.
    A unit or filter may gain secret customers after submission: if such a request skipped the
    marketing head, it is routed to the marketing head (and stays so) instead of being granted."""
    with transaction.atomic():
        request = _locked(request_id)
        _check(actor, request, "fulfil")
        covered = list(scope_customers(request).order_by().values_list("pk", "confidentiality_level"))
        if not (request.status == S.SUBMITTED and any(level == SECRET for _pk, level in covered)):
            return _grant(actor, request, [pk for pk, _level in covered], http_request)
        request.touches_secret = True
        request.save(update_fields=["touches_secret"])
    raise DataRequestError("request.needs_marketing_head", _("This request covers secret customers: the marketing head must approve it first."))


def _grant(actor, request: DataRequest, ids: list[int], http_request) -> AccessGrant:
    now = timezone.now()
    grant = AccessGrant.objects.create(
        request=request, user=request.requester, fields=request.fields, form=request.form, granted_by=actor,
        granted_at=now, expires_at=now + timedelta(days=request.days),
    )
    # Rows of the requester's other grants are left alone: each grant keeps its own rows until it expires.
    write_grant_rows(
        user=request.requester, customer_ids=ids, grant_id=grant.pk, fields=grant.fields, expires_at=grant.expires_at
    )
    grant.customer_count = len(ids)
    grant.save(update_fields=["customer_count"])
    request.status = DATA_REQUEST.move(  # the grant keeps this instance: it shows the new state too
        request, S.FULFILLED, actor=actor,
        audit=lambda move: audit.record(
            "grant", actor=actor, customers=ids, request=http_request, subject=request.number,
            reason=request.purpose, detail={"to": request.requester_id, "fields": request.fields, "form": request.form,
                                            "expires_at": grant.expires_at.isoformat()},
        ),
    ).status
    return grant


def revoke_expired_grants(*, now=None, batch_size: int = 5000) -> int:
    """The hourly job: deletes expired permission rows and closes their grants; safe to run twice."""
    now = now or timezone.now()
    revoked = 0
    for pk in AccessGrant.objects.filter(revoked_at__isnull=True, expires_at__lte=now).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Locked and re-read: a second worker running the same job skips what the first revoked.
            grant = AccessGrant.objects.select_for_update().filter(pk=pk, revoked_at__isnull=True).first()
            if grant is None:
                continue
            ids = list(grant_customer_ids(grant.pk))
            delete_grant_rows(grant.pk, batch_size=batch_size)
            grant.revoked_at = now
            grant.save(update_fields=["revoked_at"])
            audit.record("revoke", customers=ids, subject=grant.request.number, detail={"user": grant.user_id, "reason": "expired"})
            revoked += 1
    return revoked


def active_grant(user, request: DataRequest) -> AccessGrant | None:
    grant = AccessGrant.objects.filter(request=request, user=user).first()
    return grant if grant is not None and grant.active else None


@transaction.atomic
def register_printout(*, actor, grant: AccessGrant, copies: int, http_request=None) -> Printout:
    if grant.form != DataRequest.Form.PRINT or not grant.active or grant.user_id != actor.pk:
        raise DataRequestError("printout.not_allowed", _("This request does not allow printing."))
    printout = Printout.objects.create(
        grant=grant, printed_by=actor, copies=max(1, int(copies)),
        return_due=timezone.localdate() + timedelta(days=PRINT_RETURN_DAYS),
    )
    PrintoutEvent.objects.create(printout=printout, kind="printed", actor=actor,
                                 data={"to": printout.status, "copies": printout.copies})
    ids = list(grant_customer_ids(grant.pk))
    audit.record("print", actor=actor, customers=ids, request=http_request, subject=grant.request.number,
                 detail={"copies": printout.copies, "return_due": printout.return_due.isoformat()})
    return printout


@transaction.atomic
def check_in_printout(*, actor, printout_id: int, returned_copies: int) -> Printout:
    printout = Printout.objects.select_for_update().select_related("grant__request").get(pk=printout_id)
    if P.RETURNED not in PRINTOUT.transitions.get(printout.status, {}):
        raise DataRequestError("printout.already_checked_in", _("This printout was already checked in."))
    if not permissions.can_check_in_printout(actor, printout):
        raise DataRequestError("printout.not_cs_specialist", _("Only the CS specialist of the unit checks printouts in."))
    if int(returned_copies) != printout.copies:
        raise DataRequestError(
            "printout.copies_missing", _("%(n)d of %(total)d copies returned: all copies must come back."),
            n=int(returned_copies), total=printout.copies,
        )

    def check_in(printout):
        printout.returned_at, printout.checked_in_by, printout.returned_copies = timezone.now(), actor, int(returned_copies)
        return ["returned_at", "checked_in_by", "returned_copies"]

    return PRINTOUT.move(printout, P.RETURNED, actor=actor, side_effect=check_in, copies=int(returned_copies))


@transaction.atomic
def report_leak(*, reporter, description: str, customers=(), suspected=None) -> "LeakIncident":
    """Anyone may report; every general manager is notified in the app at once, and by email after commit."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail
    from django.urls import reverse

    from crm.models import Notification
    from .models import LeakIncident

    if not (description or "").strip():
        raise DataRequestError("leak.description_required", _("Describe what happened."))
    incident = LeakIncident.objects.create(reported_by=reporter, description=description.strip(), suspected=suspected)
    if customers:
        incident.customers.set(customers)
    managers = list(get_user_model().objects.filter(groups__name=r.GENERAL_MANAGER, is_active=True))
    subject = _("Suspected leak reported (no. %(pk)d)") % {"pk": incident.pk}
    url = reverse("confidentiality:leak_detail", args=[incident.pk])
    Notification.objects.bulk_create(Notification(recipient=m, subject=subject, url=url) for m in managers)
    emails = [m.email for m in managers if m.email]
    if emails:
        transaction.on_commit(
            lambda: send_mail(subject, url, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=True)
        )
    return incident


@transaction.atomic
def decide_leak(*, actor, incident_id: int, remediation: str, penalty: str, deduction: int | None = None):
    from .models import LeakIncident

    if not permissions.can_decide_leaks(actor):
        raise DataRequestError("leak.not_general_manager", _("Only the general manager's office decides on leaks."))
    incident = LeakIncident.objects.select_for_update().get(pk=incident_id)
    if incident.status == LeakIncident.Status.CLOSED:
        raise DataRequestError("leak.closed", _("This incident is already closed."))
    if not (remediation or "").strip():
        raise DataRequestError("leak.remediation_required", _("Record the remediation steps."))
    if penalty == LeakIncident.Penalty.WARNING and not (deduction and 100 <= int(deduction) <= 500):
        raise DataRequestError("leak.deduction_range", _("A warning comes with a deduction of 100 to 500 CNY."))
    if penalty not in LeakIncident.Penalty.values:
        raise DataRequestError("leak.penalty_required", _("Choose the penalty decision."))
    incident.remediation, incident.penalty = remediation.strip(), penalty
    incident.deduction = int(deduction) if penalty == LeakIncident.Penalty.WARNING else None
    incident.status, incident.decided_by, incident.decided_at = LeakIncident.Status.CLOSED, actor, timezone.now()
    incident.save()
    return incident
