"""The dealer card (one-to-one with a customer, every field from the catalogue), its history and
events, and the franchise rules an admin edits."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.actor import current_actor
from customers.models import Customer

from .catalogue import CATALOGUE, completeness
from .fields import build_dealer_field


class Dealer(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        ACTIVE = "active", _("Active member")
        ADVISED = "advised", _("Correction advice outstanding")
        TERMINATED = "terminated", _("Terminated")
        EXPELLED = "expelled", _("Expelled")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="dealer",
                                    verbose_name=_("customer"))
    completeness = models.PositiveSmallIntegerField(_("card completeness"), default=0, editable=False)
    advice_text = models.TextField(_("correction advice"), blank=True, editable=False)
    advice_deadline = models.DateField(_("correction deadline"), null=True, blank=True, editable=False)
    notice_given_on = models.DateField(_("withdrawal notice given on"), null=True, blank=True, editable=False)
    leaves_on = models.DateField(_("membership ends on"), null=True, blank=True, editable=False)
    end_reason = models.CharField(_("reason"), max_length=30, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    import_job = models.ForeignKey("imports.ImportJob", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="dealers", editable=False)

    class Meta:
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        indexes = [models.Index(fields=["franchise_status"], name="dealer_status")]

    def __str__(self) -> str:
        return str(self.customer)

    def is_filled(self, code: str) -> bool:
        value = getattr(self, code)
        return value is not None and (isinstance(value, (bool, int, Decimal)) or bool(value))

    @classmethod
    def tracked_fields(cls) -> list[str]:
        return [spec.code for spec in CATALOGUE] + ["advice_text", "advice_deadline", "notice_given_on", "leaves_on"]

    def save(self, *args, **kwargs):
        self.completeness = completeness(self.is_filled)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"completeness", "updated_at"}
        names = [n for n in (update_fields or self.tracked_fields()) if n in self.tracked_fields()]
        before = None
        if not self._state.adding:
            before = type(self).objects.filter(pk=self.pk).values(*names).first()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if before is not None:
                actor, now = current_actor(), timezone.now()
                DealerChange.objects.bulk_create(
                    DealerChange(dealer=self, field=name, old_value=_text(before[name]), new_value=_text(getattr(self, name)),
                                 actor=actor, at=now)
                    for name in names if _text(before[name]) != _text(getattr(self, name))
                )


def _text(value) -> str:
    return "" if value is None else str(value)


for _spec in CATALOGUE:
    Dealer.add_to_class(_spec.code, build_dealer_field(_spec))
Dealer._meta.get_field("franchise_status").default = Dealer.Status.APPLICANT


class DealerChange(models.Model):
    """One card field changed: who, when, old → new."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("dealer card change")
        verbose_name_plural = _("dealer card history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["dealer", "-at"], name="dealerchange_dealer_at")]


# What a dealer's history calls each event kind (services.py writes the kinds; the franchise workflow's moves).
EVENT_LABELS = {
    "card_opened": _("Dealer card opened"), "plan_submitted": _("Monthly plan submitted"),
    "admitted": _("Admitted as a member"), "advised": _("Correction advice given"),
    "advice_complied": _("Advice complied with"), "terminated": _("Terminated"), "expelled": _("Expelled"),
    "withdrew": _("Withdrawn"),
}


class DealerEvent(models.Model):
    """A franchise move: who, when, from, to, the comment and the move's data (advice, notice dates, reason)."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("franchise event")
        verbose_name_plural = _("franchise events")
        ordering = ["-at", "-id"]

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.kind, self.kind))


class FranchiseRules(models.Model):
    """The qualification minimums and the withdrawal notice (seed 002 §4, §20); the newest row applies."""

    min_floor_area = models.DecimalField(_("minimum floor area (m2)"), max_digits=10, decimal_places=2,
                                         default=Decimal("50"), validators=[MinValueValidator(0)])
    min_monthly_revenue = models.DecimalField(_("minimum monthly revenue (CNY 10k)"), max_digits=10, decimal_places=2,
                                              default=Decimal("5"), validators=[MinValueValidator(0)])
    min_distance_km = models.DecimalField(_("minimum distance to the nearest member in the region (km)"), max_digits=8,
                                          decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(0)])
    notice_days = models.PositiveSmallIntegerField(_("withdrawal notice (days)"), default=30)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("franchise rules")
        verbose_name_plural = _("franchise rules")

    def __str__(self) -> str:
        return str(_("Franchise rules"))

    @classmethod
    def current(cls) -> "FranchiseRules":
        return cls.objects.order_by("-changed_at", "-pk").first() or cls()


# --- credit grades (seed 003: average monthly payment, payment method, plan completion → A–E) ------------

GRADES = ("A", "B", "C", "D", "E")


def _default_method_scores() -> dict:
    return {"wire": 100, "cash": 100, "bank_draft": 90, "acceptance_bill": 60}


class CreditPolicy(models.Model):
    """How the credit score is computed; the newest row applies. Each part scores 0–100 and the weights
    say how much each part counts."""

    months = models.PositiveSmallIntegerField(_("months looked back"), default=6, validators=[MinValueValidator(1)])
    payment_weight = models.DecimalField(_("weight of the average monthly payment"), max_digits=5, decimal_places=2,
                                         default=Decimal("50"), validators=[MinValueValidator(0)])
    method_weight = models.DecimalField(_("weight of the payment method"), max_digits=5, decimal_places=2,
                                        default=Decimal("20"), validators=[MinValueValidator(0)])
    plan_weight = models.DecimalField(_("weight of the plan completion"), max_digits=5, decimal_places=2,
                                      default=Decimal("30"), validators=[MinValueValidator(0)])
    full_marks_payment = models.DecimalField(_("average monthly payment that scores 100 (CNY)"), max_digits=14,
                                             decimal_places=2, default=Decimal("500000"), validators=[MinValueValidator(1)])
    method_scores = models.JSONField(_("score of each payment method (0–100)"), default=_default_method_scores)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("credit score policy")
        verbose_name_plural = _("credit score policy")

    def __str__(self) -> str:
        return str(_("Credit score policy"))

    @classmethod
    def current(cls) -> "CreditPolicy":
        return cls.objects.order_by("-changed_at", "-pk").first() or cls()


class CreditGradeRule(models.Model):
    """A grade: the lowest score that earns it, and the credit limit and period it brings."""

    grade = models.CharField(_("credit grade"), max_length=1, choices=[(g, g) for g in GRADES], unique=True)
    min_score = models.DecimalField(_("minimum score"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)])
    credit_limit = models.DecimalField(_("credit limit (CNY)"), max_digits=14, decimal_places=2,
                                       validators=[MinValueValidator(0)])
    credit_days = models.PositiveSmallIntegerField(_("credit period (days)"))

    class Meta:
        verbose_name = _("credit grade rule")
        verbose_name_plural = _("credit grade rules")
        ordering = ["grade"]

    def __str__(self) -> str:
        return self.grade


class CreditProposal(models.Model):
    """A proposed grade with its limit and period; it takes effect once marketing and finance both approve."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        MARKETING_APPROVED = "marketing_ok", _("Approved by marketing, waiting for finance")
        FINANCE_APPROVED = "finance_ok", _("Approved by finance, waiting for marketing")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    OPEN = (Status.PROPOSED, Status.MARKETING_APPROVED, Status.FINANCE_APPROVED)

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="credit_proposals")
    grade = models.CharField(_("proposed grade"), max_length=1, choices=[(g, g) for g in GRADES])
    previous_grade = models.CharField(_("current grade"), max_length=1, blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    credit_limit = models.DecimalField(_("credit limit (CNY)"), max_digits=14, decimal_places=2)
    credit_days = models.PositiveSmallIntegerField(_("credit period (days)"))
    basis = models.JSONField(_("computed from"), default=dict)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("proposed by"))
    marketing_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("approved for marketing by"))
    finance_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("approved for finance by"))

    class Meta:
        verbose_name = _("credit grade proposal")
        verbose_name_plural = _("credit grade proposals")
        ordering = ["-proposed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["dealer"], condition=models.Q(status__in=["proposed", "marketing_ok", "finance_ok"]),
                                               name="credit_one_open_proposal")]


class CreditProposalEvent(models.Model):
    proposal = models.ForeignKey(CreditProposal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("credit proposal event")
        verbose_name_plural = _("credit proposal events")
        ordering = ["-at", "-id"]


# --- monthly plans (seed 003: by the 5th, the month's expected quantities per product) -----------------

class MonthlyPlan(models.Model):
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="plans")
    month = models.DateField(_("month"))  # the first day
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("submitted by"))
    late = models.BooleanField(_("late"), default=False)

    class Meta:
        verbose_name = _("monthly plan")
        verbose_name_plural = _("monthly plans")
        constraints = [models.UniqueConstraint(fields=["dealer", "month"], name="plan_dealer_month")]
        indexes = [models.Index(fields=["month"], name="plan_month")]


class PlanLine(models.Model):
    plan = models.ForeignKey(MonthlyPlan, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("orders.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    quantity = models.DecimalField(_("planned quantity"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        constraints = [models.UniqueConstraint(fields=["plan", "product"], name="planline_plan_product")]


# --- fees and the HQ-share check -----------------------------------------------------------------------

class FeeCharge(models.Model):
    """That a fee was charged to orders for a dealer and month: the key that makes the fee job idempotent."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="fee_charges")
    kind = models.CharField(max_length=20)
    month = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    charge_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("fee charge")
        verbose_name_plural = _("fee charges")
        constraints = [models.UniqueConstraint(fields=["dealer", "kind", "month"], name="fee_dealer_kind_month")]


class HqShareCheck(models.Model):
    """One month's check of the share of goods bought from HQ against the contract's minimum; a shortfall
    proposes a correction advice, which a franchise decider gives (or dismisses)."""

    class Outcome(models.TextChoices):
        MET = "met", _("Minimum met")
        SHORT = "short", _("Shortfall: correction advice proposed")
        ADVISED = "advised", _("Correction advice given")
        DISMISSED = "dismissed", _("Proposal dismissed")

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="hq_share_checks")
    month = models.DateField(_("month"))
    hq_amount = models.DecimalField(_("bought from HQ (CNY)"), max_digits=14, decimal_places=2)
    total_amount = models.DecimalField(_("total monthly purchases (CNY)"), max_digits=14, decimal_places=2)
    share = models.DecimalField(_("share from HQ (%)"), max_digits=6, decimal_places=2)
    minimum = models.DecimalField(_("contract minimum (%)"), max_digits=5, decimal_places=2)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("HQ purchase share check")
        verbose_name_plural = _("HQ purchase share checks")
        constraints = [models.UniqueConstraint(fields=["dealer", "month"], name="hqshare_dealer_month")]
