"""The statement in SQL (window function, pages) against its definition in Python, on random data."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from customers.tests.factories import CustomerFactory
from orders import selectors
from orders.models import Charge, Order, OrderLine, Payment, Return

from .factories import ProductFactory, finance_user, rep_customer

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)


def money(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(1, 2_000_000)) / 100


def random_history(rng: random.Random, customer, rep, n: int = 120) -> None:
    """Orders (booked and not), charges, payments (confirmed and not) and returns on a few days, many on the
    same day so the order within a day matters."""
    finance = finance_user()
    product = ProductFactory()
    days = [START + timedelta(days=rng.randint(0, 70)) for _ in range(12)]
    for i in range(n):
        day, what = rng.choice(days), rng.random()
        if what < 0.4:
            status = rng.choice([*Order.BOOKED, "submitted", "cancelled", "draft"])
            total = money(rng)
            order = Order.objects.create(number=f"R{customer.pk}-{i}", customer=customer, created_by=rep,
                                         delivery_address="上海", status=status, total=total,
                                         booked_on=day if status in Order.BOOKED else None)
            if status in Order.BOOKED and rng.random() < 0.3:
                line = OrderLine.objects.create(order=order, product=product, quantity=Decimal(2), unit_price=total / 2,
                                                amount=total)
                Return.objects.create(line=line, order=order, customer=customer, quantity=Decimal(1),
                                      refund=(total / 3).quantize(Decimal("0.01")), reason="坏",
                                      on=day + timedelta(days=rng.randint(0, 5)), created_by=rep)
        elif what < 0.55:
            Charge.objects.create(customer=customer, on=day, kind=rng.choice(Charge.Kind.values), amount=money(rng),
                                  description=f"费{i}")
        else:
            amount = money(rng)
            bill = rng.random() < 0.3
            Payment.objects.create(customer=customer, method="acceptance_bill" if bill else rng.choice(["wire", "cash"]),
                                   amount=amount, discount_interest=(amount / 50).quantize(Decimal("0.01")) if bill else 0,
                                   received_on=day, reference=f"付{i}", created_by=finance,
                                   status=rng.choice(["confirmed", "confirmed", "pending", "rejected"]))


def shape(rows):
    return [(r.on, str(r.kind), r.reference, r.debit, r.credit, r.balance) for r in rows]


def all_pages(customer_id, start=None, end=None, per_page=7):
    """Every page from the latest back, put together oldest first."""
    pages, page = [], 1
    while True:
        got = selectors.statement_page(customer_id, start, end, page=page, per_page=per_page)
        pages.append(got)
        if not got.has_older:
            return pages
        page += 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_statement_pages_equal_the_python_definition(seed):
    rng = random.Random(seed)
    rep, customer = rep_customer()
    other = CustomerFactory()
    random_history(rng, customer, rep)
    random_history(rng, other, rep, n=20)  # another customer's rows never leak in
    opening, expected = selectors.statement(customer.pk)
    pages = all_pages(customer.pk)
    got = [row for page in reversed(pages) for row in page.rows]
    assert shape(got) == shape(expected)
    assert {page.count for page in pages} == {len(expected)}
    assert {page.closing for page in pages} == {expected[-1].balance} == {selectors.balance(customer.pk)}
    # Each page's brought-forward balance is the previous (older) page's last balance.
    for newer, older in zip(pages, pages[1:]):
        assert newer.carried == older.rows[-1].balance
    assert pages[-1].carried == opening == 0
    assert shape(selectors.statement_rows(customer.pk)) == shape(expected)


@pytest.mark.parametrize("seed", [4, 5])
def test_monthly_sql_statement_equals_the_python_definition(seed):
    rng = random.Random(seed)
    rep, customer = rep_customer()
    random_history(rng, customer, rep)
    start, end = selectors.month_bounds(date(2026, 2, 1))
    opening, expected = selectors.statement(customer.pk, start, end)
    assert opening != 0 and expected
    pages = all_pages(customer.pk, start, end, per_page=5)
    assert pages[0].opening == opening
    assert shape(row for page in reversed(pages) for row in page.rows) == shape(expected)
    assert pages[0].closing == expected[-1].balance == selectors.balance(customer.pk, until=end)
    assert shape(selectors.statement_rows(customer.pk, start, end)) == shape(expected)


def test_statement_page_past_the_oldest_and_empty():
    rep, customer = rep_customer()
    empty = selectors.statement_page(customer.pk)
    assert (empty.rows, empty.count, empty.closing, empty.has_older) == ([], 0, 0, False)
    Charge.objects.create(customer=customer, on=START, kind="other", amount=Decimal("12.34"))
    beyond = selectors.statement_page(customer.pk, page=5, per_page=10)
    assert beyond.rows == [] and beyond.count == 1 and beyond.closing == Decimal("-12.34")
