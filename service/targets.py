"""Seed 001's monthly standards, read side: customers below their contacts-a-month minimum (owner and
co-owners counted together) and each rep's targets (opportunities found and won, share of contacts face
to face). A month is judged once it is over: on the 1st the past month's shortfalls are flagged."""
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from crm import roles as r
from crm.models import OrgUnit, own_unit_ids
from customers.policy import visible_customers

from .models import MonthlyTarget, Opportunity, RevisitRule, Visit
from .records import month_of
from .services import contacts_count, period_of

FACE_TO_FACE = (Visit.Channel.VISIT, Visit.Channel.EVENT)
DEFAULT_TARGET = MonthlyTarget(opportunities_found=2, opportunities_won=1, face_to_face_percent=15)


@dataclass
class Shortfall:
    """A customer with fewer contacts than its rule asks in one period."""

    customer_id: int
    name: str
    account_manager_id: int | None
    rule: RevisitRule
    start: date
    end: date
    contacts: int

    @property
    def required(self) -> int:
        return self.rule.required_contacts


def contact_shortfalls(customers, on: date, *, closed: bool = True) -> list[Shortfall]:
    """Among `customers` (the caller's visible ones), those below a contacts-a-month rule: in the last period
    that ended before `on` (closed), or in the period under way counted up to `on` (not closed). Customers
    registered after the period began are not judged on it."""
    found = []
    for rule in RevisitRule.objects.filter(per_month__isnull=False):
        start, end = period_of(on, rule.period_months)
        if closed:
            start, end = period_of(start - timedelta(days=1), rule.period_months)
        rows = customers.active().filter(registered_on__lte=start)
        if rule.tier:
            rows = rows.filter(tier=rule.tier)
        rows = (rows.annotate(contacts=contacts_count(rule, start, min(end, on)))
                .filter(contacts__lt=rule.required_contacts)
                .values_list("pk", "name", "account_manager_id", "contacts").order_by("name", "pk"))
        found += [Shortfall(pk, name, owner, rule, start, end, n) for pk, name, owner, n in rows]
    return found


def reps_in_scope(viewer):
    """The reps a viewer rolls up: all for the marketing head, else those of the viewer's own units."""
    reps = get_user_model().objects.filter(is_active=True, groups__name=r.SALES_REP)
    if not (viewer.is_superuser or r.has_role(viewer, r.MARKETING_HEAD)):
        reps = reps.filter(staff_profile__units__in=own_unit_ids(viewer))
    return reps.distinct().order_by("last_name", "first_name", "username")


def targets_for(reps) -> dict[int, MonthlyTarget]:
    """Each rep's targets: the row of its unit or the nearest unit above, else the company's row."""
    rows = {t.unit_id: t for t in MonthlyTarget.objects.all()}
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    units = {}
    for user_id, unit_id in get_user_model().objects.filter(pk__in=[u.pk for u in reps]).values_list(
            "pk", "staff_profile__units").order_by("staff_profile__units"):
        units.setdefault(user_id, unit_id)
    result = {}
    for rep in reps:
        unit, seen = units.get(rep.pk), set()
        while unit is not None and unit not in rows and unit not in seen:
            seen.add(unit)
            unit = parents.get(unit)
        result[rep.pk] = rows.get(unit) or rows.get(None) or DEFAULT_TARGET
    return result


@dataclass
class Standing:
    """One rep's month against its targets."""

    rep: object
    target: MonthlyTarget
    found: int = 0
    won: int = 0
    contacts: int = 0
    face_to_face: int = 0
    customers_below: int = 0

    @property
    def face_to_face_percent(self) -> int | None:
        return round(self.face_to_face * 100 / self.contacts) if self.contacts else None

    @property
    def short_found(self) -> bool:
        return self.found < self.target.opportunities_found

    @property
    def short_won(self) -> bool:
        return self.won < self.target.opportunities_won

    @property
    def short_face_to_face(self) -> bool:
        share = self.face_to_face_percent
        return share is not None and share < self.target.face_to_face_percent

    @property
    def misses(self) -> int:
        return sum((self.short_found, self.short_won, self.short_face_to_face)) + self.customers_below

    @property
    def short(self) -> bool:
        return self.misses > 0


def standings(viewer, reps, month: date, on: date | None = None) -> list[Standing]:
    """The reps' figures for the calendar month of `month`; customers below minimum are counted among
    those the viewer may see, in the contact periods that ended by the month's end."""
    on = on or timezone.localdate()
    start, end = month_of(month)
    reps = list(reps)
    ids = [u.pk for u in reps]
    targets = targets_for(reps)
    found = dict(Opportunity.objects.filter(owner__in=ids, created_at__date__range=(start, end))
                 .values_list("owner").annotate(n=Count("pk")).values_list("owner", "n"))
    won = dict(Opportunity.objects.filter(owner__in=ids, result=Opportunity.Result.WON, closed_at__date__range=(start, end))
               .values_list("owner").annotate(n=Count("pk")).values_list("owner", "n"))
    contacts = {
        row["participants"]: row for row in Visit.objects.filter(participants__in=ids, visited_on__range=(start, end))
        .values("participants").annotate(n=Count("pk", distinct=True),
                                         f2f=Count("pk", distinct=True, filter=Q(channel__in=FACE_TO_FACE)))
    }
    closed = end < on
    below: dict[int, int] = {}
    judged_on = end + timedelta(days=1) if closed else on
    for s in contact_shortfalls(visible_customers(viewer).filter(account_manager__in=ids), judged_on, closed=closed):
        below[s.account_manager_id] = below.get(s.account_manager_id, 0) + 1
    return [
        Standing(rep, targets[rep.pk], found.get(rep.pk, 0), won.get(rep.pk, 0), contacts.get(rep.pk, {}).get("n", 0),
                 contacts.get(rep.pk, {}).get("f2f", 0), below.get(rep.pk, 0))
        for rep in reps
    ]


def last_month(on: date) -> date:
    return on.replace(day=1) - timedelta(days=1)


def short_last_month(viewer, on: date | None = None) -> list[Standing]:
    """Flagged from the 1st: the reps in the viewer's scope who missed a target in the month just ended."""
    on = on or timezone.localdate()
    return [s for s in standings(viewer, reps_in_scope(viewer), last_month(on), on) if s.short]


def my_standing(rep, month: date, on: date | None = None) -> Standing:
    return standings(rep, [rep], month, on)[0]
