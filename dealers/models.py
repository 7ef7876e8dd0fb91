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
