"""Read side of orders: which orders a user sees, balances, statements, queues, trade figures and the
monthly figures the dealers app builds on. Customer rows come only from the policy: `visible_customers(user)`,
or its order-queue reach (`queue_customers`, `queue_view`) for those who work every order."""
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.db.models import Count, DecimalField, F, Max, Min, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.policy import QueueView, queue_customers, queue_reach, queue_view, visible_customers

from . import permissions
from .models import FEN, MONEY, ZERO, Charge, Order, OrderLine, Payment, Product, Return

S = Order.Status
CONFIRMED = Payment.Status.CONFIRMED


def visible_orders(user) -> QuerySet[Order]:
    """Whoever the policy gives a reach over the order queues (finance, the GM, delegates, the warehouse) works
    every order, its customer named or masked as `order_view` says; whoever enters orders sees the orders of the
    customers the policy shows it; everyone else none."""
    qs = Order.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if queue_reach(user).any:
        return qs  # the rows of every customer; the policy decides what of each is shown (order_view)
    if not permissions.can_open_orders(user):
        return qs.none()
    return qs.filter(customer__in=visible_customers(user))


def statement_customers(user):
    """Whose statements (their financial history) a user may open: finance and the approvers every customer's
    (named or masked as the policy says); the warehouse, which ships, and everyone else the customers the policy
    shows them."""
    return queue_customers(user, "money")


@dataclass(frozen=True)
class Shown:
    """What of one order (or payment) a reader sees: the customer's name or its masked code, whether the amounts
    show, and the delivery address as it may read it."""

    customer: str
    named: bool  # the customer is named (and linked)
    seen: bool  # the customer page is open to the reader
    money: bool
    address: str


def order_view(user, rows, *, view: QueueView | None = None) -> list:
    """Sets `row.shown` on each order (or payment, anything with a `customer`) of a page; one query for the page."""
    rows = list(rows)
    view = view or queue_view(user, [row.customer for row in rows])
    for row in rows:
        customer = row.customer
        row.shown = Shown(view.name(customer), view.names(customer), view.sees(customer), view.money(customer),
                          view.address(customer, getattr(row, "delivery_address", "")))
        if hasattr(row, "payer"):
            row.shown_payer = view.text(customer, row.payer)
    return rows


def orderable_customers(user):
    """Customers a user may enter orders for: visible, approved."""
    return visible_customers(user).filter(registration_status="approved")


def product_search(term: str, limit: int = 20) -> list[Product]:
    qs = Product.objects.filter(active=True)
    term = (term or "").strip()
    if term:
        qs = qs.filter(Q(code__istartswith=term) | Q(name__icontains=term) | Q(specification__icontains=term))
    return list(qs.order_by("code")[:limit])


# --- money -----------------------------------------------------------------------------------------
def balance(customer_id: int, *, until: date | None = None) -> Decimal:
    """Confirmed payments (net of bill interest) + refunds − booked orders − charges; negative means owed."""
    return _account(customer_id, until=until)[0]


def account(customer_id: int):
    """(balance, credit terms or None) in one query: the customer page's orders panel shows both."""
    return _account(customer_id, with_terms=True)


def _account(customer_id: int, *, until: date | None = None, with_terms: bool = False):
    payments = Payment.objects.filter(customer_id=customer_id, status=CONFIRMED)
    orders = Order.objects.filter(customer_id=customer_id, status__in=Order.BOOKED)
    returns = Return.objects.filter(customer_id=customer_id)
    charges = Charge.objects.filter(customer_id=customer_id)
    if until is not None:
        payments, orders = payments.filter(received_on__lte=until), orders.filter(booked_on__lte=until)
        returns, charges = returns.filter(on__lte=until), charges.filter(on__lte=until)
    # One query of four scalar sums (and the credit terms, joined): the customer page asks on every view.
    customers = Customer.objects.filter(pk=customer_id).only("pk")
    if with_terms:
        customers = customers.select_related("credit_terms").only("pk", "credit_terms")
    row = customers.annotate(
        paid=_scalar(payments, F("amount") - F("discount_interest")), refunded=_scalar(returns, "refund"),
        booked=_scalar(orders, "total"), charged=_scalar(charges, "amount"),
    ).first()
    if row is None:
        return ZERO, None
    total = (row.paid + row.refunded - row.booked - row.charged).quantize(FEN)
    return total, getattr(row, "credit_terms", None) if with_terms else None


def _scalar(qs, expr):
    """`SUM(expr)` over `qs` as a scalar subquery (0 when empty), exact to the fen."""
    total = qs.order_by().values("customer_id").annotate(s=Sum(expr)).values("s")[:1]
    return Coalesce(Subquery(total, output_field=DecimalField(**MONEY)), Value(ZERO), output_field=DecimalField(**MONEY))


def overdue_orders(today: date) -> QuerySet[Order]:
    """Booked orders past their payment date with money still owed on them."""
    return Order.objects.filter(status__in=Order.BOOKED, due_on__lt=today).filter(
        total__gt=F("allocated") + F("returned"))


@dataclass(frozen=True)
class StatementRow:
    on: date
    kind: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO


def statement(customer_id: int, start: date | None = None, end: date | None = None) -> tuple[Decimal, list[StatementRow]]:
    """Opening balance and the rows (orders, charges, payments, returns) with a running balance: the definition,
    in Python over every row. The pages use `statement_page` (the same in SQL), which the tests hold to it."""
    opening = balance(customer_id, until=start - timedelta(days=1)) if start else ZERO

    def window(qs, field):
        if start:
            qs = qs.filter(**{f"{field}__gte": start})
        if end:
            qs = qs.filter(**{f"{field}__lte": end})
        return qs

    rows: list[tuple] = []
    for pk, number, on, total in window(Order.objects.filter(customer_id=customer_id, status__in=Order.BOOKED),
                                        "booked_on").values_list("pk", "number", "booked_on", "total"):
        rows.append((on, 1, pk, _("Order"), number, total, ZERO))
    for pk, kind, on, amount, text in window(Charge.objects.filter(customer_id=customer_id), "on").values_list(
            "pk", "kind", "on", "amount", "description"):
        rows.append((on, 2, pk, str(Charge.Kind(kind).label), text, amount, ZERO))
    for pk, method, on, amount, interest, ref in window(
            Payment.objects.filter(customer_id=customer_id, status=CONFIRMED), "received_on").values_list(
            "pk", "method", "received_on", "amount", "discount_interest", "reference"):
        rows.append((on, 3, pk, str(Payment.Method(method).label), ref, ZERO, amount - interest))
    for pk, number, on, refund in window(Return.objects.filter(customer_id=customer_id), "on").values_list(
            "pk", "order__number", "on", "refund"):
        rows.append((on, 4, pk, _("Return"), number, ZERO, refund))
    rows.sort(key=lambda row: row[:3])  # day, then orders, charges, payments, returns, then entry order
    running, out = opening, []
    for on, _order, _pk, kind, reference, debit, credit in rows:
        running = running - debit + credit
        out.append(StatementRow(on, kind, reference, debit, credit, running))
    return opening, out


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first + relativedelta(months=1) - timedelta(days=1)


# --- the dealers app's interface ---------------------------------------------------------------------
def monthly_payments(customer_ids: Iterable[int], start: date, end: date) -> dict[tuple[int, date], Decimal]:
    """Confirmed payments (net of bill interest) per customer and month, received between start and end."""
    rows = (Payment.objects.filter(customer_id__in=list(customer_ids), status=CONFIRMED,
                                   received_on__gte=start, received_on__lte=end)
            .annotate(month=TruncMonth("received_on")).values("customer_id", "month")
            .annotate(total=Sum(F("amount") - F("discount_interest"))))
    return {(row["customer_id"], _as_date(row["month"])): row["total"].quantize(FEN) for row in rows}


def payment_method_shares(customer_ids: Iterable[int], start: date, end: date) -> dict[int, dict[str, Decimal]]:
    """Per customer, the share (0–1, 4 places) of each payment method in its confirmed payments."""
    rows = (Payment.objects.filter(customer_id__in=list(customer_ids), status=CONFIRMED,
                                   received_on__gte=start, received_on__lte=end)
            .values("customer_id", "method").annotate(total=Sum("amount")))
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        totals[row["customer_id"]][row["method"]] = row["total"]
    shares = {}
    for customer_id, by_method in totals.items():
        whole = sum(by_method.values(), ZERO)
        shares[customer_id] = {m: (v / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if whole else ZERO
                               for m, v in by_method.items()}
    return shares


def _booked_lines(customer_ids, start: date, end: date):
    return OrderLine.objects.filter(order__customer_id__in=list(customer_ids), order__status__in=Order.BOOKED,
                                    order__booked_on__gte=start, order__booked_on__lte=end)


def monthly_quantities(customer_ids: Iterable[int], month: date) -> dict[tuple[int, int], Decimal]:
    """Quantities booked in the month per customer and product, net of returns."""
    start, end = month_bounds(month)
    rows = (_booked_lines(customer_ids, start, end).values("order__customer_id", "product_id")
            .annotate(q=Sum(F("quantity") - F("returned_quantity"))))
    return {(row["order__customer_id"], row["product_id"]): row["q"] for row in rows}


def monthly_purchase_amounts(customer_ids: Iterable[int], month: date) -> dict[int, Decimal]:
    """Amounts of the orders booked in the month (approved or on their way to it), net of returns."""
    start, end = month_bounds(month)
    rows = (Order.objects.filter(customer_id__in=list(customer_ids), status__in=Order.BOOKED,
                                 booked_on__gte=start, booked_on__lte=end)
            .values("customer_id").annotate(a=Sum(F("total") - F("returned"))))
    return {row["customer_id"]: row["a"] for row in rows}


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


# --- trade figures -----------------------------------------------------------------------------------
def trade_figures(customer_ids: Iterable[int] | None, *, today: date) -> dict[int, dict]:
    """The computed catalogue fields per customer with any booked order (12 months for the rolling ones)."""
    since = today - relativedelta(months=12) + timedelta(days=1)
    orders = Order.objects.filter(status__in=Order.BOOKED)
    lines = OrderLine.objects.filter(order__status__in=Order.BOOKED, order__booked_on__gte=since)
    returns = Return.objects.filter(order__status__in=Order.BOOKED, order__booked_on__gte=since)
    if customer_ids is not None:
        ids = list(customer_ids)
        orders, lines = orders.filter(customer_id__in=ids), lines.filter(order__customer_id__in=ids)
        returns = returns.filter(customer_id__in=ids)
    out: dict[int, dict] = {}
    for row in orders.values("customer_id").annotate(cum=Sum(F("total") - F("returned")), first=Min("booked_on"),
                                                     last=Max("booked_on")):
        out[row["customer_id"]] = {
            "cumulative_amount": row["cum"], "first_trade_on": row["first"], "last_trade_on": row["last"],
            "purchase_quantity": Decimal(0), "purchase_amount": ZERO, "purchase_avg_price": None,
            "product_count": 0, "sales_structure": None,
        }
    refunds = defaultdict(lambda: ZERO)
    for row in returns.values("customer_id", "line__product__category").annotate(r=Sum("refund")):
        refunds[(row["customer_id"], row["line__product__category"])] = row["r"]
    by_category: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in lines.values("order__customer_id", "product__category").annotate(
            q=Sum(F("quantity") - F("returned_quantity")), a=Sum("amount")):
        pk, category = row["order__customer_id"], row["product__category"]
        figures = out[pk]
        amount = row["a"] - refunds[(pk, category)]
        figures["purchase_quantity"] += row["q"]
        figures["purchase_amount"] += amount
        by_category[pk][category or _("Uncategorised")] = amount
    for row in lines.values("order__customer_id").annotate(n=Count("product_id", distinct=True)):
        out[row["order__customer_id"]]["product_count"] = row["n"]
    for pk, figures in out.items():
        q, a = figures["purchase_quantity"], figures["purchase_amount"]
        figures["purchase_avg_price"] = (a / q).quantize(FEN, rounding=ROUND_HALF_UP) if q else None
        # The catalogue field keeps 2 places; round here, the same way on every database.
        figures["purchase_quantity"] = q.quantize(FEN, rounding=ROUND_HALF_UP)
        shares = by_category.get(pk)
        if shares and a:
            figures["sales_structure"] = {
                c: str((v * 100 / a).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) for c, v in sorted(shares.items())
            }
    return out


# --- queues -------------------------------------------------------------------------------------------
def payments_to_confirm() -> QuerySet[Payment]:
    return Payment.objects.filter(status=Payment.Status.PENDING).select_related("customer", "for_order")


def orders_to_approve() -> QuerySet[Order]:
    return Order.objects.filter(status__in=(S.PAID, S.CREDIT)).select_related("customer")


def orders_to_ship() -> QuerySet[Order]:
    return Order.objects.filter(status=S.APPROVED).select_related("customer")


def orders_to_deliver() -> QuerySet[Order]:
    return Order.objects.filter(status=S.SHIPPED).select_related("customer")


def account_periods_to_decide(user):
    from .models import AccountPeriodApplication

    return AccountPeriodApplication.objects.filter(status=AccountPeriodApplication.Status.PENDING,
                                                   customer__in=visible_customers(user))


# --- the statement in SQL: running balance by a window function, paged ----------------------------
@dataclass(frozen=True)
class StatementPage:
    opening: Decimal  # the balance before the statement's first row (the month's opening, or zero)
    closing: Decimal  # the balance after its last row
    rows: list[StatementRow]  # this page's rows, oldest first
    count: int  # rows in the whole statement
    page: int
    per_page: int

    @property
    def has_older(self) -> bool:
        return self.page * self.per_page < self.count

    @property
    def carried(self) -> Decimal:
        """The balance brought forward to this page's first row."""
        if not self.rows:
            return self.closing
        first = self.rows[0]
        return first.balance + first.debit - first.credit


def _statement_sql(customer_id: int, start: date | None, end: date | None, latest: int | None = None
                   ) -> tuple[str, list]:
    """One UNION ALL of the statement's sources as (day, sort, id, kind, reference, debit, credit); money in
    fen as integers, so the window sum is exact on every database. With `latest`, only each source's latest
    rows (through its (customer, date) index): whatever the statement's latest `latest` rows are, they are
    among these, and so is every row newer than any of them."""
    parts: list[str] = []
    params: list = []
    q = connection.ops.quote_name

    def source(select: str, conditions: list[str], day: str, args: list) -> None:
        alias = day.split(".", 1)[0]  # the source's table alias: o, c, p, r
        conditions, args = [*conditions], [customer_id, *args]
        if start:
            conditions.append(f"{day} >= %s")
            args.append(start)
        if end:
            conditions.append(f"{day} <= %s")
            args.append(end)
        part = f"{select} WHERE {' AND '.join(conditions)}"
        if latest is not None:
            part = (f"SELECT * FROM ({part} ORDER BY {day} DESC, {alias}.id DESC LIMIT {int(latest)}) "
                    f"AS s{len(parts)}")
        parts.append(part)
        params.extend(args)

    booked = ", ".join(["%s"] * len(Order.BOOKED))
    source(f"SELECT o.booked_on AS day, 1 AS sort, o.id AS id, 'order' AS kind, o.number AS reference, "
           f"ROUND(o.total * 100) AS debit, 0 AS credit FROM {q(Order._meta.db_table)} o",
           ["o.customer_id = %s", f"o.status IN ({booked})"], "o.booked_on", [str(s) for s in Order.BOOKED])
    source(f"SELECT c.{q('on')} AS day, 2 AS sort, c.id AS id, c.kind AS kind, c.description AS reference, "
           f"ROUND(c.amount * 100) AS debit, 0 AS credit FROM {q(Charge._meta.db_table)} c",
           ["c.customer_id = %s"], f"c.{q('on')}", [])
    source(f"SELECT p.received_on AS day, 3 AS sort, p.id AS id, p.method AS kind, p.reference AS reference, "
           f"0 AS debit, ROUND((p.amount - p.discount_interest) * 100) AS credit FROM {q(Payment._meta.db_table)} p",
           ["p.customer_id = %s", "p.status = %s"], "p.received_on", [str(CONFIRMED)])
    source(f"SELECT r.{q('on')} AS day, 4 AS sort, r.id AS id, 'return' AS kind, o.number AS reference, "
           f"0 AS debit, ROUND(r.refund * 100) AS credit FROM {q(Return._meta.db_table)} r "
           f"JOIN {q(Order._meta.db_table)} o ON o.id = r.order_id",
           ["r.customer_id = %s"], f"r.{q('on')}", [])
    return " UNION ALL ".join(parts), params


def _from_fen(value) -> Decimal:
    return (Decimal(int(value)) / 100).quantize(FEN)


def _statement_row(day, sort, kind, reference, debit, credit, running, opening) -> StatementRow:
    if sort == 1:
        label = _("Order")
    elif sort == 2:
        label = str(Charge.Kind(kind).label)
    elif sort == 3:
        label = str(Payment.Method(kind).label)
    else:
        label = _("Return")
    return StatementRow(_as_date(day), label, reference, _from_fen(debit), _from_fen(credit),
                        opening + _from_fen(running))


def statement_page(customer_id: int, start: date | None = None, end: date | None = None, *, page: int = 1,
                   per_page: int = 300) -> StatementPage:
    """The latest `per_page` rows of the statement (page 1), or the `per_page` before them (page 2) …, each with
    its running balance; the database sums and counts, Python only shows. The closing balance is an aggregate;
    each row's balance is the closing one less what came after it, a window function over the sources'
    latest rows, so a page costs the same for ten orders or ten thousand."""
    opening = balance(customer_id, until=start - timedelta(days=1)) if start else ZERO
    page = max(1, page)
    skip = (page - 1) * per_page
    union, params = _statement_sql(customer_id, start, end)
    latest, latest_params = _statement_sql(customer_id, start, end, latest=skip + per_page)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(s.credit - s.debit) FROM ({union}) s", params)
        count, net = cursor.fetchone()
        cursor.execute(f"""
            SELECT day, sort, kind, reference, debit, credit,
                   SUM(credit - debit) OVER (ORDER BY day DESC, sort DESC, id DESC
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newer
            FROM ({latest}) s ORDER BY day DESC, sort DESC, id DESC LIMIT %s OFFSET %s""",
                       [*latest_params, per_page, skip])
        fetched = cursor.fetchall()
    closing = opening + _from_fen(net or 0)
    rows = [_statement_row(day, sort, kind, reference, debit, credit, 0, closing - _from_fen(newer or 0))
            for day, sort, kind, reference, debit, credit, newer in reversed(fetched)]
    return StatementPage(opening, closing, rows, count, page, per_page)


def statement_rows(customer_id: int, start: date | None = None, end: date | None = None) -> Iterator[StatementRow]:
    """Every row of the statement, oldest first, with its running balance (for the .xlsx), fetched in chunks."""
    opening = balance(customer_id, until=start - timedelta(days=1)) if start else ZERO
    union, params = _statement_sql(customer_id, start, end)
    sql = f"""
        SELECT s.day, s.sort, s.kind, s.reference, s.debit, s.credit,
               SUM(s.credit - s.debit) OVER (ORDER BY s.day, s.sort, s.id
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
        FROM ({union}) s ORDER BY s.day, s.sort, s.id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(2_000):
            for row in chunk:
                yield _statement_row(*row, opening)
