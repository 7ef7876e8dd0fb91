"""One workflow helper: a transition map per workflow, and one `move` that every verb goes through.

Lock the row → check the move is in the map → check the actor may make it → set the state (and a
side effect) → save(update_fields) → one event row (who, when, from, to, comment) → audit, all in one
transaction. The audit writer is injected so crm imports no domain app.

    REGISTRATION = Workflow(
        model=Customer, field="registration_status", event_model=CustomerEvent, event_fk="customer",
        transitions={R.DRAFT: {R.SUBMITTED: Transition("submitted", permissions.can_submit)}, ...},
        audit=lambda move: audit.record(f"customer.{move.verb}", actor=move.actor, customers=[move.obj]),
    )
    REGISTRATION.move(customer_id, R.SUBMITTED, actor=request.user, comment=form.cleaned_data["comment"])
"""
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actor import acting_as
from .errors import ActionForbidden, TransitionNotAllowed


def anyone(user: Any, obj: Any) -> bool:
    """Default permission: the move is guarded by the map and the view's visibility only."""
    return True


@dataclass(frozen=True)
class Transition:
    verb: str  # the event kind written for this move, e.g. "approved"
    permission: Callable[[Any, Any], bool] = anyone  # (user, obj), from the app's permissions.py


@dataclass(frozen=True)
class Move:
    """What one move did; handed to the event builder, the side effect's caller and the audit writer."""

    obj: Any
    source: str
    target: str
    verb: str
    actor: Any
    at: datetime
    comment: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


def default_event(workflow: "Workflow", move: Move) -> models.Model:
    """The event row shape most of our event tables share: kind, actor, at, comment, data (from, to, …)."""
    return workflow.event_model(**{
        workflow.event_fk: move.obj, "kind": move.verb, "actor": move.actor, "at": move.at,
        "comment": move.comment, "data": {"from": move.source, "to": move.target, **move.data},
    })


@dataclass
class Workflow:
    model: type[models.Model]
    transitions: Mapping[str, Mapping[str, Transition]]
    event_model: type[models.Model]
    event_fk: str  # the event's foreign key to `model`
    field: str = "status"
    build_event: Callable[["Workflow", Move], models.Model] = default_event
    audit: Callable[[Move], Any] | None = None
    also_save: tuple[str, ...] = ()  # e.g. an auto_now "updated_at" that update_fields would skip

    def states(self) -> list[str]:
        """Every state: the field's choices, plus any the map names (so a typo in the map is still tested)."""
        choices = [str(value) for value, _label in self.model._meta.get_field(self.field).flatchoices]
        named = [str(s) for s in self.transitions] + [str(t) for ts in self.transitions.values() for t in ts]
        return list(dict.fromkeys(choices + named))

    def moves(self) -> list[tuple[str, str]]:
        """Every allowed (from, to) pair of the map."""
        return [(str(s), str(t)) for s, targets in self.transitions.items() for t in targets]

    def forbidden_moves(self) -> list[tuple[str, str]]:
        """Every other pair of states, staying put included."""
        allowed = set(self.moves())
        return [(s, t) for s in self.states() for t in self.states() if (s, t) not in allowed]

    def label(self, state: str) -> str:
        return str(dict(self.model._meta.get_field(self.field).flatchoices).get(state, state))

    def transition(self, obj: models.Model, target: str) -> Transition:
        """The map's transition from obj's state to target, or TransitionNotAllowed naming both."""
        current = getattr(obj, self.field)
        found = self.transitions.get(current, {}).get(target)
        if found is None:
            raise TransitionNotAllowed(
                None, _("This %(what)s is %(state)s and cannot be moved to %(target)s."),
                what=self.model._meta.verbose_name, state=self.label(current), target=self.label(target),
            )
        return found

    def can_move(self, obj: models.Model, target: str, user: Any) -> bool:
        """For templates: whether to offer the button; `move` checks again under the lock."""
        step = self.transitions.get(getattr(obj, self.field), {}).get(target)
        return step is not None and step.permission(user, obj)

    def move(
        self,
        obj_or_pk: models.Model | int,
        to_state: str,
        *,
        actor: Any,
        comment: str = "",
        side_effect: Callable[[models.Model], Iterable[str] | None] | None = None,
        audit: Callable[[Move], Any] | None = None,
        **event_data: Any,
    ) -> models.Model:
        """Moves the locked row and returns it (a passed instance is not updated: use the return value).

        `side_effect(obj)` runs after the state is set and returns the names of the other fields it set.
        """
        pk = obj_or_pk.pk if isinstance(obj_or_pk, models.Model) else obj_or_pk
        with transaction.atomic(), acting_as(actor):
            obj = self.model._default_manager.select_for_update().get(pk=pk)
            source = getattr(obj, self.field)
            step = self.transition(obj, to_state)
            if not step.permission(actor, obj):
                raise ActionForbidden(
                    None, _("You are not allowed to move this %(what)s to %(target)s."),
                    what=self.model._meta.verbose_name, target=self.label(to_state),
                )
            setattr(obj, self.field, to_state)
            extra = list(side_effect(obj) or ()) if side_effect else []
            obj.save(update_fields=list(dict.fromkeys([self.field, *extra, *self.also_save])))
            done = Move(obj, str(source), str(to_state), step.verb, actor, timezone.now(), comment, event_data)
            self.build_event(self, done).save()
            writer = audit or self.audit
            if writer is not None:
                writer(done)
        return obj
