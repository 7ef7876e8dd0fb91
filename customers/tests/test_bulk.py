"""customers.bulk: bulk actions from the customer list, each customer through its own service; large ones
on the worker with progress; the customers it could not change, with the reason."""
import pytest
from django.http import QueryDict
from django.utils import translation

from crm import roles as r
from crm.models import JobRun
from crm.tests.factories import OrgUnitFactory
from customers import bulk, selectors
from customers.models import BulkAction, Customer, CustomerChange, CustomerEvent
from customers.services import CustomerError
from customers.tests.factories import CustomerFactory
from imports import services as imports
from imports.tests import sheets
from imports.tests.fixtures import admin, media  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
R = Customer.Registration


@pytest.fixture
def manager(make_user, unit):
    return make_user(r.SALES_MANAGER, units=[unit], username="manager")


@pytest.fixture
def rep(make_user, unit):
    return make_user(r.SALES_REP, units=[unit], username="rep")


def query(**params) -> QueryDict:
    q = QueryDict(mutable=True)
    q.update(params)
    return q


def imported_drafts(tmp_path, admin, unit, complete: int, incomplete: int):
    """Imports `complete` rows with every required field and `incomplete` rows lacking address and region."""
    header = ["客户名称", "客户性质", "联系人", "手机", "经营地址", "行政区域", "客户等级"]
    rows = [header]
    for i in range(complete):
        rows.append([f"完整客户{i}", "企业", f"联系人{i}", f"1380000{i:04d}", f"南京东路{i}号", "310101", "C"])
    for i in range(incomplete):
        rows.append([f"缺项客户{i}", "企业", f"联系人{i}", f"1390000{i:04d}", None, None, "D"])
    job = sheets.preview(admin, sheets.plain_xlsx(tmp_path / "drafts.xlsx", rows), unit)
    job = imports.start_commit(actor=admin, job_id=job.pk)
    assert job.counts["written"]["created"] == complete + incomplete
    return Customer.objects.filter(import_job=job)


def test_bulk_submit_of_300_imported_drafts_submits_the_complete_ones_and_lists_the_others(
        tmp_path, admin, manager, unit, django_capture_on_commit_callbacks):
    drafts = imported_drafts(tmp_path, admin, unit, complete=240, incomplete=60)
    with translation.override("zh-hans"), django_capture_on_commit_callbacks() as callbacks:
        action = bulk.start_bulk_action(actor=manager, action="submit", params=query(state="draft"))
    # over the threshold: queued for the worker, which the test plays by calling the task
    assert action.status == BulkAction.Status.QUEUED and action.total == 300 and len(callbacks) == 1
    from customers.tasks import run_bulk_action_task

    assert run_bulk_action_task(action.pk) == {"bulk": action.pk, "status": "done"}
    action.refresh_from_db()
    assert (action.done, action.changed, len(action.failures)) == (300, 240, 60)
    assert drafts.filter(registration_status=R.SUBMITTED).count() == 240
    missing = drafts.filter(registration_status=R.DRAFT)
    assert {pk for pk, _name, _reason in action.failures} == set(missing.values_list("pk", flat=True))
    _pk, name, reason = action.failures[0]
    assert name.startswith("缺项客户") and "经营地址" in reason and "行政区域" in reason
    # the same workflow as one customer: a timeline event each, by the manager
    assert CustomerEvent.objects.filter(kind="submitted", actor=manager).count() == 240
    assert JobRun.objects.get(pk=action.run_id).rows_scanned == 300


def test_a_small_bulk_action_runs_at_once(manager, unit):
    customers = CustomerFactory.create_batch(3, unit=unit, registration_status=R.DRAFT, customer_code=None)
    action = bulk.start_bulk_action(actor=manager, action="set_field", params=query(state="draft"),
                                    field="customer_source", value="event")
    assert action.status == BulkAction.Status.DONE and action.changed == 3 and action.failures == []
    assert {c.customer_source for c in Customer.objects.filter(pk__in=[c.pk for c in customers])} == {"event"}
    change = CustomerChange.objects.filter(customer=customers[0], field="customer_source").get()
    assert (change.old_value, change.new_value, change.actor) == ("walk_in", "event", manager)  # in the history


def test_a_rep_cannot_bulk_act_on_customers_it_may_not_edit(rep, make_user, unit):
    mine = CustomerFactory(unit=unit, created_by=rep, registration_status=R.DRAFT, customer_code=None)
    pool = CustomerFactory(unit=unit, account_manager=None, registration_status=R.DRAFT, customer_code=None)  # visible
    other_rep = make_user(r.SALES_REP, units=[unit])
    theirs = CustomerFactory(unit=unit, created_by=other_rep, registration_status=R.DRAFT, customer_code=None)
    with translation.override("en"):
        action = bulk.start_bulk_action(actor=rep, action="set_field", params=query(state="all"),
                                        field="customer_nature", value="company")
    assert action.customer_ids == sorted([mine.pk, pool.pk])  # what the rep sees, nothing more
    assert action.changed == 1
    assert action.failures == [[pool.pk, pool.name, "You may not edit this customer."]]
    values = dict(Customer.objects.values_list("pk", "customer_nature"))
    assert (values[mine.pk], values[pool.pk], values[theirs.pk]) == ("company", "individual", "individual")
    # chosen ids the rep cannot see are not reached either
    action = bulk.start_bulk_action(actor=rep, action="submit", params=query(state="all"), ids=[theirs.pk, mine.pk])
    assert action.customer_ids == [mine.pk]
    with pytest.raises(CustomerError):
        bulk.start_bulk_action(actor=rep, action="approve", params=query(state="all"))
    with pytest.raises(CustomerError):
        bulk.start_bulk_action(actor=rep, action="submit", params=query(state="all"), ids=[theirs.pk])


def test_the_filtered_set_is_exactly_what_the_user_sees_under_the_filters(make_user, unit):
    other_unit = OrgUnitFactory(code="BJ01")
    supervisor = make_user(r.SALES_SUPERVISOR, units=[unit])
    in_unit_c = CustomerFactory(unit=unit, tier="C")
    CustomerFactory(unit=unit, tier="D")  # another tier
    CustomerFactory(unit=unit, tier="C", confidentiality_level="secret")  # secret: not seen
    CustomerFactory(unit=other_unit, tier="C")  # another unit: not seen
    CustomerFactory(unit=unit, tier="C", registration_status=R.DRAFT, customer_code=None)  # not approved
    scope = selectors.bulk_scope(supervisor, query(tier="C"))
    expected = selectors.visible_customers(supervisor).filter(tier="C", registration_status=R.APPROVED)
    assert set(scope) == set(expected) == {in_unit_c}
    assert set(selectors.bulk_scope(supervisor, query(tier="C", state="all"))) == set(
        selectors.visible_customers(supervisor).filter(tier="C"))


def test_approve_is_for_approvers_and_each_customer_goes_through_the_approval(manager, unit, make_user):
    submitted = CustomerFactory.create_batch(2, unit=unit, registration_status=R.SUBMITTED, customer_code=None)
    secret = CustomerFactory(unit=unit, registration_status=R.SUBMITTED, customer_code=None, tier="A",
                             confidentiality_level="secret")
    action = bulk.start_bulk_action(actor=manager, action="approve", params=query(state="submitted"))
    assert action.changed == 2 and secret.pk not in action.customer_ids  # a sales manager does not see secret ones
    assert all(c.customer_code for c in Customer.objects.filter(pk__in=[c.pk for c in submitted]))
    head = make_user(r.MARKETING_HEAD, units=[unit])
    action = bulk.start_bulk_action(actor=head, action="approve", params=query(state="submitted"))
    assert action.customer_ids == [secret.pk] and action.changed == 1


def test_assign_owner_follows_the_handover_rules(manager, rep, unit, make_user):
    pool = CustomerFactory.create_batch(2, unit=unit, account_manager=None, registration_status=R.DRAFT, customer_code=None)
    action = bulk.start_bulk_action(actor=manager, action="assign_owner", params=query(state="draft"), owner=rep)
    assert action.changed == 2
    assert set(Customer.objects.filter(pk__in=[c.pk for c in pool]).values_list("account_manager", flat=True)) == {rep.pk}
    assert CustomerEvent.objects.filter(kind="owner_changed", customer=pool[0]).get().data["via"] == "assign"
    elsewhere = make_user(r.SALES_REP, units=[OrgUnitFactory(code="GZ01")])
    with translation.override("en"):
        action = bulk.start_bulk_action(actor=manager, action="assign_owner", params=query(state="draft"), owner=elsewhere)
    assert action.changed == 0 and "does not work in these customers' unit" in action.failures[0][2]


def test_a_tier_change_keeps_the_rules(manager, rep, unit):
    approved = CustomerFactory(unit=unit, created_by=rep, tier="C")
    draft = CustomerFactory(unit=unit, created_by=rep, tier="D", registration_status=R.DRAFT, customer_code=None)
    with translation.override("en"):
        action = bulk.start_bulk_action(actor=rep, action="set_field", params=query(state="all"), field="tier",
                                        value="B", comment="大客户")
    # a rep sets a draft's tier as on the form, but an approved customer's tier is the managers' decision
    assert action.changed == 1 and action.failures == [[approved.pk, approved.name, "You cannot change the tier of this customer."]]
    draft.refresh_from_db()
    assert (draft.tier, draft.confidentiality_level) == ("B", "confidential")
    action = bulk.start_bulk_action(actor=manager, action="set_field", params=query(), field="tier", value="B",
                                    comment="大客户")
    approved.refresh_from_db()
    assert approved.tier == "B" and CustomerEvent.objects.filter(customer=approved, kind="tier_changed").exists()


def test_a_redelivered_task_resumes_after_the_last_committed_batch_and_a_finished_one_does_nothing(manager, unit):
    customers = CustomerFactory.create_batch(4, unit=unit, customer_source="walk_in")
    ids = sorted(c.pk for c in customers)
    action = BulkAction.objects.create(actor=manager, action="set_field", customer_ids=ids, total=4, done=2,
                                       position=ids[1], params={"field": "customer_source", "value": "event"},
                                       status=BulkAction.Status.RUNNING)
    action = bulk.run_bulk_action(action.pk)
    assert (action.status, action.done, action.changed) == ("done", 4, 2)
    assert dict(Customer.objects.values_list("pk", "customer_source")) == {
        ids[0]: "walk_in", ids[1]: "walk_in", ids[2]: "event", ids[3]: "event"}
    runs = JobRun.objects.count()
    assert bulk.run_bulk_action(action.pk).changed == 2 and JobRun.objects.count() == runs


def test_nothing_selected_and_unknown_fields_are_refused(manager, unit):
    with pytest.raises(CustomerError, match="customer|客户"):
        bulk.start_bulk_action(actor=manager, action="submit", params=query(q="没有这个客户"))
    with pytest.raises(CustomerError):
        bulk.start_bulk_action(actor=manager, action="set_field", params=query(), field="mobile", value="13800000000")


def test_the_actions_offered_follow_the_roles(make_user, unit):
    from customers.permissions import bulk_actions

    assert bulk_actions(make_user(r.SALES_REP, units=[unit])) == ["set_field", "submit"]
    assert bulk_actions(make_user(r.SALES_MANAGER, units=[unit])) == ["set_field", "submit", "assign_owner", "approve"]
    assert bulk_actions(make_user(r.MARKETING_HEAD, units=[unit])) == ["set_field", "assign_owner", "approve"]
    assert bulk_actions(make_user(r.PLANNER, units=[unit])) == []
