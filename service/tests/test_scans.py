import threading
from datetime import date, timedelta

import pytest
from django.db import close_old_connections, connection

from crm import roles as r
from crm.models import JobRun
from crm.tests.factories import OrgUnitFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from service import scans
from service.models import FollowUpTask, Visit

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture
def owner(make_user, unit):
    return make_user(r.SALES_REP, units=[unit])


def test_verified_on_1_march_is_due_on_1_june_not_before(owner, unit):
    c = CustomerFactory(unit=unit, created_by=owner, last_verified_on=date(2026, 3, 1))
    scans.verification_scan(date(2026, 5, 31))
    assert not FollowUpTask.objects.filter(kind="verification").exists()
    run = scans.verification_scan(TODAY)
    task = FollowUpTask.objects.get(kind="verification")
    assert (task.customer, task.assignee, task.period) == (c, owner, "2026Q2")
    assert (run.rows_scanned, run.tasks_created, run.status) == (1, 1, "ok")


@pytest.mark.parametrize("job", ["verification_scan", "revisit_scan", "licence_scan"])
def test_each_job_run_twice_creates_the_same_rows(owner, unit, job):
    for i in range(5):
        CustomerFactory(unit=unit, created_by=owner, tier="ABCDE"[i], last_verified_on=date(2025, 1, 1),
                        licence_valid_until=TODAY + timedelta(days=10 * i), annual_review_on=TODAY + timedelta(days=3))
    first = getattr(scans, job)(TODAY)
    rows = sorted(FollowUpTask.objects.values_list("customer_id", "kind", "period"))
    second = getattr(scans, job)(TODAY)
    assert rows and sorted(FollowUpTask.objects.values_list("customer_id", "kind", "period")) == rows
    assert first.tasks_created == len(rows) and second.tasks_created == 0
    assert JobRun.objects.filter(job=job, status="ok").count() == 2


def test_licence_expiring_in_30_days_is_reminded_once(owner, unit):
    c = CustomerFactory(unit=unit, created_by=owner, licence_valid_until=TODAY + timedelta(days=30))
    later = CustomerFactory(unit=unit, created_by=owner, licence_valid_until=TODAY + timedelta(days=31))
    scans.licence_scan(TODAY)
    scans.licence_scan(TODAY)
    assert list(FollowUpTask.objects.values_list("customer_id", "kind")) == [(c.pk, "licence_expiry")]
    for day in range(1, 6):  # the daily job keeps running: each licence is reminded exactly once
        scans.licence_scan(TODAY + timedelta(days=day))
    assert sorted(FollowUpTask.objects.values_list("customer_id", flat=True)) == sorted([c.pk, later.pk])


def test_revisit_scan_follows_the_policy(owner, unit):
    b = CustomerFactory(unit=unit, created_by=owner, tier="B")
    c = CustomerFactory(unit=unit, created_by=owner, tier="C")
    visit = Visit.objects.create(customer=c, channel="phone", content="x", created_by=owner, visited_on=TODAY)
    visit.participants.set([owner])
    scans.revisit_scan(TODAY)
    tasks = set(FollowUpTask.objects.values_list("customer_id", "kind"))
    assert tasks == {(b.pk, "revisit_owner"), (b.pk, "revisit_sales_manager")}


def test_small_batches_cover_every_row(owner, unit, monkeypatch):
    customers = [CustomerFactory(unit=unit, created_by=owner, last_verified_on=None) for _ in range(7)]
    from crm import jobs

    monkeypatch.setattr(jobs, "BATCH", 2)
    monkeypatch.setattr(scans, "run_in_batches", lambda job, qs, step: jobs.run_in_batches(job, qs, step, batch=2))
    result = scans.verification_scan(TODAY)
    assert result.batches >= 4 and result.tasks_created == len(customers) == FollowUpTask.objects.count()


def test_a_failing_batch_is_retried_then_reported(owner, unit):
    from crm import jobs

    CustomerFactory(unit=unit, created_by=owner)
    calls = []

    def broken(batch):
        calls.append(1)
        raise RuntimeError("disk full")

    run = jobs.run_in_batches("broken", Customer.objects.all(), broken)
    assert len(calls) == jobs.RETRIES + 1 and run.status == "failed" and "disk full" in run.errors


def _twice_at_once(job):
    barrier, errors = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait()
            job()
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


@pytest.mark.skipif(connection.vendor == "sqlite", reason="two workers at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("job", ["verification_scan", "revisit_scan", "licence_scan", "static_review_scan"])
def test_two_workers_at_once_create_nothing_twice(make_user, job):
    from service.models import RevisitRule

    RevisitRule.objects.get_or_create(tier="", who="owner", defaults={"every_months": 3})
    unit = OrgUnitFactory(code="JOB")
    rep = make_user(r.SALES_REP, units=[unit])
    for _ in range(30):
        CustomerFactory(unit=unit, created_by=rep, last_verified_on=None, static_reviewed_on=None,
                        licence_valid_until=TODAY + timedelta(days=5))
    _twice_at_once(lambda: getattr(scans, job)(TODAY))
    assert FollowUpTask.objects.count() == 30
    assert sum(JobRun.objects.values_list("tasks_created", flat=True)) == 30


@pytest.mark.skipif(connection.vendor == "sqlite", reason="two workers at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_pool_sweeps_and_two_monthly_reports_at_once(make_user):
    from confidentiality.archive import send_outstanding_report
    from crm.models import Notification
    from service import pool
    from service.models import PoolEvent, PoolRule

    PoolRule.objects.get_or_create(tier="E", defaults={"no_followup_days": 30, "warn_days_before": 7})
    unit = OrgUnitFactory(code="POOL")
    rep = make_user(r.SALES_REP, units=[unit])
    make_user(r.GENERAL_MANAGER)
    for _ in range(10):
        CustomerFactory(unit=unit, created_by=rep, tier="E", registered_on=TODAY - timedelta(days=25))
    _twice_at_once(lambda: pool.sweep(TODAY))
    assert PoolEvent.objects.filter(kind="warned").count() == 10
    _twice_at_once(lambda: send_outstanding_report(TODAY))
    assert Notification.objects.filter(subject__contains="2026-06-01").count() == 1


def test_celery_tasks_call_the_scans_and_beat_schedules_them(owner, unit, settings):
    from service import tasks

    CustomerFactory(unit=unit, created_by=owner, last_verified_on=None)
    assert tasks.verification_scan.apply().get() == 1
    assert tasks.verification_scan.apply().get() == 0
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"service.tasks.verification_scan", "service.tasks.revisit_scan", "service.tasks.licence_scan",
            "service.tasks.escalate_complaints", "service.tasks.public_pool_sweep",
            "service.tasks.birthday_greetings"} <= scheduled
    assert tasks.public_pool_sweep.apply().get() == 0 and tasks.escalate_complaints.apply().get() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the seeding SQL is for PostgreSQL")
def test_scan_benchmark_runs_twice_and_creates_nothing_the_second_time():
    from service.bench import bench_scans

    rows = {name: figure for name, figure, _ in bench_scans(n=300)}
    assert rows["verification scan, second run, same day: tasks created / rows scanned"].startswith("0 /")
    assert rows["revisit scan, second run, same day: tasks created / rows scanned"].startswith("0 /")


def test_licence_reminders_land_in_the_owners_inbox(owner, unit):
    from service.selectors import inbox

    CustomerFactory(unit=unit, created_by=owner, name="许可证户", licence_valid_until=date.today() + timedelta(days=20))
    scans.licence_scan()
    assert any(item.kind == "task" and "许可证户" in item.title for item in inbox(owner))


def test_static_review_twice_creates_one_task(owner, unit):
    CustomerFactory(unit=unit, created_by=owner, static_reviewed_on=date(2025, 11, 1))
    CustomerFactory(unit=unit, created_by=owner, static_reviewed_on=date(2026, 3, 1))
    assert scans.static_review_scan(TODAY).tasks_created == 1
    assert scans.static_review_scan(TODAY).tasks_created == 0


def test_tier_review_runs_on_the_first_working_day_of_the_quarter(owner, unit, make_user):
    from decimal import Decimal

    from customers import services as customer_services

    assert scans.is_first_working_day_of_quarter(date(2026, 1, 4))  # Sunday, an adjusted working day
    assert not scans.is_first_working_day_of_quarter(date(2026, 1, 5))
    assert scans.is_first_working_day_of_quarter(date(2026, 4, 1))
    big = CustomerFactory(unit=unit, created_by=owner, tier="C", cumulative_amount=Decimal("60000000"))
    CustomerFactory(unit=unit, created_by=owner, tier="A", cumulative_amount=Decimal("100"))
    assert scans.tier_review_scan(date(2026, 4, 2)) is None
    assert scans.tier_review_scan(date(2026, 4, 1)).tasks_created == 1
    assert scans.tier_review_scan(date(2026, 4, 1)).tasks_created == 0
    manager = make_user(r.SALES_MANAGER, units=[unit])
    from service.selectors import inbox

    assert any(item.kind == "task" and big.name in item.title for item in inbox(manager))
    customer_services.change_tier(actor=manager, customer_id=big.pk, tier="A", reason="累计采购超过5000万")
    assert FollowUpTask.objects.get(kind="tier_review").done_at is not None


def test_new_account_scan_is_idempotent(owner, unit):
    from django.utils import timezone

    from customers.models import CustomerEvent

    c = CustomerFactory(unit=unit, created_by=owner, profile_type="retail", created_at=timezone.now() - timedelta(days=20))
    CustomerEvent.objects.create(customer=c, kind="approved", at=timezone.now())
    first = scans.new_account_scan()
    assert first.tasks_created >= 1 and scans.new_account_scan().tasks_created == 0


def test_monthly_lending_report_goes_to_the_gm_once(make_user, settings, django_capture_on_commit_callbacks):
    from django.core import mail

    from confidentiality.archive import send_outstanding_report
    from crm.models import Notification

    settings.CRM_EMAIL_NOTIFICATIONS = True
    gm = make_user(r.GENERAL_MANAGER, email="gm@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_outstanding_report(date(2026, 12, 5)) == 1
        assert send_outstanding_report(date(2026, 12, 5)) == 0
    assert Notification.objects.filter(recipient=gm).count() == 1 and mail.outbox[0].to == ["gm@example.com"]


@pytest.mark.skipif(connection.vendor == "sqlite", reason="two workers at once need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_other_jobs_twice_at_once_create_nothing_twice(make_user):
    from decimal import Decimal

    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from crm.models import AuditEntry, Notification
    from customers.models import CustomerUserObjectPermission
    from confidentiality.models import AccessGrant, DataRequest
    from confidentiality.services import revoke_expired_grants
    from customers.models import CustomerEvent
    from service.care import send_birthday_greetings
    from service.models import CareMessage, CareTemplate, Complaint
    from service.services import escalate_late_complaints, register_complaint

    unit = OrgUnitFactory(code="TWICE")
    rep = make_user(r.SALES_REP, units=[unit])
    make_user(r.CS_MANAGER)
    today = timezone.localdate()
    CareTemplate.objects.get_or_create(kind="birthday", name="生日", defaults={"body": "{name}生日快乐"})
    customers = [
        CustomerFactory(unit=unit, created_by=rep, tier="D", cumulative_amount=Decimal("9000000"), profile_type="retail",
                        birth_date=today.replace(year=1990), mobile=f"1370000{i:04d}",
                        created_at=timezone.now() - timezone.timedelta(days=20))
        for i in range(8)
    ]
    for c in customers:
        CustomerEvent.objects.create(customer=c, kind="approved", at=timezone.now() - timezone.timedelta(days=20))
        register_complaint(actor=rep, customer=c, category="other", description="x",
                           received_at=timezone.now() - timezone.timedelta(days=10))
    request = DataRequest.objects.create(requester=rep, purpose="x", scope="unit", data_unit=unit)
    grant = AccessGrant.objects.create(request=request, user=rep, form="view", granted_by=rep,
                                       expires_at=timezone.now() - timezone.timedelta(hours=1))
    CustomerUserObjectPermission.objects.bulk_create(
        CustomerUserObjectPermission(user=rep, content_object=c, grant_id=grant.pk, fields=grant.fields, expires_at=grant.expires_at,
                                     permission=Permission.objects.get(codename="view_customer"))
        for c in customers
    )

    _twice_at_once(lambda: scans.tier_review_scan(today, force=True))
    assert FollowUpTask.objects.filter(kind="tier_review").count() == 8
    _twice_at_once(lambda: scans.new_account_scan(today))
    assert FollowUpTask.objects.filter(kind="new_account").values("customer_id").distinct().count() == 8
    new_account = FollowUpTask.objects.filter(kind="new_account").count()
    scans.new_account_scan(today)
    assert FollowUpTask.objects.filter(kind="new_account").count() == new_account
    _twice_at_once(escalate_late_complaints)
    assert Complaint.objects.filter(escalated_at__isnull=False).count() == 8
    assert Notification.objects.filter(subject__contains="KS-").count() == 8
    _twice_at_once(send_birthday_greetings)
    assert CareMessage.objects.count() == 8
    _twice_at_once(revoke_expired_grants)
    assert not CustomerUserObjectPermission.objects.exists()
    assert AuditEntry.objects.filter(action="revoke").count() == 1


def test_a_tier_decision_settles_the_open_tier_review(make_user, unit):
    """customers announces the change (customers.signals.tier_changed); service closes its own task."""
    from customers import services as customer_services

    manager = make_user(r.SALES_MANAGER, units=[unit])
    customer = CustomerFactory(unit=unit, tier="C")
    task = FollowUpTask.objects.create(customer=customer, kind=FollowUpTask.Kind.TIER_REVIEW, period="2026Q2",
                                       due_on=TODAY)
    customer_services.change_tier(actor=manager, customer_id=customer.pk, tier="B", reason="采购额上升")
    task.refresh_from_db()
    assert task.done_at is not None


# --- issue 14 item 3: overdue verification and revisit tasks escalate once -----------------------------------

def test_a_verification_one_day_overdue_escalates_once_to_the_owners_sales_manager(
        make_user, unit, settings, django_capture_on_commit_callbacks, mailoutbox):
    from crm.models import Notification
    from service.selectors import inbox

    settings.CRM_EMAIL_NOTIFICATIONS = True
    team = OrgUnitFactory(code="SH01T1", parent=unit)
    sibling = OrgUnitFactory(code="SH02", parent=unit.parent)
    rep = make_user(r.SALES_REP, units=[team])
    manager = make_user(r.SALES_MANAGER, units=[unit], email="manager@example.com")
    elsewhere = make_user(r.SALES_MANAGER, units=[sibling])
    c = CustomerFactory(unit=team, created_by=rep, name="逾期核实户", last_verified_on=date(2026, 3, 1))
    scans.verification_scan(TODAY)  # due 1 June
    assert scans.escalate_overdue_tasks(TODAY).tasks_created == 0  # due today is not overdue
    with django_capture_on_commit_callbacks(execute=True):
        run = scans.escalate_overdue_tasks(TODAY + timedelta(days=1))
    assert run.tasks_created == 1
    for day in (1, 2, 9):  # the daily job keeps running: once and only once
        assert scans.escalate_overdue_tasks(TODAY + timedelta(days=day)).tasks_created == 0
    note = Notification.objects.get()
    assert note.recipient == manager and "逾期核实户" in note.subject and "1" in note.subject
    assert [m.to for m in mailoutbox] == [["manager@example.com"]]
    items = [i for i in inbox(manager, TODAY + timedelta(days=3)) if i.kind == "escalation"]
    assert len(items) == 1 and "逾期核实户" in items[0].title and "3" in items[0].title and items[0].overdue
    assert not [i for i in inbox(elsewhere, TODAY + timedelta(days=3)) if i.kind == "escalation"]
    assert not [i for i in inbox(rep, TODAY + timedelta(days=3)) if i.kind == "escalation"]
    c.last_verified_on = TODAY + timedelta(days=4)  # verified: the escalation leaves the inbox
    c.save(update_fields=["last_verified_on"])
    assert not [i for i in inbox(manager, TODAY + timedelta(days=5)) if i.kind == "escalation"]


def test_a_verified_customer_and_a_done_revisit_do_not_escalate(make_user, unit):
    from crm.models import Notification
    from service.models import RevisitRule

    rep = make_user(r.SALES_REP, units=[unit])
    make_user(r.SALES_MANAGER, units=[unit])
    RevisitRule.objects.update_or_create(tier="", who="owner", defaults={"every_months": 3})
    visited = CustomerFactory(unit=unit, created_by=rep, name="已回访", last_verified_on=date(2026, 3, 1))
    missed = CustomerFactory(unit=unit, created_by=rep, name="未回访", last_verified_on=date(2026, 5, 1))
    scans.revisit_scan(date(2026, 5, 10))  # the second quarter's revisit tasks, due 30 June
    scans.verification_scan(TODAY)
    visit = Visit.objects.create(customer=visited, visited_on=date(2026, 6, 20), channel="phone", content="回访",
                                 created_by=rep)
    visit.participants.set([rep])
    visited.last_verified_on = date(2026, 6, 2)
    visited.save(update_fields=["last_verified_on"])
    assert scans.escalate_overdue_tasks(date(2026, 6, 30)).tasks_created == 0  # the revisit is due, not overdue
    assert scans.escalate_overdue_tasks(date(2026, 7, 1)).tasks_created == 1
    assert list(Notification.objects.values_list("subject", flat=True)) == [
        Notification.objects.get().subject] and "未回访" in Notification.objects.get().subject
    assert FollowUpTask.objects.get(customer=missed, kind="revisit_owner").escalated_at is not None


def test_a_secret_customers_escalation_goes_to_the_marketing_head(make_user, unit):
    from crm.models import Notification

    rep = make_user(r.SALES_REP, units=[unit])
    manager = make_user(r.SALES_MANAGER, units=[unit])
    head = make_user(r.MARKETING_HEAD, units=[unit])
    CustomerFactory(unit=unit, created_by=rep, tier="A", last_verified_on=date(2026, 3, 1))
    scans.verification_scan(TODAY)
    plain = CustomerFactory(unit=unit, created_by=rep, tier="C", last_verified_on=date(2026, 3, 1))
    scans.verification_scan(TODAY)
    scans.escalate_overdue_tasks(TODAY + timedelta(days=1))
    assert sorted(Notification.objects.values_list("recipient", flat=True)) == sorted([head.pk, manager.pk])
    from service.selectors import inbox

    mine = [i.title for i in inbox(head, TODAY + timedelta(days=1)) if i.kind == "escalation"]
    assert len(mine) == 1 and plain.name not in mine[0]  # the sales manager's escalations are not hers
    assert [i.title for i in inbox(manager, TODAY + timedelta(days=1)) if i.kind == "escalation"] == [
        next(i.title for i in inbox(manager, TODAY + timedelta(days=1)) if plain.name in i.title)]


def test_the_escalation_job_is_scheduled_and_thin(settings):
    from service import tasks

    assert tasks.escalate_overdue_tasks.apply().get() == 0
    assert "service.tasks.escalate_overdue_tasks" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


# --- issue 14 item 5: new-account deadlines from creation, by working day -----------------------------------

def test_a_retail_account_created_on_the_friday_before_spring_festival_gets_its_deadlines_by_working_day(
        make_user, unit):
    """Created Fri 13 Feb 2026; Sat 14 Feb is an adjusted working day, 15–23 Feb the holiday, Sat 28 Feb works."""
    import datetime as dt

    from django.utils import timezone

    from service.selectors import inbox, new_account_deadlines

    rep = make_user(r.SALES_REP, units=[unit])
    created = timezone.make_aware(dt.datetime(2026, 2, 13, 16, 30))
    c = CustomerFactory(unit=unit, created_by=rep, profile_type="retail", name="春节前新户", created_at=created,
                        registration_status=Customer.Registration.SUBMITTED, customer_code=None, customer_status="")
    due = {days: deadline for days, deadline, _missing in new_account_deadlines(c)}
    assert due == {2: date(2026, 2, 24), 3: date(2026, 2, 25), 10: date(2026, 3, 5), 15: date(2026, 3, 12),
                   20: date(2026, 3, 19)}
    remaining = dict((days, missing) for days, _d, missing in new_account_deadlines(c))[15]
    assert "licence_valid_until" in remaining and "display_form" not in remaining  # every other field, once
    assert scans.new_account_scan(date(2026, 2, 24)).tasks_created == 0  # due today: not yet overdue
    assert scans.new_account_scan(date(2026, 2, 25)).tasks_created == 1  # not waiting for an approval
    task = FollowUpTask.objects.get(kind="new_account")
    assert (task.period, task.due_on, task.assignee) == ("day2", date(2026, 2, 24), rep)
    scans.new_account_scan(date(2026, 3, 13))
    assert set(FollowUpTask.objects.filter(kind="new_account").values_list("period", flat=True)) == {
        "day2", "day3", "day10", "day15"}
    item = next(i for i in inbox(rep, date(2026, 2, 25)) if i.kind == "new_account")
    assert item.due == date(2026, 2, 24) and item.overdue and "春节前新户" in item.title


def test_the_supervisor_confirms_the_allocation_quantities_before_the_first_order(make_user, unit):
    import datetime as dt

    from django.utils import timezone

    from service import services
    from service.selectors import inbox

    team = OrgUnitFactory(code="SH01T1", parent=unit)
    rep = make_user(r.SALES_REP, units=[team])
    chief = make_user(r.SALES_SUPERVISOR, units=[unit])
    other_chief = make_user(r.SALES_SUPERVISOR, units=[OrgUnitFactory(code="BJ01")])
    created = timezone.make_aware(dt.datetime(2026, 6, 1, 9, 0))
    c = CustomerFactory(unit=team, created_by=rep, profile_type="retail", name="定量待审户", created_at=created)
    assert scans.new_account_scan(date(2026, 6, 2)).tasks_created == 0  # quantities not in yet
    Customer.objects.filter(pk=c.pk).update(market_type="urban", retail_format="grocery", business_scale="small")
    scans.new_account_scan(date(2026, 6, 3))
    scans.new_account_scan(date(2026, 6, 3))
    task = FollowUpTask.objects.get(kind="allocation_confirmation")
    assert task.assignee == chief and task.due_on == date(2026, 6, 5)
    assert any("定量待审户" in i.title for i in inbox(chief, date(2026, 6, 3)) if i.kind == "task")
    assert not any("定量待审户" in i.title for i in inbox(other_chief, date(2026, 6, 3)))
    with pytest.raises(services.ServiceError):
        services.confirm_allocation(actor=other_chief, task_id=task.pk)
    with pytest.raises(services.ServiceError):
        services.confirm_allocation(actor=rep, task_id=task.pk)
    services.confirm_allocation(actor=chief, task_id=task.pk, comment="按周50条")
    task.refresh_from_db()
    assert (task.done_by, task.outcome) == (chief, "按周50条") and task.done_at
    assert not any(i.kind == "task" for i in inbox(chief, date(2026, 6, 3)))
    ordered = CustomerFactory(unit=team, created_by=rep, profile_type="retail", created_at=created,
                              market_type="urban", retail_format="grocery", business_scale="small",
                              first_trade_on=date(2026, 6, 2))
    scans.new_account_scan(date(2026, 6, 3))
    assert not FollowUpTask.objects.filter(customer=ordered, kind="allocation_confirmation").exists()


# --- issue 14 item 4: tasks that can be closed -----------------------------------------------------------------

def test_a_dismissed_tier_proposal_leaves_the_inbox_with_its_reason(make_user, unit):
    from decimal import Decimal

    from service import services
    from service.selectors import inbox

    manager = make_user(r.SALES_MANAGER, units=[unit])
    rep = make_user(r.SALES_REP, units=[unit])
    big = CustomerFactory(unit=unit, tier="C", cumulative_amount=Decimal("9000000"), name="保持等级户")
    scans.tier_review_scan(date(2026, 4, 1))
    assert any("保持等级户" in i.title for i in inbox(manager, date(2026, 4, 1)) if i.kind == "task")
    task = FollowUpTask.objects.get(kind="tier_review")
    with pytest.raises(services.ServiceError):
        services.dismiss_tier_review(actor=manager, task_id=task.pk, reason="  ")
    with pytest.raises(services.ServiceError):
        services.dismiss_tier_review(actor=rep, task_id=task.pk, reason="保持")
    services.dismiss_tier_review(actor=manager, task_id=task.pk, reason="大额采购为一次性项目，保持C级")
    task.refresh_from_db()
    assert task.outcome == "大额采购为一次性项目，保持C级" and task.done_by == manager
    assert not any("保持等级户" in i.title for i in inbox(manager, date(2026, 4, 2)))
    big.refresh_from_db()
    assert big.tier == "C"
    assert scans.tier_review_scan(date(2026, 4, 1)).tasks_created == 0  # not proposed again this quarter
    with pytest.raises(services.ServiceError):
        services.dismiss_tier_review(actor=manager, task_id=task.pk, reason="again")


@pytest.mark.parametrize("field,kind", [("licence_valid_until", "licence_expiry"), ("annual_review_on", "annual_review")])
def test_a_recorded_new_date_closes_its_reminder(make_user, unit, field, kind):
    from crm.errors import DomainError
    from customers.models import CustomerChange
    from service import services
    from service.selectors import inbox

    rep = make_user(r.SALES_REP, units=[unit])
    stranger = make_user(r.SALES_REP, units=[unit])
    c = CustomerFactory(unit=unit, created_by=rep, name="续证户", **{field: TODAY + timedelta(days=20)})
    scans.licence_scan(TODAY)
    task = FollowUpTask.objects.get(kind=kind)
    assert any("续证户" in i.title for i in inbox(rep, TODAY) if i.kind == "task")
    with pytest.raises(DomainError, match="later|晚于"):  # not later than the date on record
        services.complete_renewal(actor=rep, task_id=task.pk, new_date=TODAY + timedelta(days=20))
    with pytest.raises(services.ServiceError):  # someone who cannot see the customer: no such task
        services.complete_renewal(actor=stranger, task_id=task.pk, new_date=date(2029, 6, 1))
    services.complete_renewal(actor=rep, task_id=task.pk, new_date=date(2029, 6, 1))
    c.refresh_from_db()
    task.refresh_from_db()
    assert getattr(c, field) == date(2029, 6, 1) and task.done_at and task.outcome == "2029-06-01"
    assert CustomerChange.objects.filter(customer=c, field=field, new_value="2029-06-01").exists()
    assert not any("续证户" in i.title for i in inbox(rep, TODAY) if i.kind == "task")
    scans.licence_scan(TODAY)
    assert FollowUpTask.objects.filter(kind=kind).count() == 1
