"""What the apps contribute to shared pages, registered in each `AppConfig.ready()`.

The core lists what is registered and never imports a domain app, so a new app (dealers, orders)
adds its menu entries, inbox items, home queues, timeline entries and customer panels without
editing another app's files. Registering the same key again replaces the entry (reloads stay single).
"""
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Label = str | Promise


def everyone(user: Any) -> bool:
    """Default predicate: every signed-in user (anonymous users get no navigation at all)."""
    return True


@dataclass(frozen=True)
class Menu:
    key: str
    label: Label
    order: int


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: Label
    url_name: str | None  # None: the page comes with a later release
    menu: str = "main"
    order: int = 100
    visible: Callable[[Any], bool] = everyone  # ask the app's permissions.py, not a role list
    badge: str | None = None  # url name of a fragment the page loads after itself (a count), or None

    def url(self) -> str | None:
        return reverse(self.url_name) if self.url_name else None

    def badge_url(self) -> str | None:
        return reverse(self.badge) if self.badge else None


# "Due soon": due today or within this many days. Overdue is past due: the day has passed (a date) or the
# moment has (a datetime, e.g. a complaint's first-response deadline). One rule for every inbox source and badge.
DUE_SOON = timedelta(days=3)


def due_state(due: date | datetime | None, on: date, now: datetime | None = None) -> str:
    """"overdue", "due_soon" or "open" for a deadline seen on `on` (at `now` for a datetime deadline)."""
    if due is None:
        return "open"
    if isinstance(due, datetime):
        if due < (now or timezone.now()):
            return "overdue"
        due = timezone.localtime(due).date()
    if due < on:
        return "overdue"
    return "due_soon" if due <= on + DUE_SOON else "open"


def due_day(due: date | datetime | None) -> date:
    """A deadline's calendar day, for sorting dates and datetimes together (undated last)."""
    if due is None:
        return date.max
    return timezone.localtime(due).date() if isinstance(due, datetime) else due


@dataclass(frozen=True)
class InboxItem:
    """One to-do line; positional fields match service's TodoItem so sources convert as they are.

    For a dated item `inbox_for` sets overdue and due_soon by `due_state`, whatever the source said; an
    undated item keeps the source's flag (e.g. a customer never verified is overdue without a due day)."""

    kind: str
    title: str
    url: str
    due: date | datetime | None
    overdue: bool = False
    due_soon: bool = False

    @property
    def state(self) -> str:
        return "overdue" if self.overdue else "due_soon" if self.due_soon else "open"

    @property
    def timed(self) -> bool:
        """The deadline is a moment (shown with its time), not a day."""
        return isinstance(self.due, datetime)

    def as_of(self, on: date, now: datetime | None = None) -> "InboxItem":
        if self.due is None:
            return self
        state = due_state(self.due, on, now)
        return replace(self, overdue=state == "overdue", due_soon=state == "due_soon")


@dataclass(frozen=True)
class Queue:
    label: str
    url: str
    count: int


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's timeline; positional fields match customers' TimelineEntry."""

    at: datetime
    label: str
    detail: str = ""
    actor: Any = None
    comment: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[[Any, Any], dict | None]  # (customer, user) -> context, or None to hide the panel
    order: int = 100


@dataclass(frozen=True)
class ShownPanel:
    key: str
    template: str
    context: dict


@dataclass(frozen=True)
class _Source:
    key: str
    fn: Callable[..., Any]
    order: int = 100


InboxSource = Callable[[Any, date, int], list[InboxItem]]
QueueSource = Callable[[Any], Queue | tuple[str, str, int] | None]
TimelineSource = Callable[[Any, Any], list[TimelineEntry]]


@dataclass
class Registry:
    """One typed register per kind of contribution, each keyed so registering twice replaces."""

    menus: dict[str, Menu] = field(default_factory=dict)
    navigation: dict[str, NavEntry] = field(default_factory=dict)
    inbox: dict[str, _Source] = field(default_factory=dict)
    queues: dict[str, _Source] = field(default_factory=dict)
    timeline: dict[str, _Source] = field(default_factory=dict)
    panels: dict[str, Panel] = field(default_factory=dict)

    def copy(self) -> "Registry":
        return Registry(*(dict(getattr(self, f)) for f in self.__dataclass_fields__))


registry = Registry()

# The menus of the house; an app may add its own with register_menu.
for _key, _label, _order in (
    ("main", _("Workbench"), 0),
    ("customers", _("Customers"), 10),
    ("service", _("Service"), 20),
    ("orders", _("Orders"), 30),
    ("confidentiality", _("Confidentiality and archive"), 40),
    ("reports", _("Reports"), 50),
    ("admin", _("Administration"), 60),
):
    registry.menus[_key] = Menu(_key, _label, _order)


def register_menu(key: str, label: Label, *, order: int = 100) -> None:
    registry.menus[key] = Menu(key, label, order)


def register_nav(
    key: str, label: Label, url_name: str | None, *, menu: str = "main", order: int = 100,
    visible: Callable[[Any], bool] = everyone, badge: str | None = None,
) -> NavEntry:
    entry = NavEntry(key, label, url_name, menu, order, visible, badge)
    registry.navigation[key] = entry
    return entry


def register_inbox_source(key: str, fn: InboxSource) -> None:
    """`fn(user, on, limit)` returns the user's items of one kind, at most `limit` of them."""
    registry.inbox[key] = _Source(key, fn)


def register_queue(key: str, fn: QueueSource, *, order: int = 100) -> None:
    """`fn(user)` returns (label, url, count) when the user works that queue, else None."""
    registry.queues[key] = _Source(key, fn, order)


def register_timeline_source(key: str, fn: TimelineSource) -> None:
    """`fn(customer, user)` returns entries the user may see; the source applies its own visibility."""
    registry.timeline[key] = _Source(key, fn)


def register_panel(
    key: str, template: str, context: Callable[[Any, Any], dict | None], *, order: int = 100
) -> None:
    registry.panels[key] = Panel(key, template, context, order)


@contextmanager
def override(*, empty: bool = False) -> Iterator[Registry]:
    """Tests only: registrations made inside the block vanish after it; `empty` hides the apps' own."""
    saved = registry.copy()
    if empty:
        for name in registry.__dataclass_fields__:
            if name != "menus":
                getattr(registry, name).clear()
    try:
        yield registry
    finally:
        for name in registry.__dataclass_fields__:
            setattr(registry, name, getattr(saved, name))


def navigation_for(user: Any) -> list[NavEntry]:
    """The entries this user may open, by menu then order; nothing for anonymous users, everything for superusers."""
    if not getattr(user, "is_authenticated", False):
        return []
    menus = registry.menus
    entries = [e for e in registry.navigation.values() if user.is_superuser or e.visible(user)]
    return sorted(entries, key=lambda e: (menus[e.menu].order if e.menu in menus else 1000, e.menu, e.order, e.key))


def navigation_menus(user: Any) -> list[tuple[Menu, list[NavEntry]]]:
    """The same entries grouped under their menus, for a two-level navigation bar."""
    grouped: dict[str, list[NavEntry]] = {}
    for entry in navigation_for(user):
        grouped.setdefault(entry.menu, []).append(entry)
    return [(registry.menus.get(key) or Menu(key, key, 1000), entries) for key, entries in grouped.items()]


def inbox_for(user: Any, on: date | None = None, limit: int = 200) -> list[InboxItem]:
    """Every source's items, each stated by the one due rule: overdue first, then due soon, then by due day
    (undated last) and title."""
    on = on or timezone.localdate()
    now = timezone.localtime()
    now = now.replace(year=on.year, month=on.month, day=on.day) if on != now.date() else now  # the same hour on `on`
    items = [item.as_of(on, now) for source in registry.inbox.values() for item in source.fn(user, on, limit)]
    return sorted(items, key=lambda i: (not i.overdue, not i.due_soon, due_day(i.due), str(i.title)))


def home_queues(user: Any) -> list[Queue]:
    """The queues this user works, in registration order; sources answer None when not theirs."""
    queues = []
    for source in sorted(registry.queues.values(), key=lambda s: (s.order, s.key)):
        found = source.fn(user)
        if found is not None:
            queues.append(found if isinstance(found, Queue) else Queue(*found))
    return queues


def customer_timeline(customer: Any, user: Any) -> list[TimelineEntry]:
    """All sources' entries for one customer, newest first."""
    entries = [e for source in registry.timeline.values() for e in source.fn(customer, user)]
    return sorted(entries, key=lambda e: e.at, reverse=True)


def customer_panels(customer: Any, user: Any) -> list[ShownPanel]:
    """The panels that have something for this user, in order; a context of None hides the panel."""
    shown = []
    for panel in sorted(registry.panels.values(), key=lambda p: (p.order, p.key)):
        context = panel.context(customer, user)
        if context is not None:
            shown.append(ShownPanel(panel.key, panel.template, context))
    return shown
