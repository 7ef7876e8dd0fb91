import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from crm import roles as r
from crm.models import StaffProfile
from crm.tests.factories import OrgUnitFactory
from customers import services
from customers.models import Customer, CustomerChange, CustomerEvent, HandoverNotice
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, unit):
    return {
        "rep": make_user(r.SALES_REP, units=[unit]),
        "supervisor": make_user(r.SALES_SUPERVISOR, units=[unit]),
        "manager": make_user(r.SALES_MANAGER, units=[unit]),
        "marketing": make_user(r.MARKETING_HEAD, units=[unit]),
    }


def draft(people, unit, **kwargs):
    customer = CustomerFactory.build(
        unit=unit, created_by=people["rep"], account_manager=people["rep"], customer_code=None,
        registration_status=Customer.Registration.DRAFT, customer_status="", **kwargs,
    )
    return services.register_customer(actor=people["rep"], unit=unit, customer=customer)


def test_full_registration_assigns_a_code_and_records_every_step(people, unit):
    customer = draft(people, unit)
    services.submit_registration(actor=people["rep"], customer_id=customer.pk)
    approved = services.approve_registration(actor=people["manager"], customer_id=customer.pk, comment="ok")
    assert approved.customer_code == "SH01-000001"
    assert approved.customer_status == "active"
    kinds = list(approved.events.order_by("at", "id").values_list("kind", "actor__username"))
    assert kinds == [
        ("created", people["rep"].username), ("submitted", people["rep"].username), ("approved", people["manager"].username)
    ]
    from crm.models import AuditEntry

    assert AuditEntry.objects.get(action="approve").customer_ids == [approved.pk]


def test_codes_are_sequential_per_unit_and_never_reused(people, unit):
    codes = []
    for _ in range(3):
        c = draft(people, unit)
        services.submit_registration(actor=people["rep"], customer_id=c.pk)
        codes.append(services.approve_registration(actor=people["manager"], customer_id=c.pk).customer_code)
    Customer.objects.filter(customer_code=codes[-1]).delete()
    c = draft(people, unit)
    services.submit_registration(actor=people["rep"], customer_id=c.pk)
    assert codes == ["SH01-000001", "SH01-000002", "SH01-000003"]
    assert services.approve_registration(actor=people["manager"], customer_id=c.pk).customer_code == "SH01-000004"


def test_first_review_is_required_when_the_unit_says_so(people, unit):
    unit.requires_first_review = True
    unit.save()
    c = draft(people, unit)
    services.submit_registration(actor=people["rep"], customer_id=c.pk)
    with pytest.raises(services.CustomerError, match="初审"):
        services.approve_registration(actor=people["manager"], customer_id=c.pk)
    services.first_review_registration(actor=people["supervisor"], customer_id=c.pk)
    assert services.approve_registration(actor=people["manager"], customer_id=c.pk).registration_status == "approved"


def test_rejection_needs_a_reason_and_returns_the_draft_to_the_rep(people, unit):
    c = draft(people, unit)
    services.submit_registration(actor=people["rep"], customer_id=c.pk)
    with pytest.raises(services.CustomerError):
        services.reject_registration(actor=people["manager"], customer_id=c.pk, reason="  ")
    rejected = services.reject_registration(actor=people["manager"], customer_id=c.pk, reason="地址不全")
    assert rejected.registration_status == "rejected"
    assert rejected.events.get(kind="rejected").comment == "地址不全"
    services.submit_registration(actor=people["rep"], customer_id=c.pk)


@pytest.mark.parametrize("who", ["rep", "supervisor", "marketing"])
def test_only_managers_approve(people, unit, who):
    c = draft(people, unit)
    services.submit_registration(actor=people["rep"], customer_id=c.pk)
    with pytest.raises(services.CustomerError):
        services.approve_registration(actor=people[who], customer_id=c.pk)


def test_second_approval_says_already_approved(people, unit):
    c = draft(people, unit)
    services.submit_registration(actor=people["rep"], customer_id=c.pk)
    services.approve_registration(actor=people["manager"], customer_id=c.pk)
    with pytest.raises(services.CustomerError, match="已被"):
        services.approve_registration(actor=people["manager"], customer_id=c.pk)


def test_submission_blocks_on_missing_required_fields(people, unit):
    c = draft(people, unit, contact_name="")
    with pytest.raises(services.CustomerError, match="联系人"):
        services.submit_registration(actor=people["rep"], customer_id=c.pk)


def test_duplicates_must_be_acknowledged(people, unit, make_user):
    other_rep = make_user(r.SALES_REP, units=[unit])
    CustomerFactory(unit=unit, created_by=other_rep, mobile="13912345678")
    c = draft(people, unit, mobile="13912345678")
    with pytest.raises(services.DuplicatesNeedAcknowledgement) as excinfo:
        services.submit_registration(actor=people["rep"], customer_id=c.pk)
    hit = excinfo.value.hits[0]
    assert hit.reason == "mobile" and hit.hard and not hit.visible  # the rep does not own it
    services.submit_registration(actor=people["rep"], customer_id=c.pk, acknowledge_duplicates=True)
    assert c.events.filter(kind=CustomerEvent.Kind.DUPLICATE_ACKNOWLEDGED).exists()


def test_same_name_in_same_region_is_a_soft_duplicate(people, unit):
    CustomerFactory(unit=unit, created_by=people["rep"], name="上海 华联超市", admin_region="310101")
    c = draft(people, unit, name="上海华联超市", admin_region="310101")
    from customers.selectors import find_duplicates

    hits = find_duplicates(people["rep"], c)
    assert [(h.reason, h.hard, h.visible) for h in hits] == [("name", False, True)]


def test_tier_change_needs_a_reason_sets_confidentiality_and_is_in_history(people, unit):
    c = CustomerFactory(unit=unit, created_by=people["rep"], tier="C")
    with pytest.raises(services.CustomerError):
        services.change_tier(actor=people["manager"], customer_id=c.pk, tier="A", reason="")
    with pytest.raises(services.CustomerError):
        services.change_tier(actor=people["rep"], customer_id=c.pk, tier="A", reason="大客户")
    c = services.change_tier(actor=people["manager"], customer_id=c.pk, tier="A", reason="累计采购超过5000万")
    assert c.confidentiality_level == "secret"
    assert CustomerChange.objects.filter(customer=c, field="tier", old_value="C", new_value="A", actor=people["manager"]).exists()
    assert c.events.get(kind="tier_changed").data == {"old": "C", "new": "A"}


def test_status_changes_follow_the_allowed_moves(people, unit):
    c = CustomerFactory(unit=unit, created_by=people["rep"])
    services.change_customer_status(actor=people["manager"], customer_id=c.pk, status="suspended", reason="逾期未付款")
    services.change_customer_status(actor=people["manager"], customer_id=c.pk, status="cancelled", reason="注销")
    with pytest.raises(services.CustomerError):
        services.change_customer_status(actor=people["manager"], customer_id=c.pk, status="active", reason="x")


def test_verification_moves_the_next_due_date(people, unit):
    c = CustomerFactory(unit=unit, created_by=people["rep"])
    services.verify_customer(actor=people["rep"], customer_id=c.pk, channel="phone", result="unchanged", static_reviewed=True)
    c.refresh_from_db()
    today = timezone.localdate()
    assert c.last_verified_on == today == c.static_reviewed_on
    assert services.next_verification_due(c).month == (today.month + 2) % 12 + 1
    assert (services.next_static_review_due(c) - today).days >= 181


def test_queryset_update_of_tier_is_in_the_history(people, unit):
    from crm.actor import acting_as

    customers = CustomerFactory.create_batch(3, unit=unit, created_by=people["rep"], tier="D")
    with acting_as(people["manager"]):
        Customer.objects.filter(pk__in=[c.pk for c in customers]).update(tier="B")
    rows = CustomerChange.objects.filter(field="tier", old_value="D", new_value="B", source="bulk")
    assert sorted(rows.values_list("customer_id", flat=True)) == sorted(c.pk for c in customers)
    assert {row.actor for row in rows} == {people["manager"]}


def test_bulk_update_and_save_are_in_the_history(people, unit):
    a, b = CustomerFactory.create_batch(2, unit=unit, created_by=people["rep"], tier="D")
    a.tier, b.tier = "C", "E"
    Customer.objects.bulk_update([a, b], ["tier"])
    a.name = "新名称"
    a.save()
    assert set(CustomerChange.objects.filter(field="tier").values_list("customer_id", "new_value")) == {(a.pk, "C"), (b.pk, "E")}
    assert CustomerChange.objects.filter(customer=a, field="name", new_value="新名称").exists()


def test_handover_of_500_customers_to_two_reps_in_one_step(people, unit, make_user, django_assert_max_num_queries):
    departing = make_user(r.SALES_REP, units=[unit])
    heirs = [make_user(r.SALES_REP, units=[unit]), make_user(r.SALES_REP, units=[unit])]
    Customer.objects.bulk_create(
        CustomerFactory.build(unit=unit, created_by=departing, account_manager=departing, customer_code=f"H-{i:06d}")
        for i in range(500)
    )
    with django_assert_max_num_queries(60):  # constant: scope, heir checks, notices sent per heir, one audit row
        moved = services.handover_customers(
            actor=people["manager"], from_user=departing, to_users=heirs, deactivate=True, reason="离职"
        )
    assert moved == 500
    assert not Customer.objects.filter(account_manager=departing).exists()
    assert sorted(Customer.objects.filter(account_manager__in=heirs).values_list("account_manager", flat=True)) == sorted(
        [heirs[0].pk] * 250 + [heirs[1].pk] * 250
    )
    assert CustomerChange.objects.filter(field="account_manager", old_value=str(departing.pk)).count() == 500
    assert CustomerEvent.objects.filter(kind="owner_changed").count() == 500
    assert HandoverNotice.objects.filter(previous_owner=departing).count() == 500
    departing.refresh_from_db()
    assert not departing.is_active and departing.staff_profile.status == StaffProfile.Status.DEPARTED


def test_handover_notices_are_sent_and_their_time_recorded(people, unit, make_user, settings,
                                                             django_capture_on_commit_callbacks, mailoutbox):
    """Issue 14 item 8: the heir is told in-app and by e-mail, each customer with an address gets its own e-mail,
    and every notice carries the time it went out."""
    from crm.models import Notification

    settings.CRM_EMAIL_NOTIFICATIONS = True
    departing = make_user(r.SALES_REP, units=[unit])
    heir = make_user(r.SALES_REP, units=[unit], email="heir@example.com")
    with_mail = CustomerFactory(unit=unit, created_by=departing, email="kehu@example.com")
    without = CustomerFactory(unit=unit, created_by=departing, email="")
    with django_capture_on_commit_callbacks(execute=True):
        services.handover_customers(actor=people["manager"], from_user=departing, to_users=[heir], reason="离职")
    notices = HandoverNotice.objects.filter(customer__in=[with_mail, without])
    assert notices.count() == 2 and not notices.filter(sent_at__isnull=True).exists()
    note = Notification.objects.get(recipient=heir)
    assert "2" in note.subject and str(heir.pk) in note.url
    assert sorted(m.to[0] for m in mailoutbox) == ["heir@example.com", "kehu@example.com"]
    customer_mail = next(m for m in mailoutbox if m.to == ["kehu@example.com"])
    assert len(customer_mail.to) == 1 and "heir@example.com" not in customer_mail.body


def test_handover_notices_are_in_app_only_while_email_is_off(people, unit, make_user, settings, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    from crm.models import Notification

    settings.CRM_EMAIL_NOTIFICATIONS = False
    departing = make_user(r.SALES_REP, units=[unit])
    heir = make_user(r.SALES_REP, units=[unit], email="heir@example.com")
    CustomerFactory(unit=unit, created_by=departing, email="kehu@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.handover_customers(actor=people["manager"], from_user=departing, to_users=[heir], reason="调岗")
    assert Notification.objects.filter(recipient=heir).count() == 1 and not mailoutbox
    assert HandoverNotice.objects.get().sent_at is not None


def test_handover_is_for_managers_only(people, unit, make_user):
    with pytest.raises(services.CustomerError):
        services.handover_customers(actor=people["rep"], from_user=people["rep"], to_users=[people["supervisor"]])


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the race needs real concurrent connections (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_give_one_approval(make_user):
    unit = OrgUnitFactory(code="RACE")
    rep = make_user(r.SALES_REP, units=[unit])
    managers = [make_user(r.SALES_MANAGER, units=[unit]) for _ in range(2)]
    customer = CustomerFactory(
        unit=unit, created_by=rep, customer_code=None, registration_status=Customer.Registration.SUBMITTED,
        customer_status="",
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def approve(manager):
        try:
            barrier.wait()
            services.approve_registration(actor=manager, customer_id=customer.pk)
            outcomes.append("approved")
        except services.CustomerError as exc:
            outcomes.append(str(exc))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=approve, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes, key=len)[0] == "approved"
    assert outcomes.count("approved") == 1 and "已被" in [o for o in outcomes if o != "approved"][0]
    assert CustomerEvent.objects.filter(customer=customer, kind="approved").count() == 1
    customer.refresh_from_db()
    assert customer.customer_code == "RACE-000001"


@pytest.mark.parametrize(
    "tier, amount, expected",
    [("C", "60000000", "A"), ("D", "8000000", "B"), ("E", "100", "C"), ("D", "0", None), ("A", "100", None), ("B", "9000000", None)],
)
def test_tier_suggestion_from_purchase_totals(tier, amount, expected):
    from decimal import Decimal

    assert services.suggest_tier(Customer(tier=tier, cumulative_amount=Decimal(amount))) == expected


def test_settlement_suspend_many_writes_what_the_one_at_a_time_move_writes():
    """The overdue scan's bulk suspension: the same history row and timeline event per customer as
    `settlement_status(suspend=True)`, and nothing for customers that are not active."""
    reason = "Payment overdue"
    single, bulk = [CustomerFactory() for _ in range(2)], [CustomerFactory() for _ in range(2)]
    closed = CustomerFactory(customer_status="closed_temporarily")
    for customer in single:
        services.settlement_status(customer_id=customer.pk, suspend=True, reason=reason)
    assert services.settlement_suspend_many(customer_ids=[c.pk for c in bulk] + [closed.pk], reason=reason) == [
        c.pk for c in bulk]

    def written(customer):
        return (Customer.objects.get(pk=customer.pk).customer_status,
                list(CustomerChange.objects.filter(customer=customer).values_list(
                    "field", "old_value", "new_value", "actor", "source")),
                list(CustomerEvent.objects.filter(customer=customer).exclude(kind="created").values_list(
                    "kind", "actor", "comment", "data")))

    assert [written(c) for c in bulk] == [written(c) for c in single]
    assert written(bulk[0])[0] == "suspended" and written(bulk[0])[2][0][0] == "suspended"
    assert written(closed) == ("closed_temporarily", [], [])
    assert services.settlement_suspend_many(customer_ids=[c.pk for c in bulk], reason=reason) == []  # already
