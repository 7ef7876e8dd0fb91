"""Write side of orders (DOMAIN §5): one function per verb. Order states move through the ORDER
workflow (crm.workflow: lock, map, permission, save, event row, audit); money moves lock the customer's
credit row first, so two clerks or two reps acting on one customer at once are serialised."""
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import audit
from crm import roles as r
from crm.errors import AppError
from crm.notifications import notify, notify_each
from crm.workdays import add_working_days
from crm.workflow import Move, Transition, Workflow
from customers import policy
from customers import services as customer_services
from customers.models import Customer
from customers.selectors import unit_ids_with_ancestors

from . import permissions, selectors
from .models import (
    FEN,
    ZERO,
    AccountPeriodApplication,
    Allocation,
    Charge,
    CreditTerms,
    Order,
    OrderEvent,
    OrderLine,
    OrderSequence,
    OverdueSuspension,
    Payment,
    Product,
    Return,
    TransitClaim,
)

S = Order.Status
SHIP_WITHIN_WORKING_DAYS = 2
CLAIM_WINDOW_DAYS = 7
SETTLEMENT_DAY = 5  # account-period goods of a month are paid by the 5th of the next month
MAX_ACCOUNT_PERIOD_DAYS = 31


class OrderError(AppError):
    code = "orders.refused"


def fen(value) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _audit_order(move: Move) -> None:
    if move.verb == "approved":
        audit.record("approve", actor=move.actor,
                     customers=[move.obj.customer], subject=move.obj.number, reason=move.comment,
                     detail={"what": "order", "to": move.target})


def _step(verb: str, permission) -> Transition:
    return Transition(verb, permission)


_CANCEL = _step("cancelled", permissions.can_cancel)
ORDER = Workflow(
    model=Order,
    event_model=OrderEvent,
    event_fk="order",
    transitions={
        S.DRAFT: {S.SUBMITTED: _step("submitted", permissions.can_submit), S.CANCELLED: _CANCEL},
        S.SUBMITTED: {S.PAID: _step("paid", permissions.can_confirm_payments),
                      S.CREDIT: _step("credit", permissions.can_submit), S.CANCELLED: _CANCEL},
        S.PAID: {S.APPROVED: _step("approved", permissions.can_approve), S.CANCELLED: _CANCEL},
        S.CREDIT: {S.APPROVED: _step("approved", permissions.can_approve), S.CANCELLED: _CANCEL},
        S.APPROVED: {S.SHIPPED: _step("shipped", permissions.can_ship), S.CANCELLED: _CANCEL},
        S.SHIPPED: {S.DELIVERED: _step("delivered", permissions.can_ship)},
        S.DELIVERED: {S.CLOSED: _step("closed", permissions.can_close)},
        S.CLOSED: {},
        S.CANCELLED: {},
    },
    audit=_audit_order,
    also_save=("updated_at",),
)


# --- credit terms and charges (also the dealers app's interface) --------------------------------
def _lock_customer(customer_id: int) -> Customer:
    """Every money move on a customer takes this lock first: balances and credit are then consistent."""
    return Customer.objects.select_for_update().only("pk", "customer_status", "account_manager_id", "unit_id",
                                                     "name").get(pk=customer_id)


def set_credit_terms(customer, *, limit, period_days: int, source: str, reference: str = "", actor=None) -> CreditTerms:
    """Creates or replaces the customer's credit terms; the source says where they came from."""
    if source not in CreditTerms.Source.values:
        raise OrderError("orders.bad_credit_source", _("Unknown source of credit terms."))
    limit = fen(limit)
    if limit < 0 or period_days < 0:
        raise OrderError("orders.bad_credit", _("The credit limit and period cannot be negative."))
    with transaction.atomic():
        _lock_customer(customer.pk)
        terms, _created = CreditTerms.objects.update_or_create(
            customer_id=customer.pk,
            defaults={"limit": limit, "period_days": period_days, "source": source, "reference": reference[:200]},
        )
        audit.record("approve", actor=actor, customers=[customer], subject=str(limit),
                     detail={"what": "credit_terms", "limit": str(limit), "period_days": period_days, "source": source,
                             "reference": reference[:200]})
    return terms


def add_charge(customer, *, kind: str, amount, on: date, description: str = "", actor=None) -> Charge:
    """A fee the customer owes (franchise, membership, operating); it lowers the balance."""
    if kind not in Charge.Kind.values:
        raise OrderError("orders.bad_charge_kind", _("Unknown kind of charge."))
    amount = fen(amount)
    if amount <= 0:
        raise OrderError("orders.bad_amount", _("The amount must be more than zero."))
    with transaction.atomic():
        _lock_customer(customer.pk)
        return Charge.objects.create(customer_id=customer.pk, kind=kind, amount=amount, on=on,
                                     description=description[:200], created_by=actor)


# --- order entry ----------------------------------------------------------------------------------
def _next_number(on: date) -> str:
    sequence, _created = OrderSequence.objects.select_for_update().get_or_create(day=on)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"SO{on:%Y%m%d}-{sequence.last:04d}"


def create_order(*, actor, customer: Customer, lines: Sequence[dict], delivery_address: str, transport: str,
                 destination_station: str = "", remittance=ZERO, notes: str = "", payment_mode: str = "cash") -> Order:
    """A draft order; line amounts and the total are computed here, never typed."""
    if not permissions.can_enter_orders(actor):
        raise OrderError("orders.cannot_enter", _("You cannot enter orders."))
    if not lines:
        raise OrderError("orders.no_lines", _("An order needs at least one line."))
    with transaction.atomic():
        order = Order.objects.create(
            number=_next_number(timezone.localdate()), customer=customer, created_by=actor,
            delivery_address=delivery_address, transport=transport, destination_station=destination_station,
            remittance=fen(remittance or 0), notes=notes, payment_mode=payment_mode,
        )
        built = []
        for line in lines:
            product: Product = line["product"]
            quantity, price = Decimal(line["quantity"]), fen(line["unit_price"])
            if quantity <= 0 or price < 0:
                raise OrderError("orders.bad_line", _("Quantities must be more than zero and prices not negative."))
            built.append(OrderLine(order=order, product=product, quantity=quantity, unit_price=price,
                                   specification=line.get("specification") or product.specification,
                                   amount=fen(quantity * price)))
        OrderLine.objects.bulk_create(built)
        order.total = sum((line.amount for line in built), ZERO)
        order.save(update_fields=["total"])
        OrderEvent.objects.create(order=order, kind="created", actor=actor, data={"total": str(order.total)})
    return order


def _required_missing(customer: Customer) -> list:
    full = Customer.objects.get(pk=customer.pk)
    return full.missing_fields("required")


def submit_order(*, actor, order_id: int) -> Order:
    """Draft → submitted; on credit it goes on to "within credit" at once or is refused with what is left.
    No order for a suspended customer, nor for one whose required fields are empty."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        customer = _lock_customer(order.customer_id)
        if customer.customer_status != "active":
            raise OrderError("orders.customer_suspended",
                             _("%(customer)s is %(status)s: no new orders until it is settled."),
                             customer=customer.name, status=Customer(customer_status=customer.customer_status)
                             .get_customer_status_display())
        missing = _required_missing(customer)
        if missing:
            raise OrderError("orders.record_incomplete",
                             _("No order without a complete CRM record: fill in %(fields)s first."),
                             fields="、".join(str(spec.label) for spec in missing))
        balance = selectors.balance(customer.pk)
        Order.objects.filter(pk=order.pk).update(previous_balance=balance)
        order = ORDER.move(order, S.SUBMITTED, actor=actor, total=str(order.total))
        if order.payment_mode == Order.Payment.CREDIT:
            terms = CreditTerms.objects.filter(customer_id=customer.pk).first()
            remaining = (terms.limit if terms else ZERO) + balance
            if terms is None or terms.limit <= 0:
                raise OrderError("orders.no_credit", _("%(customer)s has no credit terms: pay before delivery."),
                                 customer=customer.name)
            if order.total > remaining:
                raise OrderError("orders.over_credit",
                                 _("The order (%(total)s) is over the remaining credit of %(remaining)s."),
                                 total=order.total, remaining=max(remaining, ZERO))
            today = timezone.localdate()
            due = _credit_due(terms, today)

            def book(obj):
                obj.booked_on, obj.due_on = today, due
                return ["booked_on", "due_on"]

            order = ORDER.move(order, S.CREDIT, actor=actor, side_effect=book, remaining=str(remaining - order.total))
            _refresh_trade_figures(customer.pk)
        if order.remittance > 0:
            Payment.objects.create(customer_id=customer.pk, method=Payment.Method.WIRE, amount=order.remittance,
                                   received_on=timezone.localdate(), payer=customer.name, for_order=order,
                                   created_by=actor, reference=order.number)
    return order


def _credit_due(terms: CreditTerms, booked_on: date) -> date:
    if terms.is_account_period:
        return booked_on.replace(day=1) + relativedelta(months=1, day=SETTLEMENT_DAY)
    return booked_on + timedelta(days=terms.period_days)


# --- payments -------------------------------------------------------------------------------------
def record_payment(*, actor, customer: Customer, method: str, amount, received_on: date, reference: str = "",
                   payer: str = "", discount_interest=ZERO, for_order: Order | None = None) -> Payment:
    """A payment as received; it counts once finance confirms it."""
    if not permissions.can_confirm_payments(actor):
        raise OrderError("orders.cannot_confirm", _("Only finance confirms payments."))
    amount, interest = fen(amount), fen(discount_interest or 0)
    if amount <= 0:
        raise OrderError("orders.bad_amount", _("The amount must be more than zero."))
    if interest and method != Payment.Method.ACCEPTANCE_BILL:
        raise OrderError("orders.interest_only_bills", _("Discount interest applies to bank acceptance bills only."))
    if interest < 0 or interest >= amount:
        raise OrderError("orders.bad_interest", _("The discount interest must be less than the bill's amount."))
    return Payment.objects.create(customer=customer, method=method, amount=amount, discount_interest=interest,
                                  received_on=received_on, reference=reference, payer=payer, for_order=for_order,
                                  created_by=actor)


def _outstanding_orders(customer_id: int, first: Iterable[int] = ()) -> list[Order]:
    """Orders a payment may settle: named ones first, then the oldest (submitted cash orders and booked ones)."""
    candidates = list(
        Order.objects.select_for_update()
        .filter(customer_id=customer_id, status__in=(S.SUBMITTED, *Order.BOOKED))
        .filter(total__gt=F("allocated") + F("returned"))
        .exclude(status=S.SUBMITTED, payment_mode=Order.Payment.CREDIT)
        .order_by("created_at", "id")
    )
    wanted = [pk for pk in first if pk]
    return sorted(candidates, key=lambda o: (o.pk not in wanted, wanted.index(o.pk) if o.pk in wanted else 0))


def _allocate(payment: Payment, orders: list[Order], actor) -> list[Order]:
    """Spreads the payment's unallocated credit over the orders; covered cash orders become paid."""
    left = payment.unallocated
    touched = []
    for order in orders:
        if left <= 0:
            break
        share = min(left, order.outstanding)
        if share <= 0:
            continue
        Allocation.objects.create(payment=payment, order=order, amount=share)
        Order.objects.filter(pk=order.pk).update(allocated=F("allocated") + share)
        order.allocated += share
        left -= share
        touched.append(order)
        if order.status == S.SUBMITTED and order.covered:
            today = timezone.localdate()

            def book(obj, today=today):
                obj.booked_on = today
                return ["booked_on"]

            ORDER.move(order, S.PAID, actor=actor, side_effect=book, payment=payment.pk)
        elif order.status == S.DELIVERED and order.covered:
            ORDER.move(order, S.CLOSED, actor=actor)
    Payment.objects.filter(pk=payment.pk).update(allocated=payment.credited - left)
    payment.allocated = payment.credited - left
    return touched


def confirm_payment(*, actor, payment_id: int, orders: Sequence[int] = ()) -> Payment:
    """Finance confirms a received payment once (a second clerk at the same moment is refused), and it is
    allocated to the named orders, then the oldest; what is left stays on the customer's balance."""
    if not permissions.can_confirm_payments(actor):
        raise OrderError("orders.cannot_confirm", _("Only finance confirms payments."))
    with transaction.atomic():
        customer_id = Payment.objects.values_list("customer_id", flat=True).get(pk=payment_id)
        _lock_customer(customer_id)
        # A conditional update: of two confirmations racing, exactly one changes a row.
        changed = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
            status=Payment.Status.CONFIRMED, confirmed_by=actor, confirmed_at=timezone.now())
        if not changed:
            raise OrderError("orders.already_confirmed", _("This payment has already been dealt with."))
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        _allocate(payment, _outstanding_orders(customer_id, [payment.for_order_id, *orders]), actor)
        audit.record("approve", actor=actor, customers=[payment.customer_id], subject=str(payment.amount),
                     detail={"what": "payment", "payment": payment.pk, "method": payment.method, "allocated": str(payment.allocated)})
        _refresh_trade_figures(customer_id)
        _lift_if_settled(customer_id, actor)
    return payment


def reject_payment(*, actor, payment_id: int, reason: str) -> Payment:
    """A payment finance could not find in the bank; it never counted."""
    if not permissions.can_confirm_payments(actor):
        raise OrderError("orders.cannot_confirm", _("Only finance confirms payments."))
    if not (reason or "").strip():
        raise OrderError("orders.reason_required", _("Give a reason."))
    changed = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        status=Payment.Status.REJECTED, confirmed_by=actor, confirmed_at=timezone.now(), reference=reason[:100])
    if not changed:
        raise OrderError("orders.already_confirmed", _("This payment has already been dealt with."))
    return Payment.objects.get(pk=payment_id)


def allocate_balance(*, actor, customer_id: int, orders: Sequence[int] = ()) -> int:
    """Applies confirmed payments' unallocated credit to outstanding orders (named ones first)."""
    if not permissions.can_confirm_payments(actor):
        raise OrderError("orders.cannot_confirm", _("Only finance confirms payments."))
    with transaction.atomic():
        _lock_customer(customer_id)
        touched = 0
        for payment in Payment.objects.select_for_update().filter(
                customer_id=customer_id, status=Payment.Status.CONFIRMED,
                allocated__lt=F("amount") - F("discount_interest")).order_by("received_on", "id"):
            touched += len(_allocate(payment, _outstanding_orders(customer_id, orders), actor))
        _refresh_trade_figures(customer_id)
        _lift_if_settled(customer_id, actor)
    return touched


# --- approval, shipping, delivery, cancellation ------------------------------------------------
def approve_order(*, actor, order_id: int, comment: str = "", today: date | None = None) -> Order:
    """The general manager (or a delegate) approves a paid or credit order; it must ship within 2 working days."""
    today = today or timezone.localdate()

    def stamp(obj):
        obj.approved_on, obj.approved_by = today, actor
        obj.ship_due_on = add_working_days(today, SHIP_WITHIN_WORKING_DAYS)
        return ["approved_on", "approved_by", "ship_due_on"]

    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == S.SUBMITTED:
            raise OrderError("orders.not_paid",
                             _("Cash before delivery: %(number)s waits for a confirmed payment covering %(total)s "
                               "(%(paid)s so far)."), number=order.number, total=order.total, paid=order.allocated)
        return ORDER.move(order, S.APPROVED, actor=actor, comment=comment, side_effect=stamp)


def ship_order(*, actor, order_id: int, carrier: str, waybill: str, shipped_on: date) -> Order:
    if not carrier.strip() or not waybill.strip():
        raise OrderError("orders.waybill_required", _("Give the carrier and the waybill number."))

    def stamp(obj):
        obj.carrier, obj.waybill, obj.shipped_on = carrier.strip(), waybill.strip(), shipped_on
        return ["carrier", "waybill", "shipped_on"]

    order = Order.objects.get(pk=order_id)
    if order.approved_on and shipped_on < order.approved_on:
        raise OrderError("orders.ship_before_approval", _("An order cannot ship before it was approved (%(on)s)."),
                         on=order.approved_on)
    return ORDER.move(order_id, S.SHIPPED, actor=actor, side_effect=stamp, carrier=carrier, waybill=waybill,
                      late=bool(order.ship_due_on and shipped_on > order.ship_due_on))


def deliver_order(*, actor, order_id: int, delivered_on: date) -> Order:
    def stamp(obj):
        obj.delivered_on = delivered_on
        return ["delivered_on"]

    with transaction.atomic():
        order = ORDER.move(order_id, S.DELIVERED, actor=actor, side_effect=stamp)
        if order.covered:
            order = ORDER.move(order, S.CLOSED, actor=actor)
    return order


def cancel_order(*, actor, order_id: int, reason: str) -> Order:
    """Before shipping only, with a reason; money allocated to it goes back to the customer's balance."""
    if not (reason or "").strip():
        raise OrderError("orders.reason_required", _("Give a reason."))
    with transaction.atomic():
        customer_id = Order.objects.values_list("customer_id", flat=True).get(pk=order_id)
        _lock_customer(customer_id)

        def release(obj):
            for allocation in Allocation.objects.filter(order=obj).select_related("payment"):
                Payment.objects.filter(pk=allocation.payment_id).update(allocated=F("allocated") - allocation.amount)
            Allocation.objects.filter(order=obj).delete()
            obj.allocated, obj.cancel_reason = ZERO, reason.strip()[:300]
            return ["allocated", "cancel_reason"]

        order = ORDER.move(order_id, S.CANCELLED, actor=actor, comment=reason.strip(), side_effect=release)
        _refresh_trade_figures(customer_id)
        _lift_if_settled(customer_id, actor)
    return order


# --- returns and transit claims ------------------------------------------------------------------
def record_return(*, actor, line_id: int, quantity, reason: str, on: date, hq_at_fault: bool = False) -> Return:
    """Only HQ-approved products, within their window from delivery; the refund is credited to the balance."""
    if not permissions.can_record_returns(actor):
        raise OrderError("orders.cannot_return", _("You cannot record returns."))
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise OrderError("orders.bad_quantity", _("The quantity must be more than zero."))
    if not (reason or "").strip():
        raise OrderError("orders.reason_required", _("Give a reason."))
    with transaction.atomic():
        line = OrderLine.objects.select_related("product", "order").get(pk=line_id)
        _lock_customer(line.order.customer_id)
        line = OrderLine.objects.select_for_update().select_related("product", "order").get(pk=line_id)
        order = line.order
        if order.status not in (S.DELIVERED, S.CLOSED) or order.delivered_on is None:
            raise OrderError("orders.return_not_delivered", _("Only delivered goods can be returned."))
        if not line.product.returnable:
            raise OrderError("orders.not_returnable", _("%(product)s is not approved by HQ for return."),
                             product=line.product.name)
        closes = order.delivered_on + timedelta(days=line.product.return_days)
        if on > closes:
            raise OrderError("orders.return_window_closed",
                             _("The return window for %(product)s closed on %(date)s."),
                             product=line.product.name, date=closes)
        if line.returned_quantity + quantity > line.quantity:
            raise OrderError("orders.return_too_many", _("At most %(left)s can still be returned."),
                             left=line.quantity - line.returned_quantity)
        refund = fen(quantity * line.unit_price)
        created = Return.objects.create(line=line, order=order, customer_id=order.customer_id, quantity=quantity,
                                        refund=refund, hq_at_fault=hq_at_fault, reason=reason.strip(), on=on,
                                        created_by=actor)
        OrderLine.objects.filter(pk=line.pk).update(returned_quantity=F("returned_quantity") + quantity)
        Order.objects.filter(pk=order.pk).update(returned=F("returned") + refund)
        OrderEvent.objects.create(order=order, kind="returned", actor=actor, comment=reason.strip(),
                                  data={"line": line.pk, "quantity": str(quantity), "refund": str(refund)})
        _refresh_trade_figures(order.customer_id)
        _lift_if_settled(order.customer_id, actor)
    return created


def file_claim(*, actor, order_id: int, kind: str, description: str, evidence, on: date) -> TransitClaim:
    """Damage or loss in transit, within 7 days of delivery, with evidence."""
    if not permissions.can_file_claims(actor):
        raise OrderError("orders.cannot_claim", _("You cannot file transit claims."))
    order = Order.objects.get(pk=order_id)
    if order.shipped_on is None:
        raise OrderError("orders.claim_not_shipped", _("A claim is filed against a shipment: this order has not shipped."))
    if order.delivered_on is not None:
        closes = order.delivered_on + timedelta(days=CLAIM_WINDOW_DAYS)
        if on > closes:
            raise OrderError("orders.claim_window_closed",
                             _("Claims for this shipment closed on %(date)s (7 days after delivery)."), date=closes)
    if not evidence:
        raise OrderError("orders.evidence_required", _("Attach evidence of the damage or loss."))
    with transaction.atomic():
        claim = TransitClaim.objects.create(order=order, kind=kind, description=description, evidence=evidence,
                                            reported_on=on, created_by=actor)
        OrderEvent.objects.create(order=order, kind="claim", actor=actor, comment=description[:200],
                                  data={"claim": claim.pk, "kind": kind})
    return claim


# --- account-period customers (账期) -------------------------------------------------------------
def apply_account_period(*, actor, customer: Customer, limit, period_days: int, investigation: str
                         ) -> AccountPeriodApplication:
    if not permissions.can_apply_account_period(actor):
        raise OrderError("orders.cannot_apply", _("You cannot apply for an account period."))
    if period_days < 1 or period_days > MAX_ACCOUNT_PERIOD_DAYS:
        raise OrderError("orders.period_too_long", _("The account period is at most one month."))
    if not (investigation or "").strip():
        raise OrderError("orders.investigation_required", _("Describe the credit investigation."))
    if AccountPeriodApplication.objects.filter(customer=customer, status=AccountPeriodApplication.Status.PENDING).exists():
        raise OrderError("orders.application_pending", _("An application for this customer is already waiting."))
    return AccountPeriodApplication.objects.create(customer=customer, limit=fen(limit), period_days=period_days,
                                                   investigation=investigation.strip(), applicant=actor)


def decide_account_period(*, actor, application_id: int, approve: bool, comment: str = "") -> AccountPeriodApplication:
    """The sales manager decides; approval sets the customer's credit terms (source: account period)."""
    if not permissions.can_decide_account_period(actor):
        raise OrderError("orders.cannot_decide", _("Only a sales manager decides account-period applications."))
    with transaction.atomic():
        application = AccountPeriodApplication.objects.select_for_update().get(pk=application_id)
        if application.status != AccountPeriodApplication.Status.PENDING:
            raise OrderError("orders.already_decided", _("This application has already been decided."))
        application.status = (AccountPeriodApplication.Status.APPROVED if approve
                              else AccountPeriodApplication.Status.REJECTED)
        application.decided_by, application.decided_at, application.comment = actor, timezone.now(), comment
        application.save(update_fields=["status", "decided_by", "decided_at", "comment"])
        if approve:
            set_credit_terms(application.customer, limit=application.limit, period_days=application.period_days,
                             source=CreditTerms.Source.ACCOUNT_PERIOD, reference=f"#{application.pk}", actor=actor)
    return application


# --- overdue: suspension and lifting --------------------------------------------------------------
def _alert_recipients(customers) -> dict[int, list]:
    """Per customer (rows with pk, unit_id, account_manager_id): the owner and the sales managers over the
    customer's unit (all sales managers if none is placed there). A few queries for any number of customers."""
    users = get_user_model().objects.filter(is_active=True)
    managers = {u.pk: u for u in users.filter(groups__name=r.SALES_MANAGER)}
    placed_in: dict[int, set[int]] = {}
    for user_id, unit_id in users.filter(pk__in=managers, staff_profile__units__isnull=False).values_list(
            "pk", "staff_profile__units"):
        placed_in.setdefault(unit_id, set()).add(user_id)
    owners = {u.pk: u for u in users.filter(pk__in={c.account_manager_id for c in customers if c.account_manager_id})}
    by_unit: dict[int, list] = {}
    out = {}
    for customer in customers:
        if customer.unit_id not in by_unit:
            over = unit_ids_with_ancestors([customer.unit_id])
            placed = {pk for unit in over for pk in placed_in.get(unit, ())}
            by_unit[customer.unit_id] = [managers[pk] for pk in sorted(placed)] or list(managers.values())
        recipients = {u.pk: u for u in by_unit[customer.unit_id]}
        if customer.account_manager_id in owners:
            recipients[customer.account_manager_id] = owners[customer.account_manager_id]
        out[customer.pk] = list(recipients.values())
    return out


def _alerts(customers, subject) -> list[tuple]:
    """`notify_each` messages for the owner and the sales managers of each customer. `subject(name)` is the text; a
    recipient the policy does not show the customer (a secret record, a manager of another unit) reads it by its
    masked name and gets no link to a page that would not open for it. One visibility query per recipient."""
    recipients = _alert_recipients(customers)
    ids = [c.pk for c in customers]
    people = {u.pk: u for users in recipients.values() for u in users}
    sees = {pk: set(policy.visible_customers(u).filter(pk__in=ids).values_list("pk", flat=True))
            for pk, u in people.items()}
    messages = []
    for customer in customers:
        seeing = [u for u in recipients[customer.pk] if customer.pk in sees[u.pk]]
        blind = [u for u in recipients[customer.pk] if customer.pk not in sees[u.pk]]
        if seeing:
            messages.append((seeing, subject(customer.name), reverse("customers:detail", args=[customer.pk]), ""))
        if blind:
            messages.append((blind, subject(policy.masked_name(customer)), "", ""))
    return messages


def _overdue_subject(name) -> str:
    return str(_("Payment overdue: %(customer)s is suspended") % {"customer": name})


def _alert(customer: Customer, subject) -> None:
    notify_each(_alerts([customer], subject))


OVERDUE_REASON = _("Payment overdue: no new orders until settled.")


def suspend_overdue(customer_id: int, today: date) -> bool:
    """First overdue day: alert the owner and the sales managers, suspend the customer (once). One customer
    at a time; the daily scan does the same for all of them at once (`suspend_overdue_many`)."""
    with transaction.atomic():
        customer = _lock_customer(customer_id)
        if OverdueSuspension.objects.filter(customer_id=customer_id, lifted_on__isnull=True).exists():
            return False
        if not selectors.overdue_orders(today).filter(customer_id=customer_id).exists():
            return False
        OverdueSuspension.objects.create(customer_id=customer_id, since=today)
        customer_services.settlement_status(customer_id=customer_id, suspend=True, reason=str(OVERDUE_REASON))
        _alert(customer, _overdue_subject)
    return True


def suspend_overdue_many(customer_ids: Sequence[int], today: date) -> list[int]:
    """`suspend_overdue` set-based: the customers among the ids with an overdue order and no open suspension
    get their suspension row, the customers app's status move (one UPDATE, the same history and timeline rows)
    and their alerts (one insert). Returns the ids so suspended."""
    with transaction.atomic():
        locked = list(Customer.objects.select_for_update().filter(pk__in=list(customer_ids)).order_by("pk")
                      .only("pk", "name", "customer_code", "unit_id", "account_manager_id", "confidentiality_level"))
        ids = [c.pk for c in locked]
        suspended = set(OverdueSuspension.objects.filter(customer_id__in=ids, lifted_on__isnull=True)
                        .values_list("customer_id", flat=True))
        overdue = set(selectors.overdue_orders(today).filter(customer_id__in=ids).order_by()
                      .values_list("customer_id", flat=True).distinct())
        due = [c for c in locked if c.pk in overdue and c.pk not in suspended]
        if not due:
            return []
        OverdueSuspension.objects.bulk_create(OverdueSuspension(customer_id=c.pk, since=today) for c in due)
        customer_services.settlement_suspend_many(customer_ids=[c.pk for c in due], reason=str(OVERDUE_REASON))
        notify_each(_alerts(due, _overdue_subject))
    return [c.pk for c in due]


def _lift_if_settled(customer_id: int, actor) -> bool:
    """Lifts the overdue suspension once no order is overdue any more (called under the customer lock)."""
    today = timezone.localdate()
    open_ = OverdueSuspension.objects.filter(customer_id=customer_id, lifted_on__isnull=True).first()
    if open_ is None or selectors.overdue_orders(today).filter(customer_id=customer_id).exists():
        return False
    OverdueSuspension.objects.filter(pk=open_.pk).update(lifted_on=today)
    customer_services.settlement_status(customer_id=customer_id, suspend=False, actor=actor,
                                        reason=str(_("Overdue payment settled: suspension lifted.")))
    return True


OVERDUE_SCAN_BATCH = 1_000


def overdue_scan(today: date | None = None):
    """Daily: every customer with an overdue order and no open suspension is suspended and alerted, a
    thousand customers per transaction, set-based."""
    from crm.jobs import run_over_ids

    today = today or timezone.localdate()
    overdue = selectors.overdue_orders(today).order_by().values("customer_id")
    candidates = list(Customer.objects.filter(pk__in=overdue).exclude(
        pk__in=OverdueSuspension.objects.filter(lifted_on__isnull=True).values("customer_id"))
        .values_list("pk", flat=True))

    def step(chunk):
        return len(chunk), len(suspend_overdue_many(chunk, today))

    return run_over_ids("orders_overdue_scan", candidates, step, batch=OVERDUE_SCAN_BATCH)


def late_shipment_scan(today: date | None = None):
    """Daily: approved orders past their ship-by date are flagged once and escalated to the GM and warehouse."""
    from crm.jobs import run_simple

    today = today or timezone.localdate()

    def work():
        late = list(Order.objects.filter(status=S.APPROVED, ship_due_on__lt=today, late_flagged_on__isnull=True)
                    .values_list("pk", "number"))
        if not late:
            return 0, 0
        Order.objects.filter(pk__in=[pk for pk, _n in late]).update(late_flagged_on=today)
        OrderEvent.objects.bulk_create(OrderEvent(order_id=pk, kind="late", data={"on": str(today)}) for pk, _n in late)
        people = get_user_model().objects.filter(groups__name__in=[r.GENERAL_MANAGER, r.WAREHOUSE], is_active=True)
        notify(set(people), subject=str(_("%(count)s orders are late to ship") % {"count": len(late)}),
               url=reverse("orders:shipping"), body=", ".join(n for _pk, n in late[:50]))
        return len(late), len(late)

    return run_simple("orders_late_shipment_scan", work)


# --- trade figures ---------------------------------------------------------------------------------
def _refresh_trade_figures(customer_id: int) -> None:
    recompute_trade_figures([customer_id])


TRADE_FIELDS = ("purchase_quantity", "purchase_amount", "purchase_avg_price", "product_count", "cumulative_amount",
                "first_trade_on", "last_trade_on", "sales_structure")
RECOMPUTE_BATCH = 5_000


def recompute_trade_figures(customer_ids: Iterable[int] | None = None, *, today: date | None = None) -> int:
    """Writes the customers' computed catalogue fields from their orders (all customers when None), in
    primary-key batches so memory stays bounded. Called under the customer lock after every money move,
    so concurrent orders cannot leave the figures stale. No per-field history: they follow from the
    orders, which keep their own events."""
    from django.db.models import QuerySet

    today = today or timezone.localdate()
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        batches = [ids[i:i + RECOMPUTE_BATCH] for i in range(0, len(ids), RECOMPUTE_BATCH)]
    else:
        if connection.vendor == "postgresql":
            return _recompute_all_in_sql(today)
        # Customers with booked orders, and those that had some (their figures may have to be emptied).
        booked = Order.objects.filter(status__in=Order.BOOKED).values("customer_id")
        traded = Customer.objects.filter(Q(pk__in=booked) | Q(first_trade_on__isnull=False)).order_by("pk")
        batches = _pk_batches(traded.values_list("pk", flat=True))
    written = 0
    plain = QuerySet(model=Customer)  # the customers' own queryset would write history rows for each change
    for batch in batches:
        figures = selectors.trade_figures(batch, today=today)
        rows = [Customer(pk=pk, **figures.get(pk, dict.fromkeys(TRADE_FIELDS))) for pk in batch]
        written += plain.bulk_update(rows, TRADE_FIELDS, batch_size=1_000) or 0
    return written


def _pk_batches(pks) -> Iterable[list[int]]:
    batch: list[int] = []
    for pk in pks.iterator(chunk_size=RECOMPUTE_BATCH):
        batch.append(pk)
        if len(batch) == RECOMPUTE_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


SQL_BATCH = 100_000  # customer ids per UPDATE: each batch reads the order lines once


def _recompute_all_in_sql(today: date) -> int:
    """Every customer's figures on PostgreSQL: one UPDATE … FROM (aggregates) per range of customer ids,
    the same definitions as `selectors.trade_figures` (which the tests hold it to)."""
    from django.utils.translation import gettext

    since = today - relativedelta(months=12) + timedelta(days=1)
    booked = tuple(str(s) for s in Order.BOOKED)
    orders, lines, returns, products = (m._meta.db_table for m in (Order, OrderLine, Return, Product))
    customers = Customer._meta.db_table
    update = f"""
        WITH o AS (SELECT customer_id, sum(total - returned) AS cum, min(booked_on) AS f, max(booked_on) AS l
                   FROM {orders} WHERE status IN %(booked)s AND customer_id BETWEEN %(lo)s AND %(hi)s
                   GROUP BY customer_id),
        cp AS MATERIALIZED (
              SELECT o.customer_id, li.product_id, sum(li.quantity - li.returned_quantity) AS q, sum(li.amount) AS a
              FROM {lines} li JOIN {orders} o ON o.id = li.order_id
              WHERE o.status IN %(booked)s AND o.booked_on >= %(since)s AND o.customer_id BETWEEN %(lo)s AND %(hi)s
              GROUP BY o.customer_id, li.product_id),
        c AS (SELECT cp.customer_id, p.category, sum(cp.q) AS q, sum(cp.a) AS a
              FROM cp JOIN {products} p ON p.id = cp.product_id GROUP BY cp.customer_id, p.category),
        r AS (SELECT o.customer_id, p.category, sum(rt.refund) AS r
              FROM {returns} rt JOIN {orders} o ON o.id = rt.order_id JOIN {lines} li ON li.id = rt.line_id
              JOIN {products} p ON p.id = li.product_id
              WHERE o.status IN %(booked)s AND o.booked_on >= %(since)s AND o.customer_id BETWEEN %(lo)s AND %(hi)s
              GROUP BY o.customer_id, p.category),
        net AS (SELECT c.customer_id, c.category, c.q, c.a - coalesce(r.r, 0) AS a
                FROM c LEFT JOIN r ON r.customer_id = c.customer_id AND r.category = c.category),
        n AS (SELECT customer_id, count(*) AS n FROM cp GROUP BY customer_id),  -- one row per product bought
        t AS (SELECT customer_id, sum(q) AS q, sum(a) AS a FROM net GROUP BY customer_id),
        s AS (SELECT net.customer_id, jsonb_object_agg(
                  CASE WHEN net.category = '' THEN %(uncategorised)s ELSE net.category END,
                  round(net.a * 100 / t.a, 2)::text) AS structure
              FROM net JOIN t ON t.customer_id = net.customer_id WHERE t.a <> 0 GROUP BY net.customer_id)
        UPDATE {customers} AS cu SET
            cumulative_amount = o.cum, first_trade_on = o.f, last_trade_on = o.l,
            purchase_quantity = round(coalesce(t.q, 0), 2), purchase_amount = coalesce(t.a, 0),
            purchase_avg_price = CASE WHEN coalesce(t.q, 0) <> 0 THEN round(t.a / t.q, 2) END,
            product_count = coalesce(n.n, 0), sales_structure = s.structure
        FROM o LEFT JOIN t ON t.customer_id = o.customer_id LEFT JOIN n ON n.customer_id = o.customer_id
            LEFT JOIN s ON s.customer_id = o.customer_id
        WHERE cu.id = o.customer_id AND cu.id BETWEEN %(lo)s AND %(hi)s
            -- only rows that change: a rewritten customer row updates every one of its indexes
            AND (cu.cumulative_amount, cu.first_trade_on, cu.last_trade_on, cu.purchase_quantity, cu.purchase_amount,
                 cu.purchase_avg_price, cu.product_count, cu.sales_structure)
                IS DISTINCT FROM (o.cum, o.f, o.l, round(coalesce(t.q, 0), 2), coalesce(t.a, 0),
                 CASE WHEN coalesce(t.q, 0) <> 0 THEN round(t.a / t.q, 2) END, coalesce(n.n, 0), s.structure)"""
    empty = f"""
        UPDATE {customers} AS cu SET cumulative_amount = NULL, first_trade_on = NULL, last_trade_on = NULL,
            purchase_quantity = NULL, purchase_amount = NULL, purchase_avg_price = NULL, product_count = NULL,
            sales_structure = NULL
        WHERE cu.id BETWEEN %(lo)s AND %(hi)s AND cu.first_trade_on IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {orders} o WHERE o.customer_id = cu.id AND o.status IN %(booked)s)"""
    bounds = Customer.objects.order_by().values_list("pk", flat=True)
    low, high = bounds.order_by("pk").first(), bounds.order_by("-pk").first()
    written = 0
    if low is None:
        return 0
    params = {"booked": booked, "since": since, "uncategorised": gettext("Uncategorised")}
    with connection.cursor() as cursor:
        for lo in range(low, high + 1, SQL_BATCH):
            with transaction.atomic():
                cursor.execute("SET LOCAL work_mem = '128MB'")  # the batch's aggregates hash in memory, not on disk
                cursor.execute(update, {**params, "lo": lo, "hi": lo + SQL_BATCH - 1})
                written += cursor.rowcount
                cursor.execute(empty, {**params, "lo": lo, "hi": lo + SQL_BATCH - 1})
                written += cursor.rowcount
    return written
