"""Data requests (客户信息使用申请) and the grants they create. Only these functions write grant rows (through customers.services)."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import audit
from crm import roles as r
from customers.models import Customer
from customers.policy import SECRET, SENSITIVE_FIELDS, own_unit_ids
from customers.selectors import grant_customer_ids
from customers.services import delete_grant_rows, write_grant_rows

from .models import AccessGrant, DataRequest, DataRequestEvent, Printout

S = DataRequest.Status
MAX_DAYS = 30
PRINT_RETURN_DAYS = 3


class DataRequestError(Exception):
    """A refused step, with a message for the user in the active language."""


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
    step = next_step(request)
    if step is None or user.pk == request.requester_id:
        return False
    role, _verb = step
    if not r.has_role(user, role):
        return False
    return role != r.CS_SPECIALIST or request.data_unit_id in own_unit_ids(user)


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
        raise DataRequestError(_("State the purpose of the request."))
    if not 1 <= int(days) <= MAX_DAYS:
        raise DataRequestError(_("The period is 1 to %(max)d days.") % {"max": MAX_DAYS})
    unknown = set(fields) - set(SENSITIVE_FIELDS)
    if unknown:
        raise DataRequestError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if r.has_role(requester, r.SALES_REP) and requester.staff_profile.status == "departed":
        raise DataRequestError(_("Departed staff cannot request customer data."))
    customers = list(customers)
    if scope == DataRequest.Scope.CUSTOMERS:
        if not customers:
            raise DataRequestError(_("Choose at least one customer."))
        from crm.models import OrgUnit

        inside = OrgUnit.objects.descendant_ids([data_unit.pk])
        if any(c.unit_id not in inside for c in customers):
            raise DataRequestError(_("All customers of one request must belong to the chosen unit."))
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
            _("This request is already %(status)s.") % {"status": request.get_status_display()}
        )
    if step[1] != verb or not may_act(actor, request):
        raise DataRequestError(_("This step is not yours to take."))


@transaction.atomic
def approve_data_request(*, actor, request_id: int, comment: str = "", http_request=None) -> DataRequest:
    """The marketing head's approval or the CS manager's confirmation, whichever is due."""
    request = _locked(request_id)
    step = next_step(request)
    verb = step[1] if step and step[1] in ("approve", "confirm") else "approve"
    _check(actor, request, verb)
    request.status = S.MARKETING_APPROVED if verb == "approve" else S.CS_CONFIRMED
    request.save(update_fields=["status"])
    DataRequestEvent.objects.create(request=request, status=request.status, actor=actor, comment=comment)
    audit.record("approve", actor=actor, request=http_request, subject=request.number, reason=comment, detail={"step": verb})
    return request


@transaction.atomic
def reject_data_request(*, actor, request_id: int, reason: str, http_request=None) -> DataRequest:
    if not (reason or "").strip():
        raise DataRequestError(_("Give a reason for the rejection."))
    request = _locked(request_id)
    if not may_act(actor, request):
        raise DataRequestError(_("This step is not yours to take."))
    request.status = S.REJECTED
    request.save(update_fields=["status"])
    DataRequestEvent.objects.create(request=request, status=S.REJECTED, actor=actor, comment=reason.strip())
    audit.record("reject", actor=actor, request=http_request, subject=request.number, reason=reason.strip())
    return request


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
    raise DataRequestError(_("This request covers secret customers: the marketing head must approve it first."))


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
    request.status = S.FULFILLED
    request.save(update_fields=["status"])
    DataRequestEvent.objects.create(request=request, status=S.FULFILLED, actor=actor)
    audit.record(
        "grant", actor=actor, customers=ids, request=http_request, subject=request.number,
        reason=request.purpose, detail={"to": request.requester_id, "fields": request.fields, "form": request.form,
                                        "expires_at": grant.expires_at.isoformat()},
    )
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
        raise DataRequestError(_("This request does not allow printing."))
    printout = Printout.objects.create(
        grant=grant, printed_by=actor, copies=max(1, int(copies)),
        return_due=timezone.localdate() + timedelta(days=PRINT_RETURN_DAYS),
    )
    ids = list(grant_customer_ids(grant.pk))
    audit.record("print", actor=actor, customers=ids, request=http_request, subject=grant.request.number,
                 detail={"copies": printout.copies, "return_due": printout.return_due.isoformat()})
    return printout


@transaction.atomic
def check_in_printout(*, actor, printout_id: int, returned_copies: int) -> Printout:
    printout = Printout.objects.select_for_update().select_related("grant__request").get(pk=printout_id)
    if printout.returned_at is not None:
        raise DataRequestError(_("This printout was already checked in."))
    if not (r.has_role(actor, r.CS_SPECIALIST) and printout.grant.request.data_unit_id in own_unit_ids(actor)):
        raise DataRequestError(_("Only the CS specialist of the unit checks printouts in."))
    if int(returned_copies) != printout.copies:
        raise DataRequestError(
            _("%(n)d of %(total)d copies returned: all copies must come back.") % {"n": int(returned_copies), "total": printout.copies}
        )
    printout.returned_at, printout.checked_in_by, printout.returned_copies = timezone.now(), actor, int(returned_copies)
    printout.save(update_fields=["returned_at", "checked_in_by", "returned_copies"])
    return printout


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
        raise DataRequestError(_("Describe what happened."))
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

    if not r.has_role(actor, r.GENERAL_MANAGER):
        raise DataRequestError(_("Only the general manager's office decides on leaks."))
    incident = LeakIncident.objects.select_for_update().get(pk=incident_id)
    if incident.status == LeakIncident.Status.CLOSED:
        raise DataRequestError(_("This incident is already closed."))
    if not (remediation or "").strip():
        raise DataRequestError(_("Record the remediation steps."))
    if penalty == LeakIncident.Penalty.WARNING and not (deduction and 100 <= int(deduction) <= 500):
        raise DataRequestError(_("A warning comes with a deduction of 100 to 500 CNY."))
    if penalty not in LeakIncident.Penalty.values:
        raise DataRequestError(_("Choose the penalty decision."))
    incident.remediation, incident.penalty = remediation.strip(), penalty
    incident.deduction = int(deduction) if penalty == LeakIncident.Penalty.WARNING else None
    incident.status, incident.decided_by, incident.decided_at = LeakIncident.Status.CLOSED, actor, timezone.now()
    incident.save()
    return incident
