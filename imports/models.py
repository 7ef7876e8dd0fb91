"""An import is a job: the uploaded file, the confirmed column mapping, and the preview staged row by
row. Commit writes exactly the staged rows the preview accepted, in one transaction."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for the column mapping")
        PREVIEWING = "previewing", _("Preview running")
        PREVIEWED = "previewed", _("Preview ready")
        COMMITTING = "committing", _("Writing")
        COMMITTED = "committed", pgettext_lazy("import status", "Imported")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        DRAFT = "draft", _("As drafts (submitted for approval as usual)")
        ACTIVE = "active", _("Directly as active customers (administrators only)")

    resource = models.CharField(_("what"), max_length=30, default="customers")
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(max_length=20, blank=True, verbose_name=_("encoding"))
    sheet_name = models.CharField(_("sheet"), max_length=100, blank=True)
    sheet_names = models.JSONField(default=list, blank=True, verbose_name=_("sheet names"))
    header_row = models.PositiveIntegerField(_("header row"), null=True, blank=True)
    headers = models.JSONField(default=list, blank=True, verbose_name=_("headers"))  # the header texts, by column
    mapping = models.JSONField(default=dict, blank=True, verbose_name=_("mapping"))  # column index (as text) → field code
    # column index (as text) → the first few values under the header, kept at upload: the mapping page
    # never reads the file again.
    samples = models.JSONField(default=dict, blank=True, verbose_name=_("samples"))
    # field code → the value new rows get where their cell is empty (the options step; a required field the file lacks)
    defaults = models.JSONField(_("defaults for empty cells"), default=dict, blank=True)
    # The sheet's own words for choices: field code → {value as written: choice value, or "" for blank}.
    value_map = models.JSONField(_("value mapping"), default=dict, blank=True)
    mode = models.CharField(_("import as"), max_length=10, choices=Mode.choices, default=Mode.DRAFT)
    unit = models.ForeignKey("crm.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("unit"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("account manager"))
    language = models.CharField(max_length=10, default="zh-hans", verbose_name=_("language"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    counts = models.JSONField(default=dict, blank=True, verbose_name=_("counts"))
    error = models.TextField(_("error"), blank=True)
    cancel_requested = models.BooleanField(default=False, verbose_name=_("cancel requested"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    previewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("previewed at"))
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("committed by"))
    heartbeat = models.DateTimeField(null=True, blank=True, verbose_name=_("heartbeat"))  # the worker's last sign of life

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def running(self) -> bool:
        return self.status in (self.Status.PREVIEWING, self.Status.COMMITTING)

    @property
    def progress(self) -> int:
        if self.status in (self.Status.PREVIEWED, self.Status.COMMITTED):
            return 100
        return min(99, round(100 * self.rows_done / self.rows_total)) if self.rows_total else 0


class ImportRow(models.Model):
    """One data row of the file as the preview judged it; the staging area commit writes from."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        UPDATE = "update", _("Update")
        UNCHANGED = "unchanged", _("Unchanged")
        DUPLICATE = "duplicate", _("Duplicate of an existing customer")
        DUPLICATE_IN_FILE = "dup_in_file", _("Duplicate within the file")
        ERROR = "error", _("Error")

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_no = models.PositiveIntegerField(_("row"))
    status = models.CharField(_("result"), max_length=12, choices=Status.choices)
    data = models.JSONField(default=dict)  # cleaned values, ready for the model's columns
    messages = models.JSONField(default=list)  # [[field code, cell, message], …]
    target_id = models.BigIntegerField(null=True)  # the customer updated, or duplicated
    dup_row = models.PositiveIntegerField(null=True)  # the earlier row this one repeats
    unit_id = models.BigIntegerField(null=True)
    # Duplicate keys, whatever the resource makes of them (`BulkResource.duplicate_keys` / `file_keys` name the
    # slots; customers: code, mobile, ID, USCC, name, region). key1 is by convention the record's own code.
    KEY_COLUMNS = ("key1", "key2", "key3", "key4", "key5", "key6")
    key1 = models.CharField(max_length=100, default="")
    key2 = models.CharField(max_length=100, default="")
    key3 = models.CharField(max_length=100, default="")
    key4 = models.CharField(max_length=100, default="")
    key5 = models.CharField(max_length=100, default="")
    key6 = models.CharField(max_length=100, default="")
    dup_key = models.CharField(max_length=12, default="")  # which key made it a duplicate

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["job", "row_no"]
        constraints = [models.UniqueConstraint(fields=["job", "row_no"], name="importrow_job_row")]
        indexes = [models.Index(fields=["job", "status", "row_no"], name="importrow_job_status")]


class SavedMapping(models.Model):
    """A confirmed column mapping, offered again for a file whose headers are the same."""

    resource = models.CharField(_("what"), max_length=30, default="customers")
    name = models.CharField(_("name"), max_length=80)
    signature = models.CharField(max_length=64, db_index=True, verbose_name=_("signature"))  # digest of the normalised headers
    headers = models.JSONField(default=list, verbose_name=_("headers"))
    mapping = models.JSONField(_("column mapping"), default=dict)  # header text → field code
    # field code → {value as written: choice value, or "" for blank}; applied to every file with these headers
    value_map = models.JSONField(_("value mapping"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("saved column mapping")
        verbose_name_plural = _("saved column mappings")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["resource", "name"], name="savedmapping_resource_name")]

    def __str__(self) -> str:
        return self.name
