"""Products, order applications (订货申请单), payments and their allocation, credit terms, charges,
returns, transit claims and account-period applications (DOMAIN §5). Money is Decimal, fen-exact."""
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY = {"max_digits": 16, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 3}


@lru_cache(maxsize=64)
def _labels(choices: type[models.Choices], language: str | None) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def choice_label(choices: type[models.Choices], value: str) -> str:
    """A choice's label, translated once per language: Django's get_FOO_display() hashes every lazy label of
    the field on each call (a gettext each), which cost a queue page of 50 rows tens of milliseconds."""
    return _labels(choices, get_language()).get(value, value)


def money_field(label, **extra):
    return models.DecimalField(label, default=ZERO, **MONEY, **extra)


class Product(models.Model):
    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("product name"), max_length=200)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    unit = models.CharField(_("unit of measure"), max_length=20, default="件")
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    list_price = models.DecimalField(_("list price"), **MONEY, validators=[MinValueValidator(ZERO)])
    active = models.BooleanField(_("active"), default=True)
    returnable = models.BooleanField(_("HQ-approved for return"), default=False)
    return_days = models.PositiveIntegerField(_("return window (days)"), default=0)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        indexes = [models.Index(fields=["active", "name"], name="product_active_name")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CreditTerms(models.Model):
    """How much a customer may owe and for how long; set by an approved account-period application
    (orders), a credit grade (dealers), or by hand."""

    class Source(models.TextChoices):
        ACCOUNT_PERIOD = "account_period", _("Account-period application")
        GRADE = "grade", _("Credit grade")
        MANUAL = "manual", _("Set by hand")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="credit_terms",
                                    verbose_name=_("customer"))
    limit = models.DecimalField(_("credit limit"), **MONEY, default=ZERO, validators=[MinValueValidator(ZERO)])
    period_days = models.PositiveIntegerField(_("credit period (days)"), default=0)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit terms")
        verbose_name_plural = _("credit terms")

    def __str__(self):
        return f"{self.customer_id}: {self.limit} / {self.period_days}"

    @property
    def is_account_period(self) -> bool:
        return self.source == self.Source.ACCOUNT_PERIOD


class Charge(models.Model):
    """A fee the customer owes besides goods (franchise, membership, operating); on the statements."""

    class Kind(models.TextChoices):
        FRANCHISE_FEE = "franchise_fee", _("Franchise fee")
        MEMBERSHIP_FEE = "membership_fee", _("Membership fee")
        OPERATING_FEE = "operating_fee", _("Operating fee")
        OTHER = "other", _("Other charge")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="charges", verbose_name=_("customer"))
    on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        indexes = [models.Index(fields=["customer", "on"], name="charge_customer_on")]


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        PAID = "paid", _("Paid")
        CREDIT = "credit", _("Within credit")
        APPROVED = "approved", _("Approved")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class Payment(models.TextChoices):
        CASH = "cash", _("Cash before delivery")
        CREDIT = "credit", _("On credit")

    class Transport(models.TextChoices):
        RAIL = "rail", _("Rail")
        ROAD = "road", _("Road")
        AIR = "air", _("Air (freight at the customer's cost)")

    number = models.CharField(_("order number"), max_length=30, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    payment_mode = models.CharField(_("payment method"), max_length=10, choices=Payment.choices, default=Payment.CASH)
    delivery_address = models.CharField(_("delivery address"), max_length=300)
    transport = models.CharField(_("transport"), max_length=10, choices=Transport.choices, default=Transport.ROAD)
    destination_station = models.CharField(_("destination station"), max_length=100, blank=True)
    previous_balance = models.DecimalField(_("previous balance"), **MONEY, default=ZERO, editable=False)
    remittance = models.DecimalField(_("this remittance"), **MONEY, default=ZERO,
                                     validators=[MinValueValidator(ZERO)])
    notes = models.TextField(_("notes"), blank=True)
    total = money_field(_("total"), editable=False)
    allocated = money_field(_("paid so far"), editable=False)
    returned = money_field(_("returned"), editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The day the order counted against the customer: paid, or accepted within credit.
    booked_on = models.DateField(_("booked on"), null=True, blank=True, editable=False)
    due_on = models.DateField(_("payment due"), null=True, blank=True, editable=False)
    approved_on = models.DateField(_("approved on"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False, verbose_name=_("approved by"))
    ship_due_on = models.DateField(_("ship by"), null=True, blank=True, editable=False)
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True, editable=False)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True, editable=False)
    waybill = models.CharField(_("waybill number"), max_length=60, blank=True, editable=False)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True, editable=False)
    late_flagged_on = models.DateField(_("flagged late on"), null=True, blank=True, editable=False)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True, editable=False)

    BOOKED = (Status.PAID, Status.CREDIT, Status.APPROVED, Status.SHIPPED, Status.DELIVERED, Status.CLOSED)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The order lists: newest first, for everyone (finance, GM) and per visible customer (reps).
            models.Index(fields=["-created_at", "-id"], name="order_created"),
            models.Index(fields=["customer", "-created_at", "-id"], name="order_customer_created_id",
                         include=["status"]),
            models.Index(fields=["status", "created_at"], name="order_status_created"),
            # The queues, each in its own order, only over the orders waiting there.
            models.Index(fields=["booked_on", "id"], name="order_to_approve",
                         condition=Q(status__in=["paid", "credit"])),
            models.Index(fields=["ship_due_on", "id"], name="order_to_ship", condition=Q(status="approved")),
            models.Index(fields=["shipped_on", "id"], name="order_in_transit", condition=Q(status="shipped")),
            models.Index(fields=["customer", "booked_on"], name="order_customer_booked"),
            models.Index(fields=["status", "due_on"], name="order_status_due"),
            models.Index(fields=["status", "ship_due_on"], name="order_status_shipdue"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_nonneg"),
            models.CheckConstraint(condition=Q(allocated__gte=0), name="order_allocated_nonneg"),
        ]

    def __str__(self):
        return self.number

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    def get_transport_display(self) -> str:
        return choice_label(self.Transport, self.transport)

    def get_payment_mode_display(self) -> str:
        return choice_label(self.Payment, self.payment_mode)

    @property
    def outstanding(self) -> Decimal:
        """What the customer still owes on this order (returns reduce it)."""
        return max(self.total - self.returned - self.allocated, ZERO)

    @property
    def covered(self) -> bool:
        return self.allocated + self.returned >= self.total

    def ship_late(self, today) -> bool:
        return self.status == self.Status.APPROVED and self.ship_due_on is not None and today > self.ship_due_on


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), **QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    unit_price = models.DecimalField(_("unit price"), **MONEY, validators=[MinValueValidator(ZERO)])
    amount = models.DecimalField(_("amount"), **MONEY, editable=False)
    returned_quantity = models.DecimalField(_("returned quantity"), **QUANTITY, default=Decimal("0"), editable=False)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]


EVENT_LABELS = {
    "created": _("Entered"), "submitted": _("Submitted"), "paid": _("Paid"), "credit": _("Within credit"),
    "approved": _("Approved"), "shipped": _("Shipped"), "delivered": _("Delivered"), "closed": _("Closed"),
    "cancelled": _("Cancelled"), "returned": _("goods returned"), "claim": _("Transit claims"),
    "late": _("late to ship"),
}


class OrderEvent(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["order", "-at"], name="orderevent_order_at")]

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK_DRAFT = "bank_draft", _("Bank draft")
        WIRE = "wire", _("Wire transfer")
        CASH = "cash", _("Cash")
        ACCEPTANCE_BILL = "acceptance_bill", _("Bank acceptance bill")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for finance")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments", verbose_name=_("customer"))
    method = models.CharField(_("payment method"), max_length=20, choices=Method.choices)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(FEN)])
    # Discount interest on an acceptance bill is at the customer's cost: the bill credits amount - interest.
    discount_interest = models.DecimalField(_("discount interest"), **MONEY, default=ZERO,
                                            validators=[MinValueValidator(ZERO)])
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    allocated = money_field(_("allocated"), editable=False)
    for_order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("for order"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("recorded at"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", editable=False, verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("confirmed at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "received_on"], name="payment_customer_on"),
            models.Index(fields=["status", "created_at"], name="payment_status_created"),
            models.Index(fields=["created_at", "id"], name="payment_to_confirm", condition=Q(status="pending")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(discount_interest__lt=models.F("amount")), name="payment_interest_lt_amount"),
        ]

    def get_method_display(self) -> str:
        return choice_label(self.Method, self.method)

    def get_status_display(self) -> str:
        return choice_label(self.Status, self.status)

    @property
    def credited(self) -> Decimal:
        return self.amount - self.discount_interest

    @property
    def unallocated(self) -> Decimal:
        return self.credited - self.allocated


class Allocation(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="allocations")
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(FEN)])
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive")]


class Return(models.Model):
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="returns", verbose_name=_("order line"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns")
    quantity = models.DecimalField(_("quantity"), **QUANTITY, validators=[MinValueValidator(Decimal("0.001"))])
    refund = models.DecimalField(_("refund"), **MONEY, editable=False)
    hq_at_fault = models.BooleanField(_("HQ at fault (HQ pays the freight)"), default=False)
    reason = models.CharField(_("reason"), max_length=300)
    on = models.DateField(_("date"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        indexes = [models.Index(fields=["customer", "on"], name="return_customer_on")]

    @property
    def freight_payer(self) -> str:
        return str(_("HQ") if self.hq_at_fault else _("Customer"))


def claim_upload_to(instance, filename: str) -> str:
    return f"orders/claims/{instance.order_id}/{filename}"


class TransitClaim(models.Model):
    class Kind(models.TextChoices):
        DAMAGE = "damage", _("Damaged in transit")
        LOSS = "loss", _("Lost in transit")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="claims", verbose_name=_("shipment"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("description"))
    evidence = models.FileField(_("evidence"), upload_to=claim_upload_to)
    reported_on = models.DateField(_("reported on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("transit claim")
        verbose_name_plural = _("transit claims")


class AccountPeriodApplication(models.Model):
    """账期 application: a credit investigation, approved by the sales manager; period at most a month."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="account_period_applications",
                                 verbose_name=_("customer"))
    limit = models.DecimalField(_("credit limit"), **MONEY, validators=[MinValueValidator(FEN)])
    period_days = models.PositiveIntegerField(_("credit period (days)"), default=30,
                                              validators=[MinValueValidator(1), MaxValueValidator(31)])
    investigation = models.TextField(_("credit investigation"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("account-period application")
        verbose_name_plural = _("account-period applications")


class OverdueSuspension(models.Model):
    """Why orders suspended a customer; lifting happens only for suspensions the overdue scan made."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="overdue_suspensions")
    since = models.DateField(_("since"))
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("overdue suspension")
        verbose_name_plural = _("overdue suspensions")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=Q(lifted_on__isnull=True), name="one_open_suspension"),
        ]


class ApprovalDelegate(models.Model):
    """Someone the general manager named in the admin to approve orders, optionally until a date."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="order_delegation",
                                verbose_name=_("delegate"))
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("order approval delegate")
        verbose_name_plural = _("order approval delegates")


class OrderSequence(models.Model):
    """Order numbers per day: SO20261201-0001."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order number sequence")
        verbose_name_plural = _("order number sequences")
