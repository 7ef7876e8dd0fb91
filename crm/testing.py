"""Test helpers shared by every app: cover a workflow map move by move, straight from the map."""
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from .errors import TransitionNotAllowed
from .workflow import Workflow


def workflow_cases(workflow: Workflow) -> list:
    """pytest params (source, target, allowed) for every pair of states, ids like "open->closed".

        @pytest.mark.parametrize("source,target,allowed", workflow_cases(REGISTRATION))
        def test_every_move(source, target, allowed, make_customer, manager):
            check_move(REGISTRATION, make_customer, source, target, allowed, actor=manager)
    """
    return [pytest.param(s, t, True, id=f"{s}->{t}") for s, t in workflow.moves()] + [
        pytest.param(s, t, False, id=f"{s}-x->{t}") for s, t in workflow.forbidden_moves()
    ]


def check_move(
    workflow: Workflow, make: Callable[[str], models.Model], source: str, target: str, allowed: bool, *, actor: Any
) -> None:
    """An allowed move saves the state and writes exactly one event; any other raises and changes nothing.

    `make(state)` returns a saved object in that state; `actor` must pass the transition's permission.
    """
    obj = make(source)
    events = workflow.event_model._default_manager.filter(**{workflow.event_fk: obj})
    before = events.count()
    if allowed:
        workflow.move(obj, target, actor=actor)
        obj.refresh_from_db()
        assert getattr(obj, workflow.field) == target
        assert events.count() == before + 1
    else:
        with pytest.raises(TransitionNotAllowed):
            workflow.move(obj, target, actor=actor)
        obj.refresh_from_db()
        assert getattr(obj, workflow.field) == source
        assert events.count() == before
