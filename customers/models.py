"""The customer archive (DOMAIN §2). Catalogue fields come from catalogue.py; the rest is workflow."""
from contextvars import ContextVar
from decimal import Decimal
from itertools import chain

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from crm.actor import current_actor
from crm.models import OrgUnit

from .catalogue import CATALOGUE, COMPANY, DEALER, INDIVIDUAL, RETAIL
from .fields import build_field
from .validators import normalise_text

TIER_CONFIDENTIALITY = {"A": "secret", "B": "confidential"}
CONFIDENTIALITY_RANK = {"internal": 0, "confidential": 1, "secret": 2}


def lowers_confidentiality(old: str, new: str) -> bool:
    """The one rule every path that writes `confidentiality_level` asks (form, tier change, import, admin):
    lowering widens who reads the record, so it needs the marketing head's approval; raising is free."""
    return bool(old) and CONFIDENTIALITY_RANK.get(new or "internal", 0) < CONFIDENTIALITY_RANK.get(old, 0)


def kinds_of(nature: str, profile_type: str) -> frozenset[str]:
    """Who a customer is, for the catalogue's `applies_to`: nature gives individual/company, profile retail/dealer."""
    kinds = set()
    if nature == "individual":
        kinds.add(INDIVIDUAL)
    elif nature:
        kinds.add(COMPANY)
    if profile_type == Customer.Profile.RETAIL:
        kinds.add(RETAIL)
    elif profile_type == Customer.Profile.DEALER:
        kinds.add(DEALER)
    return frozenset(kinds)


def completeness(kinds: frozenset[str], is_filled) -> int:
    """Per cent of the required and important fields that apply and are filled (`is_filled(code)`)."""
    counted = CATALOGUE.counted_for_completeness(kinds)
    if not counted:
        return 0
    return round(100 * sum(1 for spec in counted if is_filled(spec.code)) / len(counted))


def name_key(name: str) -> str:
    """Names compared for duplicates: half-width, no spaces or punctuation, lower case."""
    return "".join(ch for ch in normalise_text(name or "").lower() if ch.isalnum())


# "Active" (DOMAIN §2: verified quarterly, checked for duplicates, scanned, in the pool): on the
# customer list and not cancelled. Suspended and temporarily closed customers are still ours.
ACTIVE_Q = Q(registration_status="approved") & ~Q(customer_status="cancelled")
VERIFY_EVERY = relativedelta(months=3)


def next_verification_due(last_verified_on: date | None) -> date | None:
    return last_verified_on + VERIFY_EVERY if last_verified_on else None


def verification_cutoff(on: date) -> date:
    """The latest last verification that falls due by `on` (last + 3 months <= on). Month ends make the
    3 months not invertible (30 Nov and 29 Nov both fall due on 28 Feb), hence the walk forward."""
    last = on - VERIFY_EVERY
    while last + timedelta(days=1) + VERIFY_EVERY <= on:
        last += timedelta(days=1)
    return last


def verification_state(last_verified_on: date | None, on: date) -> str:
    """"overdue" (past its due day, or never verified), "due" (due on `on`) or "" (not yet due)."""
    due = next_verification_due(last_verified_on)
    if due is None or due < on:
        return "overdue"
    return "due" if due == on else ""


# Django's bulk_update() writes through update(): inside it, bulk_update keeps the history alone.
_IN_BULK_UPDATE = ContextVar("customer_bulk_update", default=False)


class CustomerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ACTIVE_Q)

    def verification_due(self, on: date):
        """Due on `on` or earlier (overdue included): what the quarterly scan makes tasks for."""
        return self.filter(Q(last_verified_on__lte=verification_cutoff(on)) | Q(last_verified_on__isnull=True))

    def verification_overdue(self, on: date):
        """Past due: the due day was before `on` (overdue means past due, everywhere)."""
        return self.filter(
            Q(last_verified_on__lte=verification_cutoff(on - timedelta(days=1))) | Q(last_verified_on__isnull=True)
        )

    def update(self, **kwargs):
        """Queryset updates keep per-field history too (read before, write, read after, one insert)."""
        tracked = [name for name in kwargs if name in Customer.tracked_fields()]
        if not tracked or _IN_BULK_UPDATE.get():
            return super().update(**kwargs)
        attnames = [Customer._meta.get_field(name).attname for name in tracked]
        with transaction.atomic(using=self.db):
            before = {row["pk"]: row for row in self.select_for_update().values("pk", *attnames)}
            count = super().update(**kwargs)
            after = Customer.objects.using(self.db).filter(pk__in=before).values("pk", *attnames)
            CustomerChange.objects.using(self.db).bulk_create(
                chain.from_iterable(
                    CustomerChange.rows_for(row["pk"], before[row["pk"]], row, attnames, source=CustomerChange.Source.BULK)
                    for row in after
                )
            )
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        tracked = [name for name in fields if name in Customer.tracked_fields()]
        if not tracked:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        attnames = [Customer._meta.get_field(name).attname for name in tracked]
        with transaction.atomic(using=self.db):
            before = {
                row["pk"]: row
                for row in Customer.objects.using(self.db).filter(pk__in=[o.pk for o in objs]).values("pk", *attnames)
            }
            token = _IN_BULK_UPDATE.set(True)
            try:
                count = super().bulk_update(objs, fields, batch_size=batch_size)
            finally:
                _IN_BULK_UPDATE.reset(token)
            CustomerChange.objects.using(self.db).bulk_create(
                chain.from_iterable(
                    CustomerChange.rows_for(
                        o.pk, before[o.pk], {a: getattr(o, a) for a in attnames}, attnames, source=CustomerChange.Source.BULK
                    )
                    for o in objs
                    if o.pk in before
                )
            )
        return count


class Customer(models.Model):
    class Profile(models.TextChoices):
        NONE = "none", _("Ordinary customer")
        RETAIL = "retail", _("Retail store")
        DEALER = "dealer", _("Dealer")

    class Registration(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        REVIEWED = "reviewed", _("First review passed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    unit = models.ForeignKey(OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="customers")
    profile_type = models.CharField(_("profile"), max_length=10, choices=Profile.choices, default=Profile.NONE)
    registration_status = models.CharField(
        _("registration status"), max_length=10, choices=Registration.choices, default=Registration.DRAFT
    )
    co_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("co-owners"), blank=True, related_name="co_owned_customers"
    )
    contact_report = models.TextField(_("contact report"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    name_key = models.CharField(max_length=100, editable=False, default="", verbose_name=_("name key"))
    id_last4 = models.CharField(max_length=4, editable=False, default="", verbose_name=_("last 4 ID digits"))
    last_verified_on = models.DateField(_("last verified"), null=True, blank=True, editable=False)
    static_reviewed_on = models.DateField(_("static fields last reviewed"), null=True, blank=True, editable=False)
    # Where an imported record came from: the import and the row of its file.
    import_job = models.ForeignKey("imports.ImportJob", verbose_name=_("imported from"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="customers", editable=False)
    import_row = models.PositiveIntegerField(_("row in the imported file"), null=True, blank=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["registration_status", "unit", "-updated_at"], name="cust_state_unit_upd"),
            models.Index(fields=["account_manager", "-updated_at"], name="cust_owner_upd"),
            models.Index(fields=["mobile"], name="cust_mobile"),
            models.Index(fields=["id_number"], name="cust_id_number"),
            models.Index(fields=["unified_social_credit_code"], name="cust_uscc"),
            models.Index(fields=["id_last4"], name="cust_id_last4"),
            models.Index(fields=["name_key", "admin_region"], name="cust_name_region"),
            models.Index(fields=["tier", "-updated_at"], name="cust_tier_upd"),
            models.Index(fields=["unit", "tier", "-updated_at"], name="cust_unit_tier_upd"),
            models.Index(fields=["-updated_at", "-id"], name="cust_updated"),
            models.Index(fields=["name", "id"], name="cust_name"),
        ]
        permissions = [("approve_customer", "Can approve customer registrations")]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_code})" if self.customer_code else self.name

    # --- derived values -------------------------------------------------------------------------
    @property
    def kinds(self) -> frozenset[str]:
        return kinds_of(self.customer_nature, self.profile_type)

    def applicable_fields(self):
        return [spec for spec in CATALOGUE if spec.applies(self.kinds)]

    def is_filled(self, code: str) -> bool:
        value = getattr(self, self._meta.get_field(code).attname)
        if value is None:
            return False
        return True if isinstance(value, (bool, int, Decimal)) else bool(value)

    def missing_fields(self, requirement: str) -> list:
        return [
            spec
            for spec in CATALOGUE.counted_for_completeness(self.kinds)
            if spec.requirement == requirement and not self.is_filled(spec.code)
        ]

    def compute_completeness(self) -> int:
        return completeness(self.kinds, self.is_filled)

    def refresh_derived(self) -> None:
        self.name_key = name_key(self.name)
        self.id_last4 = (self.id_number or "")[-4:]
        if not self.registered_on:
            self.registered_on = timezone.localdate()
        if self.tier and not self.confidentiality_level:
            self.confidentiality_level = TIER_CONFIDENTIALITY.get(self.tier, "internal")
        self.profile_completeness = self.compute_completeness()

    @classmethod
    def tracked_fields(cls) -> frozenset[str]:
        skip = {"id", "updated_at", "created_at", "name_key", "id_last4", "profile_completeness", "import_job", "import_row"}
        return frozenset(f.name for f in cls._meta.concrete_fields if f.name not in skip)

    def save(self, *args, **kwargs):
        self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {"name_key", "id_last4", "profile_completeness", "updated_at"}
        names = [n for n in (update_fields or self.tracked_fields()) if n in self.tracked_fields()]
        attnames = [self._meta.get_field(n).attname for n in names]
        before = None
        if self.pk and not self._state.adding:
            before = type(self).objects.filter(pk=self.pk).values(*attnames).first()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if before is not None:
                after = {a: getattr(self, a) for a in attnames}
                CustomerChange.objects.bulk_create(CustomerChange.rows_for(self.pk, before, after, attnames))


# Every catalogue field becomes a model field.
for _spec in CATALOGUE:
    Customer.add_to_class(_spec.code, build_field(_spec))


class CustomerChange(models.Model):
    """One field of one customer changed: who, when, old → new. Written for saves and queryset updates."""

    class Source(models.TextChoices):
        EDIT = "edit", _("Edit")
        BULK = "bulk", _("Bulk update")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes", verbose_name=_("customer"))
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.EDIT, verbose_name=_("source"))

    class Meta:
        verbose_name = _("customer change")
        verbose_name_plural = _("customer history")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="custchange_customer_at")]

    def __str__(self) -> str:  # the admin's page title: the kind of row and its number, no customer data
        return f"{self._meta.verbose_name} #{self.pk}"

    @staticmethod
    def _text(value) -> str:
        return "" if value is None else str(value)

    @classmethod
    def rows_for(cls, customer_id, before: dict, after: dict, attnames, source=Source.EDIT):
        actor = current_actor()
        now = timezone.now()
        field_by_attname = {f.attname: f.name for f in Customer._meta.concrete_fields}
        for attname in attnames:
            old, new = cls._text(before.get(attname)), cls._text(after.get(attname))
            if old != new:
                yield cls(
                    customer_id=customer_id,
                    field=field_by_attname[attname],
                    old_value=old,
                    new_value=new,
                    actor=actor,
                    at=now,
                    source=source,
                )


class CustomerEvent(models.Model):
    """A step on the customer's timeline: workflow transitions, tier and owner changes, verifications."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Registered as draft")
        SUBMITTED = "submitted", _("Submitted for approval")
        REVIEWED = "reviewed", _("First review passed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")
        REACTIVATED = "reactivated", _("Reactivated")
        CANCELLED = "cancelled", _("Cancelled")
        TIER_CHANGED = "tier_changed", _("Tier changed")
        OWNER_CHANGED = "owner_changed", _("Account manager changed")
        VERIFIED = "verified", _("Verified")
        DUPLICATE_ACKNOWLEDGED = "duplicate_ack", _("Possible duplicate acknowledged")
        LEVEL_CHANGED = "level_changed", _("Confidentiality level changed")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events", verbose_name=_("customer"))
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at"], name="custevent_customer_at"),
            models.Index(fields=["kind", "-at"], name="custevent_kind_at"),
        ]

    def __str__(self) -> str:  # the admin's page title: the kind of row and its number, no customer data
        return f"{self._meta.verbose_name} #{self.pk}"


class CustomerCodeSequence(models.Model):
    """The last serial handed out per unit; only ever grows, so a code is never reused."""

    unit = models.OneToOneField(OrgUnit, on_delete=models.PROTECT, related_name="+")
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("customer code sequence")
        verbose_name_plural = _("customer code sequences")


class Verification(models.Model):
    """Quarterly verification (每季度核实): who confirmed the record, how, and whether it changed."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        FAX = "fax", _("Fax")
        VISIT = "visit", _("Visit")

    class Result(models.TextChoices):
        UNCHANGED = "unchanged", _("Confirmed unchanged")
        UPDATED = "updated", _("Updated")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("customer"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    static_reviewed = models.BooleanField(_("static fields reviewed too"), default=False)
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("verifier"))
    verified_on = models.DateField(_("verified on"), default=timezone.localdate)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-verified_on", "-id"]


class HandoverNotice(models.Model):
    """The notification record each customer gets when its account manager changes by handover."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="handover_notices", verbose_name=_("customer"))
    previous_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("previous owner"))
    new_owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("new owner"))
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("handed over by"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    message = models.TextField(verbose_name=_("message"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("handover notice")
        verbose_name_plural = _("handover notices")


class SavedFilter(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_customer_filters")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=1000)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="savedfilter_user_name")]


class HandoverRequest(models.Model):
    """A sales manager handing customers to himself: it waits for a second sales manager (or the
    marketing head) of the customers' unit, so nobody can take over records alone (issue 11)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        APPROVED = "approved", _("Confirmed")
        REJECTED = "rejected", _("Refused")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("current account manager")
    )
    customer_ids = models.JSONField(_("customers"), default=list)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("handover request")
        verbose_name_plural = _("handover requests")
        ordering = ["-created_at", "-id"]


class LevelChangeRequest(models.Model):
    """Lowering a customer's confidentiality level waits here for the marketing head (issue 11)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="level_requests")
    old_level = models.CharField(_("current level"), max_length=20)
    new_level = models.CharField(_("requested level"), max_length=20)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("confidentiality lowering request")
        verbose_name_plural = _("confidentiality lowering requests")
        ordering = ["-created_at", "-id"]

    @staticmethod
    def _label(level: str) -> str:
        return str(dict(Customer._meta.get_field("confidentiality_level").flatchoices).get(level, level))

    def old_label(self) -> str:
        return self._label(self.old_level)

    def new_label(self) -> str:
        return self._label(self.new_level)


class CustomerUserObjectPermission(UserObjectPermissionBase):
    """guardian's direct foreign-key table for customers: fast joins at a million rows. A row written for
    a data request's grant carries the grant's id, the fields it unmasks and when it expires, so the
    policy answers from this table alone (confidentiality sits above customers). One row per grant and
    customer, so two requests covering the same customer each keep their own rows and expire on their own."""

    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)
    # confidentiality.AccessGrant's id: a plain column, the grant's app writes and deletes these rows.
    grant_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    fields = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("customer grant to a user")
        verbose_name_plural = _("customer grants to users")
        abstract = False
        db_table = "confidentiality_customeruserobjectpermission"
        unique_together = ["user", "permission", "content_object", "grant_id"]
        constraints = [
            # Rows outside any grant stay one per object, as guardian's assign_perm expects.
            models.UniqueConstraint(
                fields=["user", "permission", "content_object"], condition=models.Q(grant_id__isnull=True),
                name="custperm_one_without_grant",
            ),
        ]
        indexes = [models.Index(fields=["user", "permission", "expires_at"], name="custperm_user_exp")]


class CustomerGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Customer, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("customer grant to a role")
        verbose_name_plural = _("customer grants to roles")
        abstract = False
        db_table = "confidentiality_customergroupobjectpermission"


class BulkAction(models.Model):
    """One bulk action from the customer list: what, on which customers (resolved when asked: the selection
    or the filter, within what the user sees), and what became of each. Each customer goes through the
    same service as on its own page; those it could not change are kept with the reason."""

    class Action(models.TextChoices):
        SET_FIELD = "set_field", _("Set a field")
        ASSIGN_OWNER = "assign_owner", _("Assign an account manager")
        SUBMIT = "submit", _("Submit for approval")
        APPROVE = "approve", _("Approve")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    params = models.JSONField(default=dict, blank=True)  # field, value, owner, comment
    customer_ids = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("customers"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    # The last customer id handled: batches go in id order, so a redelivered task resumes after it.
    position = models.BigIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True)  # [[customer id, name, reason]]
    run = models.ForeignKey("crm.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-created_at"]

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress(self) -> int:
        if not self.running:
            return 100
        return min(99, round(100 * self.done / self.total)) if self.total else 0
