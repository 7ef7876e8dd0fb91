from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from crm.errors import ActionForbidden, DomainError, TransitionNotAllowed
from crm.testing import check_move, workflow_cases
from crm.tests.workflow_app.contributions import TICKETS
from crm.tests.workflow_app.models import Ticket, TicketEvent
from crm.workflow import Move

S = Ticket.Status


@pytest.fixture
def closer(make_user):
    return make_user(username="closer1")


@pytest.fixture
def make_ticket(db):
    def make(status: str = S.OPEN, **fields) -> Ticket:
        return Ticket.objects.create(**{"title": "打印机坏了", "status": status, **fields})

    return make


@pytest.mark.parametrize("source,target,allowed", workflow_cases(TICKETS))
def test_every_move_of_the_map(make_ticket, closer, source, target, allowed):
    check_move(TICKETS, make_ticket, source, target, allowed, actor=closer)


def test_the_cases_cover_every_pair_of_states():
    assert len(workflow_cases(TICKETS)) == 3 * 3
    assert ("open", "open") in TICKETS.forbidden_moves()
    assert set(TICKETS.moves()) == {("open", "answered"), ("open", "closed"), ("answered", "open"), ("answered", "closed")}


def test_a_move_writes_one_event_with_who_when_from_to_and_data(make_ticket, closer):
    ticket = make_ticket()
    moved = TICKETS.move(ticket.pk, S.CLOSED, actor=closer, comment="已解决", reason="fixed")
    assert moved.status == S.CLOSED
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor, event.comment) == ("closed", closer, "已解决")
    assert event.data == {"from": "open", "to": "closed", "reason": "fixed"}
    assert isinstance(event.at, datetime)


def test_a_refused_move_names_both_states_in_the_users_language(make_ticket, closer):
    ticket = make_ticket(S.CLOSED)
    with pytest.raises(TransitionNotAllowed) as refused:
        TICKETS.move(ticket, S.OPEN, actor=closer)
    with translation.override("zh-hans"):
        assert str(refused.value) == "该ticket当前为“Closed”，不能变更为“Open”。"
    assert isinstance(refused.value, DomainError)


def test_the_permission_is_asked_and_a_refusal_changes_nothing(make_ticket, make_user):
    ticket = make_ticket()
    with pytest.raises(ActionForbidden) as refused:
        TICKETS.move(ticket, S.CLOSED, actor=make_user(username="rep1"))
    assert isinstance(refused.value, PermissionDenied)
    with translation.override("zh-hans"):
        assert str(refused.value) == "您无权将该ticket变更为“Closed”。"
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN and not TicketEvent.objects.exists()


def test_the_side_effect_fields_are_saved_with_the_state_and_nothing_else(make_ticket, closer):
    ticket = make_ticket()

    def stamp(obj):
        obj.note = "closed by workflow"
        return ["note"]

    with CaptureQueriesContext(connection) as queries:
        TICKETS.move(ticket, S.CLOSED, actor=closer, side_effect=stamp)
    [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"status"' in update and '"note"' in update and '"title"' not in update
    ticket.refresh_from_db()
    assert (ticket.status, ticket.note) == (S.CLOSED, "closed by workflow")


def test_the_audit_writer_gets_the_move_and_a_failing_audit_undoes_everything(make_ticket, closer):
    audited: list[Move] = []
    ticket = make_ticket()
    TICKETS.move(ticket, S.ANSWERED, actor=closer, audit=audited.append)
    assert [(m.source, m.target, m.verb, m.actor) for m in audited] == [("open", "answered", "answered", closer)]

    def broken(move):
        raise RuntimeError("audit log unavailable")

    with pytest.raises(RuntimeError), transaction.atomic():
        TICKETS.move(ticket, S.CLOSED, actor=closer, audit=broken)
    ticket.refresh_from_db()
    assert ticket.status == S.ANSWERED and TicketEvent.objects.count() == 1


def test_the_row_is_locked_before_it_is_read(make_ticket, closer):
    ticket = make_ticket()
    with CaptureQueriesContext(connection) as queries:
        TICKETS.move(ticket, S.ANSWERED, actor=closer)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert "crm_workflow_app_ticket" in reads[0]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in reads[0]


def test_can_move_answers_for_buttons(make_ticket, closer, make_user):
    ticket = make_ticket()
    assert TICKETS.can_move(ticket, S.CLOSED, closer)
    assert not TICKETS.can_move(ticket, S.CLOSED, make_user(username="rep2"))
    assert not TICKETS.can_move(ticket, S.OPEN, closer)
