"""Confidentiality (DOMAIN §6): data requests and the grants they create (the audit log is in crm)."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataRequest(models.Model):
    """客户信息使用申请: who wants which customers' data, for what, in what form, for how long."""

    class Scope(models.TextChoices):
        CUSTOMERS = "customers", _("Chosen customers")
        FILTER = "filter", _("A saved filter")
        UNIT = "unit", _("A whole unit")

    class Form(models.TextChoices):
        VIEW = "view", _("View")
        PRINT = "print", _("Print")
        EXPORT = "export", _("Electronic export")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for approval")
        MARKETING_APPROVED = "marketing_approved", _("Approved by the marketing head")
        CS_CONFIRMED = "cs_confirmed", _("Confirmed by the CS manager")
        FULFILLED = "fulfilled", _("Fulfilled")
        REJECTED = "rejected", _("Rejected")

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("requester"))
    purpose = models.TextField(_("purpose"))
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    data_unit = models.ForeignKey(
        "crm.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit holding the data")
    )
    customers = models.ManyToManyField("customers.Customer", blank=True, related_name="+", verbose_name=_("customers"))
    filter_query = models.CharField(_("filter"), max_length=1000, blank=True)
    fields = models.JSONField(_("sensitive fields"), default=list, blank=True)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.VIEW)
    days = models.PositiveSmallIntegerField(_("period (days)"), default=7)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    cross_unit = models.BooleanField(default=False, editable=False, verbose_name=_("cross unit"))
    # Covers secret customers: then the marketing head approves even inside the requester's unit.
    touches_secret = models.BooleanField(default=False, editable=False, verbose_name=_("touches secret"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"SQ{self.created_at:%Y%m}-{self.pk:05d}"

    def field_labels(self) -> list[str]:
        """The sensitive fields by their catalogue labels in the active language, never their codes."""
        from customers.catalogue import CATALOGUE

        return [CATALOGUE[code].label if code in CATALOGUE.by_code else code for code in self.fields]


class DataRequestEvent(models.Model):
    request = models.ForeignKey(DataRequest, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=20, choices=DataRequest.Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("data request event")
        verbose_name_plural = _("data request events")
        ordering = ["at", "id"]


class AccessGrant(models.Model):
    """What a fulfilled request gives: time-limited access to its customers and fields."""

    request = models.OneToOneField(DataRequest, on_delete=models.PROTECT, related_name="grant", verbose_name=_("data request"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_grants", verbose_name=_("user"))
    fields = models.JSONField(default=list, blank=True, verbose_name=_("fields"))
    form = models.CharField(max_length=10, choices=DataRequest.Form.choices, verbose_name=_("form"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by"))
    granted_at = models.DateTimeField(default=timezone.now, verbose_name=_("granted at"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    customer_count = models.PositiveIntegerField(default=0, verbose_name=_("customer count"))

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Printout(models.Model):
    """纸质版: a registered printout, its copies and the day they must come back."""

    class Status(models.TextChoices):
        OUT = "out", _("Out")
        RETURNED = "returned", _("Returned")

    grant = models.ForeignKey(AccessGrant, on_delete=models.PROTECT, related_name="printouts", verbose_name=_("access grant"))
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("printed by"))
    printed_at = models.DateTimeField(default=timezone.now, verbose_name=_("printed at"))
    copies = models.PositiveSmallIntegerField(default=1, verbose_name=_("copies"))
    return_due = models.DateField(verbose_name=_("return due"))
    returned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("returned at"))
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    , verbose_name=_("checked in by"))
    returned_copies = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("returned copies"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OUT)

    class Meta:
        verbose_name = _("printout")
        verbose_name_plural = _("printouts")
        ordering = ["return_due"]


class PrintoutEvent(models.Model):
    """One step of a printout: printed, checked in."""

    printout = models.ForeignKey(Printout, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("printout event")
        verbose_name_plural = _("printout events")
        ordering = ["at", "id"]


class LeakIncident(models.Model):
    """泄密: anyone reports a suspected leak; the general manager's office decides remediation and penalty."""

    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        CLOSED = "closed", _("Closed")

    class Penalty(models.TextChoices):
        NONE = "none", _("No penalty")
        WARNING = "warning", _("Warning with a deduction (100–500 CNY)")
        DISMISSAL = "dismissal", _("Dismissal")

    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    description = models.TextField(_("what happened"))
    customers = models.ManyToManyField("customers.Customer", blank=True, related_name="+", verbose_name=_("customers"))
    suspected = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("person involved"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REPORTED)
    remediation = models.TextField(_("remediation steps"), blank=True)
    penalty = models.CharField(_("penalty"), max_length=10, choices=Penalty.choices, blank=True)
    deduction = models.PositiveIntegerField(_("deduction (CNY)"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    , verbose_name=_("decided by"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("leak incident")
        verbose_name_plural = _("leak incidents")
        ordering = ["-reported_at"]


class ArchiveLoan(models.Model):
    """客户档案借阅: paper files. Originals are read on site and back the same day; copies are lent
    for at most 3 days; making a copy needs the department manager's approval."""

    class Kind(models.TextChoices):
        READ = "read", _("Read the original on site")
        LOAN = "loan", _("Borrow a copy (at most 3 days)")
        COPY = "copy", _("Make a copy")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        OUT = "out", _("Out")
        RETURNED = "returned", _("Returned")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    borrower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("borrower"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    purpose = models.TextField(_("purpose"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now, verbose_name=_("requested at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by"))
    lent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("lent by"))
    lent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("lent at"))
    due_at = models.DateTimeField(_("due back"), null=True, blank=True, db_index=True)
    returned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("returned at"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("taken back by"))
    complete = models.BooleanField(_("returned complete"), null=True)
    return_note = models.TextField(_("return note"), blank=True)

    class Meta:
        verbose_name = _("archive loan")
        verbose_name_plural = _("archive loans")
        ordering = ["-requested_at"]


class ArchiveLoanEvent(models.Model):
    """One step of an archive loan (requested, approved, rejected, lent, returned): who, when, from, to."""

    loan = models.ForeignKey(ArchiveLoan, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("archive loan event")
        verbose_name_plural = _("archive loan events")
        ordering = ["at", "id"]


class Destruction(models.Model):
    """A destruction of data past its retention period: proposed, approved by someone else, executed.
    What was destroyed is described here (never the values themselves)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        DONE = "done", _("Destroyed")

    rule = models.CharField(_("rule"), max_length=40)
    what = models.TextField(_("what"))
    customer_ids = models.JSONField(default=list, verbose_name=_("customer ids"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(default=timezone.now, verbose_name=_("proposed at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by"))
    executed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("executed at"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED, verbose_name=_("status"))

    class Meta:
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction records")
        ordering = ["-proposed_at"]
