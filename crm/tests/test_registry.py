from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from crm import registry
from crm.registry import InboxItem, Queue, TimelineEntry
from crm.tests.workflow_app.contributions import TICKETS, register
from crm.tests.workflow_app.models import Ticket

TODAY = date(2026, 12, 1)


@pytest.fixture
def user(make_user):
    return make_user(username="closer-reg")


def test_an_apps_ready_contributions_come_out_of_the_core_listings(user):
    """Acceptance 2: the test app registered in ready(); nothing else was edited to show its work."""
    customer = SimpleNamespace(pk=4242)
    ticket = Ticket.objects.create(title="发票抬头错了", assignee=user, customer_ref=customer.pk, due=TODAY - timedelta(days=1))
    TICKETS.move(ticket, Ticket.Status.ANSWERED, actor=user, comment="已回复")

    assert "tickets" in [e.key for e in registry.navigation_for(user)]
    assert [(i.kind, i.title, i.state) for i in registry.inbox_for(user, TODAY) if i.kind == "ticket"] == [
        ("ticket", "发票抬头错了", "overdue")
    ]
    with registry.override(empty=True):  # the real apps' sources want a real customer, not this stand-in
        register()
        assert [(e.kind, e.detail, e.comment, e.actor) for e in registry.customer_timeline(customer, user)] == [
            ("ticket", "发票抬头错了", "已回复", user)
        ]
        assert [p.key for p in registry.customer_panels(customer, user)] == ["tickets"]


def test_the_nav_asks_the_predicate_and_anonymous_users_get_nothing(user, make_user):
    Ticket.objects.create(title="t", assignee=user)
    assert "tickets" in [e.key for e in registry.navigation_for(user)]
    assert "tickets" not in [e.key for e in registry.navigation_for(make_user(username="bystander"))]
    assert registry.navigation_for(AnonymousUser()) == []


def test_registrations_inside_override_register_temporarily_and_twice_replaces(user):
    with registry.override(empty=True):
        registry.register_nav("b", "B", None, menu="customers", order=2)
        registry.register_nav("a", "A", None, menu="customers", order=1)
        registry.register_nav("z", "Z", "home", menu="main")
        registry.register_nav("a", "A again", None, menu="customers", order=3)  # a reload: replaces
        entries = registry.navigation_for(user)
        assert [(e.key, str(e.label)) for e in entries] == [("z", "Z"), ("b", "B"), ("a", "A again")]
        assert entries[0].url() == "/" and entries[1].url() is None
        assert [(m.key, [e.key for e in es]) for m, es in registry.navigation_menus(user)] == [
            ("main", ["z"]), ("customers", ["b", "a"])
        ]
    keys = [e.key for e in registry.navigation_for(user)]
    assert "a" not in keys and "z" not in keys


def test_override_keeps_the_apps_registrations_unless_asked_to_hide_them():
    with registry.override():
        assert "tickets" in registry.registry.inbox
    with registry.override(empty=True):
        assert registry.registry.inbox == {}
        assert "customers" in registry.registry.menus
    assert "tickets" in registry.registry.inbox


def test_the_inbox_merges_sources_overdue_first_then_due_soon_then_by_date(user):
    def one(u, on, limit):
        return [InboxItem("a", "later", "/a", on + timedelta(days=9)), InboxItem("a", "undated", "/a", None)]

    def two(u, on, limit):
        return [InboxItem("b", "soon", "/b", on + timedelta(days=2), due_soon=True),
                InboxItem("b", "late", "/b", on - timedelta(days=3), overdue=True)][:limit]

    with registry.override(empty=True):
        registry.register_inbox_source("one", one)
        registry.register_inbox_source("two", two)
        registry.register_inbox_source("two", two)  # registered twice: still once
        assert [i.title for i in registry.inbox_for(user, TODAY)] == ["late", "soon", "later", "undated"]
        assert [i.state for i in registry.inbox_for(user, TODAY)] == ["overdue", "due_soon", "open", "open"]


def test_home_queues_skip_the_ones_that_are_not_the_users_and_keep_their_order(user):
    with registry.override(empty=True):
        registry.register_queue("second", lambda u: ("Second", "/2", 3), order=2)
        registry.register_queue("none", lambda u: None, order=0)
        registry.register_queue("first", lambda u: Queue("First", "/1", 0), order=1)
        assert registry.home_queues(user) == [Queue("First", "/1", 0), Queue("Second", "/2", 3)]


def test_the_timeline_is_newest_first_across_sources_and_panels_hide_on_none(user):
    now = timezone.now()
    customer = SimpleNamespace(pk=1)
    with registry.override(empty=True):
        registry.register_timeline_source("old", lambda c, u: [TimelineEntry(now - timedelta(days=2), "old")])
        registry.register_timeline_source("new", lambda c, u: [TimelineEntry(now, "new"),
                                                               TimelineEntry(now - timedelta(days=1), "mid")])
        registry.register_panel("hidden", "x.html", lambda c, u: None, order=0)
        registry.register_panel("late", "late.html", lambda c, u: {"n": 2}, order=20)
        registry.register_panel("early", "early.html", lambda c, u: {"pk": c.pk}, order=10)
        assert [e.label for e in registry.customer_timeline(customer, user)] == ["new", "mid", "old"]
        assert [(p.key, p.template, p.context) for p in registry.customer_panels(customer, user)] == [
            ("early", "early.html", {"pk": 1}), ("late", "late.html", {"n": 2})
        ]
