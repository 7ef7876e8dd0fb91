"""What the test app registers from ready(): data-driven, so it shows nothing until a test makes tickets."""
from datetime import date, timedelta

from crm import registry
from crm.workflow import Transition, Workflow

from .models import Ticket, TicketEvent

S = Ticket.Status


def is_closer(user, ticket) -> bool:
    return user.username.startswith("closer")


TICKETS = Workflow(
    model=Ticket,
    field="status",
    event_model=TicketEvent,
    event_fk="ticket",
    transitions={
        S.OPEN: {S.ANSWERED: Transition("answered"), S.CLOSED: Transition("closed", is_closer)},
        S.ANSWERED: {S.OPEN: Transition("reopened"), S.CLOSED: Transition("closed", is_closer)},
        S.CLOSED: {},
    },
)


def has_tickets(user) -> bool:
    return Ticket.objects.filter(assignee=user).exists()


def inbox_items(user, on: date, limit: int) -> list[registry.InboxItem]:
    return [
        registry.InboxItem("ticket", t.title, f"/tickets/{t.pk}/", t.due, bool(t.due and t.due < on),
                           bool(t.due and on <= t.due <= on + timedelta(days=3)))
        for t in Ticket.objects.filter(assignee=user).exclude(status=S.CLOSED)[:limit]
    ]


def timeline(customer, user) -> list[registry.TimelineEntry]:
    return [
        registry.TimelineEntry(e.at, e.kind, e.ticket.title, e.actor, e.comment, kind="ticket")
        for e in TicketEvent.objects.filter(ticket__customer_ref=customer.pk).select_related("ticket", "actor")
    ]


def queue(user):
    count = Ticket.objects.filter(assignee=user, status=S.OPEN).count()
    return ("Open tickets", "/tickets/", count) if count else None


def panel(customer, user):
    tickets = list(Ticket.objects.filter(customer_ref=customer.pk))
    return {"tickets": tickets} if tickets else None


def register() -> None:
    registry.register_nav("tickets", "Tickets", "home", menu="service", order=5, visible=has_tickets)
    registry.register_inbox_source("tickets", inbox_items)
    registry.register_timeline_source("tickets", timeline)
    registry.register_queue("tickets", queue)
    registry.register_panel("tickets", "crm/tests/tickets_panel.html", panel)
