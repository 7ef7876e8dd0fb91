"""Acceptance 3: a thousand random orders, payments, cancellations and returns keep every balance fen-exact
and equal to a from-scratch recomputation, and so the trade figures (hypothesis)."""
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from crm.errors import DomainError
from customers.models import Customer
from orders import selectors, services
from orders.models import Allocation, Charge, Order, OrderLine, Payment, Return

from .factories import ProductFactory, finance_user, gm_user, place_order, rep_customer, warehouse_user

FEN = Decimal("0.01")
BOOKED = set(Order.BOOKED)
money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("40"), places=3)
line = st.tuples(st.integers(0, 3), quantity, st.decimals(min_value=0, max_value=Decimal("999.99"), places=2))
operation = st.one_of(
    st.tuples(st.just("order"), st.integers(0, 2), st.lists(line, min_size=1, max_size=3), st.sampled_from(["cash", "credit"])),
    st.tuples(st.just("pay"), st.integers(0, 2), money, st.sampled_from(["wire", "cash", "acceptance_bill"])),
    st.tuples(st.just("cancel"), st.integers(0, 10_000)),
    st.tuples(st.just("advance"), st.integers(0, 10_000)),
    st.tuples(st.just("return"), st.integers(0, 10_000), st.integers(1, 100)),
    st.tuples(st.just("charge"), st.integers(0, 2), money),
)


def is_fen(value: Decimal) -> bool:
    return value == value.quantize(FEN)


def apply(op, world) -> None:
    customers, products, rep, finance, gm, warehouse = world
    orders = list(Order.objects.filter(customer__in=customers).order_by("pk").values_list("pk", flat=True))
    pick = (lambda i: orders[i % len(orders)]) if orders else None
    kind = op[0]
    if kind == "order":
        place_order(rep, customers[op[1]], *[(products[p], q, u) for p, q, u in op[2]], payment_mode=op[3])
    elif kind == "pay":
        interest = (op[2] / 100).quantize(FEN) if op[3] == "acceptance_bill" else 0
        payment = services.record_payment(actor=finance, customer=customers[op[1]], method=op[3], amount=op[2],
                                          received_on=timezone.localdate(), discount_interest=interest)
        services.confirm_payment(actor=finance, payment_id=payment.pk)
    elif kind == "cancel" and pick:
        services.cancel_order(actor=rep, order_id=pick(op[1]), reason="改单")
    elif kind == "advance" and pick:
        order = Order.objects.get(pk=pick(op[1]))
        if order.status in ("paid", "credit"):
            services.approve_order(actor=gm, order_id=order.pk)
        elif order.status == "approved":
            services.ship_order(actor=warehouse, order_id=order.pk, carrier="c", waybill="w", shipped_on=timezone.localdate())
        elif order.status == "shipped":
            services.deliver_order(actor=warehouse, order_id=order.pk, delivered_on=timezone.localdate())
    elif kind == "return" and pick:
        lines = list(OrderLine.objects.filter(order_id=pick(op[1])))
        if lines:
            chosen = lines[op[2] % len(lines)]
            portion = (chosen.quantity * op[2] / 100).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
            services.record_return(actor=rep, line_id=chosen.pk, quantity=portion, reason="质量", on=timezone.localdate())
    elif kind == "charge":
        services.add_charge(customers[op[1]], kind="operating_fee", amount=op[2], on=timezone.localdate(), actor=None)


def from_scratch_balance(customer_id: int) -> Decimal:
    total = Decimal(0)
    for amount, interest, status in Payment.objects.filter(customer_id=customer_id).values_list(
            "amount", "discount_interest", "status"):
        total += (amount - interest) if status == "confirmed" else 0
    for refund in Return.objects.filter(customer_id=customer_id).values_list("refund", flat=True):
        total += refund
    for order_total, status in Order.objects.filter(customer_id=customer_id).values_list("total", "status"):
        total -= order_total if status in BOOKED else 0
    for amount in Charge.objects.filter(customer_id=customer_id).values_list("amount", flat=True):
        total -= amount
    return total


def from_scratch_figures(customer_id: int) -> dict:
    booked = [o for o in Order.objects.filter(customer_id=customer_id) if o.status in BOOKED]
    if not booked:
        return {"cumulative_amount": None, "purchase_amount": None, "purchase_quantity": None,
                "product_count": None, "first_trade_on": None, "last_trade_on": None}
    since = timezone.localdate() - timedelta(days=365)
    recent = [o for o in booked if o.booked_on > since]
    lines = [line for o in recent for line in o.lines.all()]
    refunds = sum((r.refund for line in lines for r in line.returns.all()), Decimal(0))
    return {
        "cumulative_amount": sum((o.total - sum((r.refund for r in o.returns.all()), Decimal(0)) for o in booked),
                                 Decimal(0)),
        "purchase_amount": sum((line.amount for line in lines), Decimal(0)) - refunds,
        # the catalogue's decimal fields keep 2 places: quantities (3 places on the lines) are stored rounded
        "purchase_quantity": sum((line.quantity - sum((r.quantity for r in line.returns.all()), Decimal(0))
                                  for line in lines), Decimal(0)).quantize(FEN, rounding=ROUND_HALF_UP),
        "product_count": len({line.product_id for line in lines}),
        "first_trade_on": min(o.booked_on for o in booked), "last_trade_on": max(o.booked_on for o in booked),
    }


def stored_figures(customer_id: int) -> dict:
    return Customer.objects.filter(pk=customer_id).values(
        "cumulative_amount", "purchase_amount", "purchase_quantity", "product_count", "first_trade_on",
        "last_trade_on").get()


def check(world) -> None:
    customers = world[0]
    for order in Order.objects.filter(customer__in=customers):
        allocated = sum(Allocation.objects.filter(order=order).values_list("amount", flat=True), Decimal(0))
        returned = sum(Return.objects.filter(order=order).values_list("refund", flat=True), Decimal(0))
        assert order.allocated == allocated and order.returned == returned, order.number
        assert order.total == sum((line.amount for line in order.lines.all()), Decimal(0))
        assert all(is_fen(v) for v in (order.total, order.allocated, order.returned))
        assert order.allocated <= order.total
        if order.status == "cancelled":
            assert order.allocated == 0
    for payment in Payment.objects.filter(customer__in=customers):
        allocated = sum(Allocation.objects.filter(payment=payment).values_list("amount", flat=True), Decimal(0))
        assert payment.allocated == allocated <= payment.credited
    for line in OrderLine.objects.filter(order__customer__in=customers):
        assert line.returned_quantity == sum(line.returns.values_list("quantity", flat=True), Decimal(0)) <= line.quantity
    for customer in customers:
        balance = selectors.balance(customer.pk)
        assert is_fen(balance) and balance == from_scratch_balance(customer.pk)
        opening, rows = selectors.statement(customer.pk)
        assert (rows[-1].balance if rows else opening) == balance
        kept = stored_figures(customer.pk)
        assert kept == from_scratch_figures(customer.pk), (kept, from_scratch_figures(customer.pk))
        services.recompute_trade_figures(None)  # everyone, set-based: changes nothing
        assert stored_figures(customer.pk) == kept


@pytest.mark.django_db
# Shrinking a 100-step history through the database takes many minutes: the failing example is printed whole.
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.lists(operation, min_size=100, max_size=100))
def test_random_money_moves_stay_fen_exact_and_recomputable(ops):
    with transaction.atomic():
        rep, first = rep_customer()
        customers = [first] + [rep_customer()[1] for _ in range(2)]
        for customer in customers:
            Customer.objects.filter(pk=customer.pk).update(account_manager=rep)
        services.set_credit_terms(customers[1], limit="20000", period_days=30, source="account_period", actor=None)
        services.set_credit_terms(customers[2], limit="5000", period_days=15, source="grade", actor=None)
        products = [ProductFactory(category=c, returnable=r, return_days=30)
                    for c, r in (("食品", True), ("饮料", True), ("日化", False), ("", True))]
        world = (customers, products, rep, finance_user(), gm_user(), warehouse_user())
        for op in ops:
            try:
                with transaction.atomic():
                    apply(op, world)
            except DomainError:
                pass  # refused moves (over credit, nothing left to return...) leave nothing behind
        check(world)
        transaction.set_rollback(True)
