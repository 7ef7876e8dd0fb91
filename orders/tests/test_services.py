"""The order flow (acceptance 1), settlement (acceptance 2), returns and claims."""
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Q
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection
from django.utils import timezone

from crm import roles as r
from crm.models import CalendarDay
from crm.testing import workflow_cases
from crm.tests.factories import UserFactory
from customers.models import Customer, CustomerChange, CustomerEvent
from orders import selectors, services
from orders.models import ApprovalDelegate, CreditTerms, Order, OrderEvent, OverdueSuspension, Payment

from .factories import ProductFactory, finance_user, gm_user, place_order, rep_customer, warehouse_user

pytestmark = pytest.mark.django_db
S = Order.Status


@pytest.fixture
def setting():
    rep, customer = rep_customer()
    return rep, customer, ProductFactory(list_price=Decimal("12.34"))


def pay(customer, amount, *, finance=None, order=None, method="wire", on=None, interest="0"):
    finance = finance or finance_user()
    payment = services.record_payment(actor=finance, customer=customer, method=method, amount=amount,
                                      received_on=on or timezone.localdate(), discount_interest=interest,
                                      for_order=order)
    return services.confirm_payment(actor=finance, payment_id=payment.pk)


def test_totals_are_computed_fen_exact(setting):
    rep, customer, product = setting
    order = place_order(rep, customer, (product, "3", "12.34"), (product, "0.5", "0.01"), submit=False)
    assert [line.amount for line in order.lines.all()] == [Decimal("37.02"), Decimal("0.01")]
    assert order.total == Decimal("37.03") and order.status == S.DRAFT


def test_cash_before_delivery_blocks_approval_until_a_covering_payment_is_confirmed(setting):
    rep, customer, product = setting
    gm = gm_user()
    order = place_order(rep, customer, (product, "10", "100"))
    assert order.status == S.SUBMITTED
    with pytest.raises(services.OrderError) as refused:
        services.approve_order(actor=gm, order_id=order.pk)
    assert refused.value.code == "orders.not_paid"
    pay(customer, "600", order=order)  # partial: still blocked
    order.refresh_from_db()
    assert order.status == S.SUBMITTED and order.allocated == Decimal("600.00")
    with pytest.raises(services.OrderError):
        services.approve_order(actor=gm, order_id=order.pk)
    pay(customer, "500")  # covers the rest; 100 stays on the balance
    order.refresh_from_db()
    assert order.status == S.PAID and order.allocated == Decimal("1000.00")
    assert selectors.balance(customer.pk) == Decimal("100.00")
    approved = services.approve_order(actor=gm, order_id=order.pk)
    assert approved.status == S.APPROVED and approved.approved_by == gm
    assert list(OrderEvent.objects.filter(order=order).order_by("at", "id").values_list("kind", flat=True)) == [
        "created", "submitted", "paid", "approved"]


def test_credit_order_over_the_limit_is_refused_showing_the_remaining_credit(setting):
    rep, customer, product = setting
    services.set_credit_terms(customer, limit="1000", period_days=30, source="manual", reference="", actor=None)
    first = place_order(rep, customer, (product, "6", "100"), payment_mode="credit")
    assert first.status == S.CREDIT and first.due_on == timezone.localdate() + timedelta(days=30)
    with pytest.raises(services.OrderError) as refused:
        place_order(rep, customer, (product, "5", "100"), payment_mode="credit")
    assert refused.value.code == "orders.over_credit" and "400.00" in refused.value.message
    # the refused order stays a draft (the submission rolled back)
    assert Order.objects.filter(status=S.DRAFT).count() == 1
    assert place_order(rep, customer, (product, "4", "100"), payment_mode="credit").status == S.CREDIT


def test_credit_needs_terms(setting):
    rep, customer, product = setting
    with pytest.raises(services.OrderError) as refused:
        place_order(rep, customer, (product, "1", "1"), payment_mode="credit")
    assert refused.value.code == "orders.no_credit"


def test_approved_the_day_before_a_public_holiday_ships_after_it(setting):
    rep, customer, product = setting
    CalendarDay.objects.update_or_create(date=date(2026, 10, 1), defaults={"is_workday": False})
    order = place_order(rep, customer, (product, "1", "10"))
    pay(customer, "10", order=order)
    approved = services.approve_order(actor=gm_user(), order_id=order.pk, today=date(2026, 9, 30))
    # National Day week (1–7 October) does not count: the 2nd working day after 30 September is 9 October.
    assert approved.ship_due_on == date(2026, 10, 9)
    assert approved.ship_late(date(2026, 10, 10)) and not approved.ship_late(date(2026, 10, 9))


def test_delegate_named_in_the_admin_approves_until_the_date(setting):
    rep, customer, product = setting
    delegate = UserFactory()
    order = place_order(rep, customer, (product, "1", "10"))
    pay(customer, "10", order=order)
    with pytest.raises(services.ActionForbidden if hasattr(services, "ActionForbidden") else Exception):
        services.approve_order(actor=delegate, order_id=order.pk)
    ApprovalDelegate.objects.create(user=delegate, until=timezone.localdate() - timedelta(days=1))
    delegate = type(delegate).objects.get(pk=delegate.pk)
    with pytest.raises(Exception):
        services.approve_order(actor=delegate, order_id=order.pk)
    ApprovalDelegate.objects.filter(user=delegate).update(until=None)
    delegate = type(delegate).objects.get(pk=delegate.pk)
    assert services.approve_order(actor=delegate, order_id=order.pk).status == S.APPROVED


def test_confirming_twice_confirms_once(setting):
    rep, customer, product = setting
    finance = finance_user()
    payment = services.record_payment(actor=finance, customer=customer, method="cash", amount="50",
                                      received_on=timezone.localdate())
    services.confirm_payment(actor=finance, payment_id=payment.pk)
    with pytest.raises(services.OrderError) as refused:
        services.confirm_payment(actor=finance_user(), payment_id=payment.pk)
    assert refused.value.code == "orders.already_confirmed"
    assert selectors.balance(customer.pk) == Decimal("50.00")


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the race needs real concurrent connections (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_confirmations_confirm_once():
    rep, customer = rep_customer()
    product = ProductFactory()
    order = place_order(rep, customer, (product, "1", "100"))
    clerks = [finance_user(), finance_user()]
    payment = services.record_payment(actor=clerks[0], customer=customer, method="wire", amount="100",
                                      received_on=timezone.localdate(), for_order=order)
    barrier = threading.Barrier(2)
    outcomes = []

    def confirm(clerk):
        try:
            barrier.wait()
            services.confirm_payment(actor=clerk, payment_id=payment.pk)
            outcomes.append("confirmed")
        except services.OrderError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["confirmed", "orders.already_confirmed"]
    order.refresh_from_db()
    assert order.allocated == Decimal("100.00") and order.status == S.PAID
    assert OrderEvent.objects.filter(order=order, kind="paid").count() == 1
    assert selectors.balance(customer.pk) == Decimal("0.00")


def test_no_order_for_a_suspended_customer_or_an_incomplete_record(setting):
    rep, customer, product = setting
    Customer.objects.filter(pk=customer.pk).update(customer_status="suspended")
    with pytest.raises(services.OrderError) as refused:
        place_order(rep, customer, (product, "1", "1"))
    assert refused.value.code == "orders.customer_suspended"
    Customer.objects.filter(pk=customer.pk).update(customer_status="active", contact_name="")
    with pytest.raises(services.OrderError) as refused:
        place_order(rep, customer, (product, "1", "1"))
    assert refused.value.code == "orders.record_incomplete" and "联系人" in refused.value.message


def test_ship_deliver_close_and_cancel_only_before_shipping(setting):
    rep, customer, product = setting
    order = place_order(rep, customer, (product, "2", "5"))
    pay(customer, "10", order=order)
    services.approve_order(actor=gm_user(), order_id=order.pk)
    warehouse = warehouse_user()
    with pytest.raises(services.OrderError):
        services.ship_order(actor=warehouse, order_id=order.pk, carrier="", waybill="", shipped_on=timezone.localdate())
    shipped = services.ship_order(actor=warehouse, order_id=order.pk, carrier="德邦", waybill="DB123",
                                  shipped_on=timezone.localdate())
    assert shipped.status == S.SHIPPED and shipped.waybill == "DB123"
    with pytest.raises(services.TransitionNotAllowed if hasattr(services, "TransitionNotAllowed") else Exception):
        services.cancel_order(actor=rep, order_id=order.pk, reason="客户不要了")
    closed = services.deliver_order(actor=warehouse, order_id=order.pk, delivered_on=timezone.localdate())
    assert closed.status == S.CLOSED  # delivered and fully paid


def test_cancel_releases_the_money_to_the_balance(setting):
    rep, customer, product = setting
    order = place_order(rep, customer, (product, "2", "5"))
    pay(customer, "10", order=order)
    with pytest.raises(services.OrderError):
        services.cancel_order(actor=rep, order_id=order.pk, reason=" ")
    cancelled = services.cancel_order(actor=rep, order_id=order.pk, reason="客户改单")
    assert cancelled.status == S.CANCELLED and cancelled.allocated == 0
    assert Payment.objects.get().allocated == 0 and selectors.balance(customer.pk) == Decimal("10.00")


def test_acceptance_bill_interest_is_at_the_customers_cost(setting):
    rep, customer, product = setting
    pay(customer, "10000", method="acceptance_bill", interest="123.45")
    assert selectors.balance(customer.pk) == Decimal("9876.55")
    with pytest.raises(services.OrderError):
        services.record_payment(actor=finance_user(), customer=customer, method="wire", amount="1",
                                received_on=timezone.localdate(), discount_interest="0.5")


def test_order_workflow_map_is_the_one_the_tests_walk():
    cases = workflow_cases(services.ORDER)
    assert cases and (S.SHIPPED, S.CANCELLED) in services.ORDER.forbidden_moves()
    assert (S.APPROVED, S.CANCELLED) in services.ORDER.moves()


# --- settlement (acceptance 2) --------------------------------------------------------------------
def test_account_period_month_unpaid_on_the_6th_suspends_and_a_covering_payment_lifts(setting, monkeypatch):
    rep, customer, product = setting
    manager = UserFactory(roles=[r.SALES_MANAGER])
    application = services.apply_account_period(actor=rep, customer=customer, limit="50000", period_days=30,
                                                 investigation="营业执照、银行流水已核实")
    services.decide_account_period(actor=manager, application_id=application.pk, approve=True)
    assert CreditTerms.objects.get(customer=customer).source == CreditTerms.Source.ACCOUNT_PERIOD
    # a month of orders, booked in March
    march = [date(2026, 3, d) for d in (2, 11, 27)]
    for day in march:
        monkeypatch.setattr(timezone, "localdate", lambda day=day: day)
        order = place_order(rep, customer, (product, "10", "100"), payment_mode="credit")
        assert order.due_on == date(2026, 4, 5)
    services.overdue_scan(date(2026, 4, 5))  # the 5th is the last day to pay
    assert Customer.objects.get(pk=customer.pk).customer_status == "active"
    services.overdue_scan(date(2026, 4, 6))
    services.overdue_scan(date(2026, 4, 6))  # a second run changes nothing
    customer.refresh_from_db()
    assert customer.customer_status == "suspended"
    assert OverdueSuspension.objects.filter(customer=customer, lifted_on__isnull=True).count() == 1
    assert CustomerEvent.objects.filter(customer=customer, kind="suspended").count() == 1
    assert {n.recipient for n in customer.account_manager.notifications.all()} == {rep}
    # The manager is placed in no unit, so it cannot see the customer: alerted by the masked name, without a link.
    alert = manager.notifications.get()
    assert customer.customer_code in alert.subject and customer.name not in alert.subject and not alert.url
    assert customer.name in rep.notifications.get().subject
    with pytest.raises(services.OrderError):
        place_order(rep, customer, (product, "1", "1"))
    # a payment covering part does not lift; the covering one does
    monkeypatch.setattr(timezone, "localdate", lambda: date(2026, 4, 8))
    pay(customer, "2000")
    assert Customer.objects.get(pk=customer.pk).customer_status == "suspended"
    pay(customer, "1000")
    customer.refresh_from_db()
    assert customer.customer_status == "active"
    assert OverdueSuspension.objects.get(customer=customer).lifted_on == date(2026, 4, 8)
    kinds = list(CustomerEvent.objects.filter(customer=customer).order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-2:] == ["suspended", "reactivated"]
    history = CustomerChange.objects.filter(customer_id=customer.pk, field="customer_status")
    assert [(h.old_value, h.new_value) for h in history.order_by("id")] == [("active", "suspended"),
                                                                             ("suspended", "active")]


def test_account_period_is_at_most_a_month_and_decided_by_a_sales_manager(setting):
    rep, customer, product = setting
    with pytest.raises(services.OrderError):
        services.apply_account_period(actor=rep, customer=customer, limit="1", period_days=45, investigation="x")
    application = services.apply_account_period(actor=rep, customer=customer, limit="1", period_days=30,
                                                 investigation="x")
    with pytest.raises(services.OrderError):
        services.decide_account_period(actor=rep, application_id=application.pk, approve=True)


# --- returns and claims ---------------------------------------------------------------------------
def delivered_order(rep, customer, product, delivered_on):
    order = place_order(rep, customer, (product, "10", "10"))
    pay(customer, "100", order=order)
    services.approve_order(actor=gm_user(), order_id=order.pk)
    warehouse = warehouse_user()
    services.ship_order(actor=warehouse, order_id=order.pk, carrier="顺丰", waybill="SF1", shipped_on=timezone.localdate())
    return services.deliver_order(actor=warehouse, order_id=order.pk, delivered_on=delivered_on)


def test_returns_only_for_approved_products_within_the_window(setting):
    rep, customer, product = setting
    today = timezone.localdate()
    order = delivered_order(rep, customer, product, today)
    line = order.lines.get()
    ret = services.record_return(actor=rep, line_id=line.pk, quantity="3", reason="破损", on=today)
    assert ret.refund == Decimal("30.00") and ret.freight_payer
    assert selectors.balance(customer.pk) == Decimal("30.00")
    with pytest.raises(services.OrderError) as refused:
        services.record_return(actor=rep, line_id=line.pk, quantity="8", reason="x", on=today)
    assert refused.value.code == "orders.return_too_many"
    with pytest.raises(services.OrderError) as refused:
        services.record_return(actor=rep, line_id=line.pk, quantity="1", reason="x", on=today + timedelta(days=31))
    assert refused.value.code == "orders.return_window_closed"
    other = ProductFactory(returnable=False)
    order2 = delivered_order(rep, customer, other, today)
    with pytest.raises(services.OrderError) as refused:
        services.record_return(actor=rep, line_id=order2.lines.get().pk, quantity="1", reason="x", on=today)
    assert refused.value.code == "orders.not_returnable"


def test_transit_claims_within_seven_days_of_delivery(setting):
    rep, customer, product = setting
    delivered = date(2026, 5, 1)
    order = delivered_order(rep, customer, product, delivered)
    evidence = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 evidence", content_type="image/jpeg")
    claim = services.file_claim(actor=rep, order_id=order.pk, kind="damage", description="外箱破损",
                                evidence=evidence, on=date(2026, 5, 8))
    assert claim.pk and OrderEvent.objects.filter(order=order, kind="claim").exists()
    with pytest.raises(services.OrderError) as refused:
        services.file_claim(actor=rep, order_id=order.pk, kind="loss", description="少一箱",
                            evidence=SimpleUploadedFile("a.jpg", b"x"), on=date(2026, 5, 9))
    assert refused.value.code == "orders.claim_window_closed" and "2026-05-08" in refused.value.message


def test_late_shipments_are_flagged_once(setting):
    rep, customer, product = setting
    order = place_order(rep, customer, (product, "1", "10"))
    pay(customer, "10", order=order)
    services.approve_order(actor=gm_user(), order_id=order.pk, today=date(2026, 6, 1))
    warehouse = warehouse_user()
    run = services.late_shipment_scan(date(2026, 6, 10))
    assert run.tasks_created == 1 and services.late_shipment_scan(date(2026, 6, 11)).tasks_created == 0
    assert Order.objects.get(pk=order.pk).late_flagged_on == date(2026, 6, 10)
    assert warehouse.notifications.exists()


def test_trade_figures_feed_the_tier_suggestion(setting):
    from customers import services as customer_services

    rep, customer, product = setting
    Customer.objects.filter(pk=customer.pk).update(tier="D")
    order = place_order(rep, customer, (product, "1000", "8000"))
    pay(customer, "8000000", order=order)
    customer.refresh_from_db()
    assert customer.cumulative_amount == Decimal("8000000.00") and customer.first_trade_on == timezone.localdate()
    assert customer_services.suggest_tier(customer) == "B"
    services.cancel_order(actor=rep, order_id=order.pk, reason="改单")
    customer.refresh_from_db()
    assert customer.cumulative_amount is None and customer_services.suggest_tier(customer) is None


# --- the set-based overdue scan writes what the one-at-a-time path writes -----------------------------
def overdue_world():
    """Customers in two units (a sales manager placed over one, none over the other, one placed nowhere), one
    customer already suspended by hand, one with an open overdue suspension, one paid up."""
    from crm.tests.factories import OrgUnitFactory
    from customers.tests.factories import CustomerFactory

    hq = OrgUnitFactory(code="HQX")
    east, west = OrgUnitFactory(code="EX", parent=hq), OrgUnitFactory(code="WX")
    UserFactory(username="mgr_placed", roles=[r.SALES_MANAGER], units=[hq])
    UserFactory(username="mgr_nowhere", roles=[r.SALES_MANAGER])
    product = ProductFactory()
    customers = []
    for i, (unit, status) in enumerate([(east, "active"), (west, "active"), (east, "suspended"), (east, "active"),
                                        (west, "active"), (east, "active")]):
        rep = UserFactory(username=f"rep_{i}", roles=[r.SALES_REP], units=[unit])
        customer = CustomerFactory(created_by=rep, unit=unit, customer_status=status, name=f"欠款客户{i}")
        order = Order.objects.create(number=f"OD{i}", customer=customer, created_by=rep, delivery_address="上海",
                                     status=S.CREDIT, payment_mode="credit", total=Decimal("100.00"),
                                     booked_on=date(2026, 3, 1), due_on=date(2026, 4, 5))
        order.lines.create(product=product, quantity=1, unit_price=Decimal("100"), amount=Decimal("100.00"))
        customers.append(customer)
    OverdueSuspension.objects.create(customer=customers[3], since=date(2026, 4, 1))
    Order.objects.filter(customer=customers[4]).update(allocated=Decimal("100.00"))  # paid: not overdue
    return customers


def written(customers) -> list:
    """What suspension left behind per customer, without row ids and clocks."""
    from crm.models import Notification

    out = []
    for c in customers:
        c.refresh_from_db()
        out.append((
            c.customer_status,
            list(CustomerChange.objects.filter(customer=c).order_by("id").values_list(
                "field", "old_value", "new_value", "actor", "source")),
            list(CustomerEvent.objects.filter(customer=c).exclude(kind="created").order_by("id").values_list(
                "kind", "actor", "comment", "data")),
            list(OverdueSuspension.objects.filter(customer=c).order_by("id").values_list("since", "lifted_on")),
            sorted(Notification.objects.filter(  # named with a link, or masked by its code without one
                Q(url__endswith=f"/{c.pk}/") | Q(url="", subject__contains=c.customer_code or "-")).values_list(
                "recipient__username", "subject", "url", "body")),
        ))
    return out


def test_the_set_based_overdue_scan_writes_what_the_one_at_a_time_path_writes():
    from django.db import transaction

    today = date(2026, 4, 6)
    customers = overdue_world()
    before = transaction.savepoint()
    for customer in customers:
        services.suspend_overdue(customer.pk, today)
    expected = written(customers)
    transaction.savepoint_rollback(before)
    run = services.overdue_scan(today)
    got = written(customers)
    assert got == expected
    assert [row[0] for row in got] == ["suspended", "suspended", "suspended", "active", "active", "suspended"]
    assert got[0][1] == [("customer_status", "active", "suspended", None, "edit")]
    assert got[2][1] == [] and got[2][3] == [(today, None)]  # suspended by hand: suspension row and alert, no move
    assert [who for who, *_rest in got[0][4]] == ["mgr_placed", "rep_0"]
    assert [who for who, *_rest in got[1][4]] == ["mgr_nowhere", "mgr_placed", "rep_1"]  # nobody over the west
    assert run.rows_scanned == 4 and run.tasks_created == 4
    again = services.overdue_scan(today)
    assert (again.rows_scanned, again.tasks_created) == (0, 0)
    assert written(customers) == got
