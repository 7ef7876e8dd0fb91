"""Bulk actions on the customer list (issue 13 §3): set a field, assign an account manager, submit for
approval, approve, on the selected customers or on every customer the filter finds.

`start_bulk_action` resolves the customers once, within what the user sees (`selectors.bulk_scope`), and
records the action; up to `inline_limit()` customers it runs at once, more go to the worker, which shows
progress. `run_bulk_action` hands each customer to the same service a single customer's page calls, so
the same permission checks, workflow, history and audit apply; a refusal is kept with its reason and
the rest go on. Batches run in id order, each in one transaction with its progress, so a task delivered
again after a killed worker resumes where the last committed batch ended."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import audit
from crm.errors import DomainError
from crm.jobs import run_over_ids
from crm.models import display_name

from . import permissions, selectors, services
from .models import BulkAction, Customer

A = BulkAction.Action
BATCH = 50
# More than this is a filter that went wrong, not a bulk action: narrow it and run it in parts.
MAX_CUSTOMERS = 50_000


def inline_limit() -> int:
    return getattr(settings, "CRM_BULK_INLINE_ROWS", 200)


def start_bulk_action(*, actor, action: str, params, ids=None, field: str = "", value: str = "", owner=None,
                      comment: str = "") -> BulkAction:
    """Records the action on the customers `params` (the list's filters) and `ids` (a selection, or None
    for every customer the filter finds) name, and runs it, here or on the worker."""
    if action not in permissions.bulk_actions(actor):
        raise services.CustomerError("customer.bulk_not_allowed", _("You cannot do this to customers."))
    if action == A.SET_FIELD and field not in services.SETTABLE_FIELDS:
        raise services.CustomerError("customer.field_not_settable", _("This field cannot be set here."))
    if action == A.ASSIGN_OWNER and owner is None:
        raise services.CustomerError("customer.owner_required", _("Choose the account manager."))
    scope = selectors.bulk_scope(actor, params, ids)
    customer_ids = list(scope.order_by("pk").values_list("pk", flat=True)[:MAX_CUSTOMERS + 1])
    if not customer_ids:
        raise services.CustomerError("customer.bulk_empty", _("No customers are selected."))
    if len(customer_ids) > MAX_CUSTOMERS:
        raise services.CustomerError(
            "customer.bulk_too_many", _("More than %(n)s customers: narrow the filter and do it in parts."),
            n=f"{MAX_CUSTOMERS:,}")
    bulk = BulkAction.objects.create(
        actor=actor, action=action, customer_ids=customer_ids, total=len(customer_ids),
        params={"field": field, "value": value, "owner": getattr(owner, "pk", None), "comment": comment},
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    if len(customer_ids) <= inline_limit():
        return run_bulk_action(bulk.pk)
    from .tasks import run_bulk_action_task

    transaction.on_commit(lambda: run_bulk_action_task.delay(bulk.pk))
    return bulk


def run_bulk_action(bulk_id: int) -> BulkAction | None:
    """Idempotent: a finished action is left alone, a resumed one starts after its last committed batch."""
    bulk = BulkAction.objects.filter(pk=bulk_id).select_related("actor").first()
    if bulk is None or not bulk.running:
        return bulk
    BulkAction.objects.filter(pk=bulk.pk).update(status=BulkAction.Status.RUNNING)
    actor = bulk.actor
    owner = get_user_model().objects.filter(pk=bulk.params.get("owner")).first() if bulk.params.get("owner") else None
    apply = _applier(bulk, actor, owner)
    names = dict(Customer.objects.filter(pk__in=bulk.customer_ids).values_list("pk", "name"))

    def step(chunk: list[int]) -> tuple[int, int]:
        current = BulkAction.objects.select_for_update().get(pk=bulk.pk)
        todo = [pk for pk in chunk if pk > current.position]
        changed, failures = [], []
        for pk in todo:
            try:
                if apply(pk):
                    changed.append(pk)
            except Customer.DoesNotExist:
                failures.append([pk, names.get(pk, ""), _("This customer no longer exists.")])
            except DomainError as exc:
                failures.append([pk, names.get(pk, ""), str(exc.message)])
        if changed and bulk.action == A.ASSIGN_OWNER:
            audit.record("handover", actor=actor, customers=changed, subject=f"→ {display_name(owner)}",
                         detail={"bulk": bulk.pk, "to": [owner.pk], "count": len(changed)})
        if todo:
            current.position = todo[-1]
            current.done += len(todo)
            current.changed += len(changed)
            current.failures = [*current.failures, *failures]
            current.save(update_fields=["position", "done", "changed", "failures"])
        return len(todo), len(changed)

    with translation.override(bulk.language):
        run = run_over_ids(f"customers.bulk.{bulk.action}", bulk.customer_ids, step, batch=BATCH)
    status = BulkAction.Status.FAILED if run.errors else BulkAction.Status.DONE
    BulkAction.objects.filter(pk=bulk.pk).update(status=status, run=run, finished_at=timezone.now())
    bulk.refresh_from_db()
    return bulk


def _applier(bulk: BulkAction, actor, owner):
    """The one service a single customer's page calls for this action, for one customer id."""
    params = bulk.params
    comment = params.get("comment", "")
    if bulk.action == A.SET_FIELD:
        return lambda pk: services.set_customer_field(actor=actor, customer_id=pk, field=params["field"],
                                                      value=params["value"], reason=comment)
    if bulk.action == A.ASSIGN_OWNER:
        if owner is None:
            raise services.CustomerError("customer.owner_required", _("Choose the account manager."))
        return lambda pk: services.assign_owner(actor=actor, customer_id=pk, owner=owner)
    if bulk.action == A.SUBMIT:
        return lambda pk: bool(services.submit_registration(actor=actor, customer_id=pk, comment=comment))
    if bulk.action == A.APPROVE:
        return lambda pk: bool(services.approve_registration(actor=actor, customer_id=pk, comment=comment))
    raise ValueError(f"unknown bulk action {bulk.action!r}")
