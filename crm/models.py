"""Org units and staff: who works where. Every customer belongs to one unit; staff to one or more."""
import re
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrgUnitQuerySet(models.QuerySet):
    def descendant_ids(self, unit_ids: Iterable[int]) -> set[int]:
        """The units and all units below them ("own unit" in DOMAIN §1); one query, the tree is small."""
        children = defaultdict(list)
        for pk, parent_id in OrgUnit.objects.values_list("pk", "parent_id"):
            children[parent_id].append(pk)
        found: set[int] = set()
        stack = list(unit_ids)
        while stack:
            pk = stack.pop()
            if pk in found:
                continue
            found.add(pk)
            stack.extend(children.get(pk, ()))
        return found


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        BRANCH = "branch", _("Branch")
        PROJECT = "project", _("Project")
        REGION = "region", _("Region")
        TEAM = "team", _("Team")

    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,12}$", _("Use 2-12 capital letters or digits."))],
        help_text=_("Prefix of customer codes, e.g. SH01. Never change it once customers exist."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    requires_first_review = models.BooleanField(
        _("registrations need supervisor first review"), default=False
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        ancestor, seen = self.parent, set()
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None or ancestor.pk in seen:
                raise ValidationError({"parent": _("A unit cannot be placed under itself or its own sub-unit.")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    def ancestors(self) -> list["OrgUnit"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class StaffProfile(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DEPARTED = "departed", _("Departed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_profile"
    )
    units = models.ManyToManyField(OrgUnit, verbose_name=_("org units"), blank=True, related_name="staff")
    phone = models.CharField(
        _("mobile"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number."))],
    )
    photo = models.ImageField(_("photo"), upload_to="staff/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    departed_on = models.DateField(_("departed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def clean(self):
        if self.status == self.Status.DEPARTED and not self.departed_on:
            raise ValidationError({"departed_on": _("Enter the date the person left.")})


HAN = re.compile(r"[\u4e00-\u9fff]")


def display_name(user) -> str:
    """Chinese names read family name first with no space (张伟); others as Django does."""
    if user is None:
        return ""
    first, last = user.first_name.strip(), user.last_name.strip()
    if HAN.search(first + last):
        return f"{last}{first}"
    return user.get_full_name() or user.get_username()


def own_unit_ids(user) -> set[int]:
    """The user's units and all units below them ("own unit" in DOMAIN §1); kept on the user object for the
    request, as its roles are (a page asks the policy several times)."""
    cached = getattr(user, "_own_unit_ids", None)
    if cached is not None:
        return set(cached)
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return set()
    found = OrgUnit.objects.descendant_ids(profile.units.values_list("pk", flat=True))
    user._own_unit_ids = frozenset(found)
    return found


class CalendarDay(models.Model):
    """A day that breaks the weekend rule: a weekday holiday or a weekend working day (调休).
    Seeded from chinesecalendar; admins add the State Council's next announcement here."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holidays and adjusted working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class JobRun(models.Model):
    """One run of a scheduled job: when, how much it scanned and created, and what went wrong."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Finished")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=60, db_index=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows_scanned = models.BigIntegerField(_("rows scanned"), default=0)
    tasks_created = models.BigIntegerField(_("tasks created"), default=0)
    batches = models.IntegerField(_("batches"), default=0)
    errors = models.TextField(_("errors"), blank=True)
    # Set by jobs that must happen once per period (the monthly report): a second run is refused here.
    dedupe_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False, verbose_name=_("dedupe key"))

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]


class AuditEntry(models.Model):
    """One audited act. Rows are never changed, deleted or truncated (database triggers refuse it) and
    each carries the keyed hash of the previous row, so a gap or an edit shows in `verify_audit_chain`."""

    class Action(models.TextChoices):
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        READ = "read", _("Read a confidential record")
        UNMASK = "unmask", _("Unmasked a field")
        GRANT = "grant", _("Access granted")
        REVOKE = "revoke", _("Access revoked")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        EXPORT = "export", _("Exported")
        PRINT = "print", _("Printed")
        IMPORT = "import", _("Imported")
        AUDIT_EXPORT = "audit_export", _("Exported the audit log")
        HANDOVER = "handover", _("Customers handed over")
        LEVEL_LOWERED = "level_lowered", _("Confidentiality level lowered")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    customer_ids = models.JSONField(_("customers"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, verbose_name=_("prev hash"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))
    # None: chained before the log was keyed (plain SHA-256); 2: HMAC-SHA256 with AUDIT_CHAIN_KEY.
    # Nullable so that adding it keeps SQLite's triggers (no table rebuild).
    scheme = models.SmallIntegerField(null=True, blank=True, editable=False, verbose_name=_("scheme"))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        db_table = "confidentiality_auditentry"
        ordering = ["-id"]
        indexes = [models.Index(fields=["actor", "-at"], name="audit_actor_at")]

    def __str__(self) -> str:  # the admin's page title: the kind of row and its number, no customer data
        return f"{self._meta.verbose_name} #{self.pk}"


class AuditEntryCustomer(models.Model):
    """Which customers an audit entry touched, for searching the log by customer."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="+")
    customer_id = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("audit entry customer")
        verbose_name_plural = _("audit entry customers")
        db_table = "confidentiality_auditentrycustomer"


class AuditHead(models.Model):
    """The last hash of the chain: one row, locked by every append so the chain never forks; triggers
    let it move only one entry forward, and the daily anchor keeps a copy outside the database."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")
        db_table = "confidentiality_audithead"


class Notification(models.Model):
    """An in-app message to one person (the GM's office about a leak, for instance)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        db_table = "confidentiality_notification"
        ordering = ["-created_at"]
