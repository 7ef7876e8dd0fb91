"""Customer service (DOMAIN §3): visits and the revisit policy, complaints with their deadlines."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


# Calendar periods a contact minimum is counted over: they divide the year, so periods never overlap.
PERIOD_MONTHS = (1, 2, 3, 4, 6, 12)


class RevisitRule(models.Model):
    """Who must revisit customers of a tier, and how often (in months; periods follow the calendar,
    so 3 means once per quarter). Admins edit these rows; tier blank means every customer.

    With `per_month` set (seed 001: 0.5, 1 or 2 contacts a month by star level) the rule asks for that
    many contacts instead, over the shortest calendar period in which they make whole contacts (0.5 a
    month: one in two months), and an account manager's rule counts the co-owners' contacts too."""

    class Who(models.TextChoices):
        OWNER = "owner", _("Account manager")
        SALES_MANAGER = "sales_manager", _("Sales manager")
        MARKETING_HEAD = "marketing_head", _("Marketing head")

    tier = models.CharField(_("tier"), max_length=1, blank=True, help_text=_("Blank: every customer"))
    who = models.CharField(_("who"), max_length=20, choices=Who.choices)
    every_months = models.PositiveSmallIntegerField(_("every (months)"), default=3)
    per_month = models.DecimalField(
        _("contacts a month"), max_digits=4, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Blank: one revisit every so many months. Else e.g. 0.5, 1 or 2 contacts a month."),
    )

    class Meta:
        verbose_name = _("revisit rule")
        verbose_name_plural = _("revisit policy")
        constraints = [models.UniqueConstraint(fields=["tier", "who"], name="revisitrule_tier_who")]

    def __str__(self) -> str:
        return f"{self.tier or '*'} · {self.get_who_display()} · {self.per_month or self.every_months}"

    def _whole(self) -> tuple[int, int] | None:
        """(months, contacts): the shortest calendar period in which `per_month` makes whole contacts."""
        for months in PERIOD_MONTHS:
            contacts = self.per_month * months
            if contacts == contacts.to_integral_value():
                return months, int(contacts)
        return None

    @property
    def period_months(self) -> int:
        found = self._whole() if self.per_month else None
        return found[0] if found else self.every_months

    @property
    def required_contacts(self) -> int:
        found = self._whole() if self.per_month else None
        return found[1] if found else 1

    def clean(self):
        if self.per_month is not None and self.per_month > 0 and self._whole() is None:
            raise ValidationError({"per_month": _(
                "Choose a number of contacts a month that adds up to whole contacts within 1, 2, 3, 4, 6 or 12 "
                "months (for example 0.5, 1, 1.5 or 2).")})
        if self.per_month is None and not 0 < self.every_months <= 12:
            raise ValidationError({"every_months": _("Choose between 1 and 12 months.")})


class Visit(models.Model):
    """拜访/回访记录."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        EVENT = "event", _("Event")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="visits", verbose_name=_("customer"))
    visited_on = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="visits", verbose_name=_("participants"))
    content = models.TextField(_("content"))
    feedback = models.TextField(_("customer feedback"), blank=True)
    next_plan = models.TextField(_("next plan"), blank=True)
    next_on = models.DateField(_("next date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["customer", "-visited_on"], name="visit_customer_date")]


class ComplaintSequence(models.Model):
    """The last serial of a month; locked while a number is taken, so numbers never repeat or skip."""

    month = models.CharField(max_length=6, unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("complaint number sequence")
        verbose_name_plural = _("complaint number sequences")


class Complaint(models.Model):
    """客诉: numbered KS-YYYYMM-NNNN; first response within 24 hours, a solution within 2 working days,
    except quality complaints, which open a recall at once instead (seed 003 第八条)."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WEBSITE = "website", _("Website")
        LETTER = "letter", _("Letter")
        VISIT = "visit", _("Visit")
        OTHER = "other", _("Other")

    class Category(models.TextChoices):
        QUALITY = "quality", _("Product quality")
        SERVICE = "service", _("Service")
        LOGISTICS = "logistics", _("Logistics")
        PRICE = "price", _("Price")
        AFTER_SALES = "after_sales", _("After-sales")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESPONDED = "responded", _("Responded")
        RESOLVED = "resolved", _("Resolved")
        CONFIRMED = "confirmed", _("Confirmed by the customer")

    number = models.CharField(_("number"), max_length=16, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("customer"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    channel = models.CharField(_("received by"), max_length=10, choices=Channel.choices, blank=True)  # blank: before issue 14
    description = models.TextField(_("description"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("handler"))
    order_number = models.CharField(_("order number"), max_length=40, blank=True)
    product = models.CharField(_("product"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True)
    defect_count = models.PositiveIntegerField(_("defective items"), null=True, blank=True)
    batch_number = models.CharField(_("batch number"), max_length=40, blank=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    responsible_department = models.CharField(_("responsible department"), max_length=60, blank=True)
    shift = models.CharField(_("shift"), max_length=30, blank=True)
    sample_kept = models.BooleanField(_("defective sample kept"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # None for quality complaints: the recall runs at once, the 24-hour/2-working-day clock does not apply.
    response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    solution_due = models.DateField(_("solution due"), null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("responded at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    resolution = models.TextField(_("resolution"), blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated at"))

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at"]


class ComplaintEvent(models.Model):
    """One step of a complaint (registered, responded, resolved, confirmed): who, when, from, to."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        RESPONDED = "responded", _("First response given")
        RESOLVED = "resolved", _("Resolved")
        CONFIRMED = "confirmed", _("Confirmed by the customer")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["at", "id"]


class Recall(models.Model):
    """召回记录: opened by a quality complaint the moment it is registered and assigned to the quality
    managers (seed 003 第八条): the product, its batch or production date, the quantity, where it went
    and who was told."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the quality manager")
        IN_PROGRESS = "in_progress", _("Recall under way")
        CLOSED = "closed", _("Closed")

    complaint = models.OneToOneField(Complaint, on_delete=models.PROTECT, related_name="recall",
                                     verbose_name=_("complaint"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    product = models.CharField(_("product"), max_length=100)
    batch_number = models.CharField(_("batch number"), max_length=40, blank=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity to recall"), null=True, blank=True)
    distribution = models.TextField(_("where it went"), blank=True)
    notified = models.TextField(_("who was told"), blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("quality manager"))
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="recall_status_created")]


class RecallEvent(models.Model):
    """One step of a recall: opened (and who was notified), started, details recorded, closed."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STARTED = "started", _("Recall started")
        RECORDED = "recorded", _("Details recorded")
        CLOSED = "closed", _("Closed")

    recall = models.ForeignKey(Recall, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("recall event")
        verbose_name_plural = _("recall events")
        ordering = ["at", "id"]


class MonthlyTarget(models.Model):
    """Each rep's monthly targets (seed 001): opportunities found and won, and the share of contacts made
    face to face. The row without a unit is the company's; a unit's row holds for it and the units below."""

    unit = models.OneToOneField("crm.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("unit"), help_text=_("Blank: the whole company"))
    opportunities_found = models.PositiveSmallIntegerField(_("opportunities found a month"), default=2)
    opportunities_won = models.PositiveSmallIntegerField(_("opportunities won a month"), default=1)
    face_to_face_percent = models.PositiveSmallIntegerField(
        _("face-to-face share of the month's contacts (percent)"), default=15, validators=[MaxValueValidator(100)])

    class Meta:
        verbose_name = _("monthly target")
        verbose_name_plural = _("monthly targets")
        constraints = [models.UniqueConstraint(models.functions.Coalesce("unit", 0), name="monthlytarget_one_per_unit")]

    def __str__(self) -> str:
        return str(self.unit or _("Whole company"))


class CareTemplate(models.Model):
    """Editable greeting texts; `{name}` is replaced by the customer's contact name."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        HOLIDAY = "holiday", _("Holiday")
        WEATHER = "weather", _("Weather")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    body = models.TextField(_("text"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("care message template")
        verbose_name_plural = _("care message templates")

    def __str__(self) -> str:
        return self.name

    def render(self, customer) -> str:
        return self.body.replace("{name}", customer.contact_name or customer.name)


class CareOptOut(models.Model):
    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="care_opt_out")
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("greetings opt-out")
        verbose_name_plural = _("greetings opt-outs")


class CareMessage(models.Model):
    """Every greeting sent, once per customer and occasion (the unique key makes reruns harmless)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="care_messages", verbose_name=_("customer"))
    template = models.ForeignKey(CareTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("message template"))
    occasion = models.CharField(max_length=40, verbose_name=_("occasion"))
    channel = models.CharField(max_length=10, verbose_name=_("sending channel"))
    to = models.CharField(max_length=200, verbose_name=_("sent to"))
    body = models.TextField(verbose_name=_("body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("care message")
        verbose_name_plural = _("care messages")
        constraints = [models.UniqueConstraint(fields=["customer", "occasion"], name="caremessage_once")]
        ordering = ["-created_at"]


class PoolRule(models.Model):
    """公海 rules per tier: days without follow-up (or without a deal) before a customer returns to
    its unit's pool, the warning before that, and exemption. Admins edit these rows."""

    tier = models.CharField(_("tier"), max_length=1, unique=True)
    no_followup_days = models.PositiveSmallIntegerField(_("days without follow-up"), default=60)
    no_deal_days = models.PositiveSmallIntegerField(_("days without a deal"), null=True, blank=True)
    warn_days_before = models.PositiveSmallIntegerField(_("warn the owner days before"), default=7)
    exempt = models.BooleanField(_("never returns to the pool"), default=False)

    class Meta:
        verbose_name = _("public pool rule")
        verbose_name_plural = _("public pool rules")
        ordering = ["tier"]

    def __str__(self) -> str:  # the admin's page title: the kind of row and its number, no customer data
        return f"{self._meta.verbose_name} #{self.pk}"


class PoolEvent(models.Model):
    """Every warning, return and claim, for the record."""

    class Kind(models.TextChoices):
        WARNED = "warned", _("Owner warned")
        RETURNED = "returned", _("Returned to the pool")
        CLAIMED = "claimed", _("Claimed from the pool")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="pool_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    idle_since = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("public pool event")
        verbose_name_plural = _("public pool events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["customer", "kind", "-at"], name="poolevent_customer_kind")]
        constraints = [
            # One warning and one return per quiet spell, even with two sweeps at once.
            models.UniqueConstraint(fields=["customer", "kind", "idle_since"], condition=models.Q(kind__in=["warned", "returned"]),
                                    name="poolevent_once_per_spell"),
        ]


class Inquiry(models.Model):
    """来电来访登记: a phone call or walk-in, logged the same day by the rep who took it."""

    class How(models.TextChoices):
        PHONE = "phone", _("Phone call")
        WALK_IN = "walk_in", _("Walk-in")

    unit = models.ForeignKey("crm.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rep"))
    how = models.CharField(_("phone or walk-in"), max_length=10, choices=How.choices)
    name = models.CharField(_("visitor"), max_length=60)
    companions = models.PositiveSmallIntegerField(_("companions"), default=0)
    arrived_at = models.DateTimeField(_("arrived / called at"), default=timezone.now, db_index=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    product = models.CharField(_("intended product"), max_length=100, blank=True)
    source = models.CharField(_("how they heard of us"), max_length=60, blank=True)
    summary = models.TextField(_("summary"))
    trial = models.BooleanField(_("trial"), default=False)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries log")
        ordering = ["-arrived_at"]


class Opportunity(models.Model):
    """机会: a business the customer has not done with us yet, followed up until won or lost."""

    class Result(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Stage(models.TextChoices):
        """Where an open opportunity stands in the pipeline (the board's columns), first to last."""

        FOUND = "found", _("Found")
        QUALIFIED = "qualified", _("Needs confirmed")
        PROPOSAL = "proposal", _("Proposal and quote")
        NEGOTIATION = "negotiation", _("Negotiation")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="opportunities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rep"))
    title = models.CharField(_("title"), max_length=100)
    content = models.TextField(_("content"))
    deadline = models.DateField(_("deadline"))
    stage = models.CharField(pgettext_lazy("opportunity", "stage"), max_length=12, choices=Stage.choices, default=Stage.FOUND, db_index=True)
    amount = models.DecimalField(_("expected amount (yuan)"), max_digits=14, decimal_places=2, default=0,
                                 validators=[MinValueValidator(0)])
    result = models.CharField(_("result"), max_length=5, choices=Result.choices, default=Result.OPEN)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["deadline"]


class OpportunityEvent(models.Model):
    """One move of an opportunity through the pipeline: who, when, from which stage to which."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("opportunity move")
        verbose_name_plural = _("opportunity moves")


class OpportunityFollowUp(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField()

    class Meta:
        verbose_name = _("opportunity follow-up")
        verbose_name_plural = _("opportunity follow-ups")
        ordering = ["at"]


class FollowUpTask(models.Model):
    """A task a scheduled job created. The natural key (customer, kind, period) is unique, so a
    job run twice, or by two workers at once, creates nothing twice."""

    class Kind(models.TextChoices):
        VERIFICATION = "verification", _("Quarterly verification")
        REVISIT_OWNER = "revisit_owner", _("Revisit by the account manager")
        REVISIT_SALES_MANAGER = "revisit_sales_manager", _("Revisit by a sales manager")
        REVISIT_MARKETING_HEAD = "revisit_marketing_head", _("Revisit by the marketing head")
        LICENCE_EXPIRY = "licence_expiry", _("Licence expires soon")
        ANNUAL_REVIEW = "annual_review", _("Annual review soon")
        STATIC_REVIEW = "static_review", _("Half-year review of static fields")
        TIER_REVIEW = "tier_review", _("Tier review proposal")
        NEW_ACCOUNT = "new_account", _("New-account fields overdue")
        ALLOCATION_CONFIRMATION = "allocation_confirmation", _("Confirm the allocation quantities before the first order")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="follow_up_tasks")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    period = models.CharField(max_length=20)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    # Who closed the task and how: the new date recorded, or why a proposal was dismissed.
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("done by"))
    outcome = models.TextField(_("outcome"), blank=True, default="", db_default="")
    # Overdue verification and revisit tasks escalate once to the owner's sales manager (DOMAIN §7).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "period"], name="followuptask_natural_key")]
        indexes = [models.Index(fields=["assignee", "done_at", "due_on"], name="followuptask_inbox")]
