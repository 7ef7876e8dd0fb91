"""Recalls (召回, seed 003 第八条): a quality complaint opens one at once, assigned to the quality managers,
who record the batch or production date, the quantity, where the goods went and who was told, then close it."""
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import roles as r
from crm.errors import AppError
from crm.notifications import notify
from crm.workflow import Transition, Workflow

from . import permissions
from .models import Complaint, Recall, RecallEvent

S = Recall.Status
RECALL = Workflow(
    model=Recall,
    event_model=RecallEvent,
    event_fk="recall",
    transitions={
        S.OPEN: {S.IN_PROGRESS: Transition(RecallEvent.Kind.STARTED, permissions.can_work_recall)},
        S.IN_PROGRESS: {S.CLOSED: Transition(RecallEvent.Kind.CLOSED, permissions.can_work_recall)},
        S.CLOSED: {},
    },
)
# What the quality manager records on the recall itself, and on its complaint (who is responsible).
RECALL_FIELDS = ("product", "batch_number", "production_date", "quantity", "distribution", "notified")
COMPLAINT_FIELDS = ("responsible_department", "shift")


class RecallError(AppError):
    code = "service.recall"


def quality_managers():
    return get_user_model().objects.filter(groups__name=r.QUALITY, is_active=True).distinct()


def open_recall(complaint: Complaint, *, actor) -> Recall:
    """Inside the complaint's transaction: the recall, its first event naming who was notified, and the notices."""
    recall = Recall.objects.create(
        complaint=complaint, product=complaint.product, batch_number=complaint.batch_number,
        production_date=complaint.production_date, quantity=complaint.quantity,
    )
    recipients = list(quality_managers())
    notify(recipients, subject=_("Quality complaint %(number)s: a recall is opened for %(product)s")
           % {"number": complaint.number, "product": complaint.product},
           url=reverse("service:recall_detail", args=[recall.pk]))
    RecallEvent.objects.create(recall=recall, kind=RecallEvent.Kind.OPENED, actor=actor,
                               data={"to": recall.status, "notified": [u.pk for u in recipients]})
    return recall


def _apply(recall: Recall, values: dict) -> list[str]:
    """Sets the recall's and its complaint's recorded fields; returns the recall's changed field names."""
    changed = [f for f in RECALL_FIELDS if f in values and getattr(recall, f) != values[f]]
    for f in changed:
        setattr(recall, f, values[f])
    complaint = recall.complaint
    touched = [f for f in COMPLAINT_FIELDS if f in values and getattr(complaint, f) != values[f]]
    for f in touched:
        setattr(complaint, f, values[f])
    if touched:
        complaint.save(update_fields=touched)
    return changed + touched


@transaction.atomic
def record_recall(*, actor, recall_id: int, **values) -> Recall:
    """Saves what the quality manager found; the first save of a waiting recall also takes it on."""
    recall = Recall.objects.select_for_update().select_related("complaint").get(pk=recall_id)
    if not permissions.can_work_recall(actor, recall):
        raise RecallError("service.recall_not_yours", _("Only a quality manager works on recalls."))
    if recall.status == S.CLOSED:
        raise RecallError("service.recall_closed", _("This recall is closed."))
    if not (values.get("product") or recall.product or "").strip():
        raise RecallError("service.recall_product_required", _("Name the product to recall."))
    if recall.status == S.OPEN:
        def take(obj):
            obj.assignee = actor
            return ["assignee", *[f for f in _apply(obj, values) if f in RECALL_FIELDS]]

        return RECALL.move(recall, S.IN_PROGRESS, actor=actor, side_effect=take)
    changed = _apply(recall, values)
    recall.assignee = recall.assignee or actor
    recall.save(update_fields=["assignee", *[f for f in changed if f in RECALL_FIELDS]])
    RecallEvent.objects.create(recall=recall, kind=RecallEvent.Kind.RECORDED, actor=actor, data={"fields": changed})
    return recall


@transaction.atomic
def start_recall(*, actor, recall_id: int) -> Recall:
    def take(obj):
        obj.assignee = actor
        return ["assignee"]

    return RECALL.move(recall_id, S.IN_PROGRESS, actor=actor, side_effect=take)


@transaction.atomic
def close_recall(*, actor, recall_id: int, comment: str = "") -> Recall:
    """Closed only once everything the rule names is on record."""
    recall = Recall.objects.select_for_update().get(pk=recall_id)
    missing = [str(Recall._meta.get_field(f).verbose_name) for f in ("quantity", "distribution", "notified")
               if getattr(recall, f) in (None, "")]
    if not (recall.batch_number or recall.production_date):
        missing.insert(0, _("batch number or production date"))
    if missing:
        raise RecallError("service.recall_incomplete", _("Record these before closing the recall: %(fields)s."),
                          fields="、".join(missing))

    def close(obj):
        obj.closed_at = timezone.now()
        return ["closed_at"]

    return RECALL.move(recall, S.CLOSED, actor=actor, comment=(comment or "").strip(), side_effect=close)


def open_recalls():
    return Recall.objects.exclude(status=S.CLOSED).select_related("complaint")


def recall_items(user, on: date, limit: int) -> list:
    """The quality managers' inbox: every recall not closed; a waiting one is due the day it was opened."""
    from crm.registry import InboxItem

    if not permissions.can_work_recall(user):
        return []
    items = []
    for recall in open_recalls().order_by("created_at")[:limit]:
        due = timezone.localtime(recall.created_at).date() if recall.status == S.OPEN else None
        items.append(InboxItem(
            "recall", _("Recall for complaint %(number)s: %(product)s") % {"number": recall.complaint.number,
                                                                           "product": recall.product},
            reverse("service:recall_detail", args=[recall.pk]), due, due is not None and due < on, due == on,
        ))
    return items
