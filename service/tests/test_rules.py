"""Each rule in one place (issue 12, item 5): the list, the inbox, the scans, the pool and every owner
change path ask the same definitions, so they cannot disagree about one customer."""
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm import roles as r
from crm.actor import acting_as
from customers import services as customer_services
from customers.models import Customer, CustomerChange, CustomerEvent
from customers.selectors import filter_customers
from customers.tests.factories import CustomerFactory
from imports import services as import_services
from imports.tests import sheets
from imports.tests.fixtures import media  # noqa: F401 - fixture
from service import pool, scans, selectors, services
from service.tests.test_pool import on
from service.models import FollowUpTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, unit):
    return make_user(r.SALES_REP, units=[unit], username="owner")


def test_a_customer_due_today_counts_the_same_in_the_list_the_inbox_and_the_scan(owner, unit):
    """Acceptance 3: due on the day 3 months after the last verification, overdue strictly after it;
    never verified is overdue."""
    today = timezone.localdate()
    cutoff = today - relativedelta(months=3)
    made = {
        "due_today": CustomerFactory(unit=unit, created_by=owner, last_verified_on=cutoff),
        "overdue": CustomerFactory(unit=unit, created_by=owner, last_verified_on=cutoff - timedelta(days=1)),
        "never": CustomerFactory(unit=unit, created_by=owner, last_verified_on=None),
        "not_yet": CustomerFactory(unit=unit, created_by=owner, last_verified_on=cutoff + timedelta(days=1)),
    }
    name = {c.pk: key for key, c in made.items()}

    def listed(**params):
        return {name[pk] for pk in filter_customers(owner, params).values_list("pk", flat=True)}

    inbox = {name[int(i.url.rstrip("/").split("/")[-1])]: i.overdue for i in selectors.inbox(owner, today)
             if i.kind == "verification"}
    scans.verification_scan(today)
    tasked = {name[pk] for pk in FollowUpTask.objects.filter(kind="verification").values_list("customer_id", flat=True)}

    due, overdue = {"due_today", "overdue", "never"}, {"overdue", "never"}
    assert listed(verification_due="1") == set(inbox) == tasked == due
    assert listed(verification_overdue="1") == {key for key, late in inbox.items() if late} == overdue


def test_active_means_approved_and_not_cancelled_in_the_pool_too(owner, make_user, unit):
    """A suspended customer is still ours (it is verified and neglect returns it to the pool); a cancelled
    one is not a customer any more, so nobody claims it."""
    start = date(2026, 1, 5)
    suspended = CustomerFactory(unit=unit, created_by=owner, tier="D", registered_on=start, customer_status="suspended")
    cancelled = CustomerFactory(unit=unit, created_by=owner, account_manager=None, customer_status="cancelled")
    unowned = CustomerFactory(unit=unit, created_by=owner, account_manager=None)
    assert set(pool.pool(owner)) == {unowned}
    assert cancelled not in set(pool.pool(make_user(r.SALES_MANAGER, units=[unit])))
    with on(start + timedelta(days=53)):
        assert pool.sweep(start + timedelta(days=53))["warned"] == 1
    with on(start + timedelta(days=60)):
        assert pool.sweep(start + timedelta(days=60))["returned"] == 1
    suspended.refresh_from_db()
    assert suspended.account_manager is None
    assert set(Customer.objects.active()) == {suspended, unowned}


def test_revisit_done_is_the_same_on_the_page_in_the_inbox_and_in_the_scan(make_user, unit):
    """The account manager of the visit day visited this quarter: done for the new owner too, everywhere."""
    first, heir = make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=first, tier="C", registered_on=date(2025, 1, 1))
    services.log_visit(actor=first, customer=c, channel="visit", content="回访", visited_on=date(2026, 1, 10),
                       participants=[make_user(r.SALES_MANAGER, units=[unit])])
    with acting_as(first):
        Customer.objects.filter(pk=c.pk).update(account_manager=heir)  # handed over after the visit
    c.refresh_from_db()
    on = date(2026, 2, 10)
    assert {x.rule.who: x.status for x in services.revisit_status(c, on)} == {"owner": "done"}
    assert not [i for i in selectors.inbox(heir, on) if i.kind == "revisit"]
    scans.revisit_scan(on)
    assert not FollowUpTask.objects.filter(kind="revisit_owner", customer=c).exists()


# --- acceptance 4: every owner change path writes the same history and timeline event -----------------

def _handover(ctx):
    manager = ctx["make_user"](r.SALES_MANAGER, units=[ctx["unit"]])
    customer_services.handover_customers(actor=manager, from_user=ctx["old"], to_users=[ctx["new"]],
                                         customer_ids=[ctx["customer"].pk], reason="离职")
    return manager


def _claim(ctx):
    Customer.objects.filter(pk=ctx["customer"].pk).update(account_manager=None)
    CustomerChange.objects.all().delete()
    ctx["old"] = None
    pool.claim(actor=ctx["new"], customer_id=ctx["customer"].pk)
    return ctx["new"]


def _return(ctx):
    start = date(2026, 1, 5)
    Customer.objects.filter(pk=ctx["customer"].pk).update(tier="D", registered_on=start)
    CustomerChange.objects.all().delete()
    ctx["new"] = None
    for day in (start + timedelta(days=53), start + timedelta(days=60)):
        with on(day):
            pool.sweep(day)
    return None


def _import(ctx):
    importer = ctx["make_user"](r.SALES_MANAGER, units=[ctx["unit"]], username="importer")
    path = sheets.plain_xlsx(ctx["tmp_path"] / "owners.xlsx",
                             [["客户代码", "客户名称", "客户经理"], [ctx["customer"].customer_code, None, "heir"]])
    job = sheets.preview(importer, path, ctx["unit"])
    import_services.start_commit(actor=importer, job_id=job.pk)
    return importer


@pytest.mark.parametrize("path, change", [
    ("handover", _handover), ("pool_claim", _claim), ("pool_return", _return), ("import", _import),
])
def test_every_owner_change_leaves_the_same_history_and_timeline_event(path, change, make_user, unit, tmp_path):
    old = make_user(r.SALES_REP, units=[unit], username="old")
    new = make_user(r.SALES_REP, units=[unit], username="heir")
    customer = CustomerFactory(unit=unit, created_by=old, customer_code="SH01-000077")
    ctx = {"old": old, "new": new, "customer": customer, "unit": unit, "make_user": make_user, "tmp_path": tmp_path}
    actor = change(ctx)
    old_id, new_id = (ctx["old"].pk if ctx["old"] else None), (ctx["new"].pk if ctx["new"] else None)

    customer.refresh_from_db()
    assert customer.account_manager_id == new_id
    history = list(CustomerChange.objects.filter(customer=customer, field="account_manager")
                   .values_list("old_value", "new_value", "actor_id"))
    assert history == [(str(old_id or ""), str(new_id or ""), getattr(actor, "pk", None))]
    events = list(CustomerEvent.objects.filter(customer=customer, kind=CustomerEvent.Kind.OWNER_CHANGED)
                  .values_list("data", "actor_id"))
    assert events == [({"old": old_id, "new": new_id, "via": path}, getattr(actor, "pk", None))]
    page = Client()
    page.force_login(make_user(r.MARKETING_HEAD))
    assert "客户经理变更" in page.get(reverse("customers:detail", args=[customer.pk])).content.decode()


@pytest.mark.parametrize("last, on, state", [
    (date(2025, 11, 29), date(2026, 2, 27), ""),
    (date(2025, 11, 29), date(2026, 2, 28), "due"),  # 29 and 30 November both fall due on 28 February
    (date(2025, 11, 30), date(2026, 2, 28), "due"),
    (date(2025, 11, 30), date(2026, 3, 1), "overdue"),
    (date(2025, 12, 1), date(2026, 3, 1), "due"),
])
def test_month_ends_agree_between_the_due_day_the_inbox_and_the_scan(owner, unit, last, on, state):
    c = CustomerFactory(unit=unit, created_by=owner, last_verified_on=last)
    items = [i for i in selectors.inbox(owner, on) if i.kind == "verification"]
    scans.verification_scan(on)
    tasked = FollowUpTask.objects.filter(kind="verification", customer=c).exists()
    assert (customer_services.next_verification_due(c) <= on) == tasked == bool(items) == (state != "")
    assert [i.overdue for i in items] == ([state == "overdue"] if items else [])
