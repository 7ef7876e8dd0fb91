"""Reads for the import pages and the report: which jobs a user sees, a few sample cells per
column, and each staged row's result put into words. Nothing here writes."""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from crm import roles as r

from . import permissions
from .headers import column_letter, signature
from .models import ImportJob, ImportRow, SavedMapping
from .resources import Target, get_resource

PAGE_SIZE = 50
# The duplicate key (ImportRow.dup_key) → the field whose label names it.
KEY_FIELDS = {"code": "customer_code", "mobile": "mobile", "id_number": "id_number",
              "uscc": "unified_social_credit_code", "name": "name"}


def visible_jobs(user):
    """The jobs `permissions.can_see_job` lets the user open: its own; every job for administrators."""
    jobs = ImportJob.objects.select_related("created_by", "unit")
    if not permissions.can_import(user):
        return jobs.none()
    if user.is_superuser or r.has_role(user, r.ADMIN):
        return jobs
    return jobs.filter(created_by=user)


def job_for(user, pk: int) -> ImportJob | None:
    job = ImportJob.objects.select_related("created_by", "unit", "owner", "committed_by").filter(pk=pk).first()
    if job is None or not permissions.can_see_job(user, job):
        return None
    return job


def account_managers(user):
    """Active sales reps of the units the user may import into, to own the imported customers."""
    return (
        get_user_model().objects.filter(is_active=True, groups__name=r.SALES_REP,
                                        staff_profile__units__in=permissions.import_units(user))
        .distinct().order_by("last_name", "first_name", "username")
    )


def saved_mapping_name(job: ImportJob) -> str:
    """The name the value map is saved under: the saved mapping of these headers, else the file's name."""
    saved = SavedMapping.objects.filter(resource=job.resource, signature=signature(job.headers)).first()
    return saved.name if saved else job.original_name.rsplit(".", 1)[0][:80]


def mapped_values(job: ImportJob, fields: dict) -> list[tuple[str, str, str]]:
    """(field label, value as written, the choice it maps to) for the job's value map, in words."""
    found = []
    for code, mapped in sorted((job.value_map or {}).items()):
        if code not in fields:
            continue
        label, choices, _optional = fields[code]
        texts = {value: str(text) for value, text in choices}
        found += [(label, value, texts.get(choice, choice) if choice else _("(blank)")) for value, choice in sorted(mapped.items())]
    return found


def sample_values(job: ImportJob) -> dict[int, list[str]]:
    """Column index → the first few values under the header row, as kept on the job at upload."""
    return {int(index): values for index, values in (job.samples or {}).items()}


@dataclass(frozen=True)
class MappingRow:
    index: int
    letter: str
    header: str
    samples: list
    selected: str


def mapping_rows(job: ImportJob, mapping: dict | None = None, with_samples: bool = True) -> list[MappingRow]:
    """One row per column of the header: its letter, text, sample values and the chosen field."""
    mapping = job.mapping if mapping is None else mapping
    samples = sample_values(job) if with_samples else {}
    return [
        MappingRow(i, column_letter(i), header, samples.get(i, []), mapping.get(str(i), ""))
        for i, header in enumerate(job.headers)
    ]


@dataclass(frozen=True)
class DefaultLine:
    code: str
    label: str
    value: str  # in words
    rows: int | None  # rows whose empty cell got it (None before the preview)


def default_lines(job: ImportJob) -> list[DefaultLine]:
    """The defaults the job applies to empty cells, in words, with how many rows got each."""
    if not job.defaults:
        return []
    resource = get_resource(job.resource)
    counted = (job.counts or {}).get("defaults", {}) if job.counts else None
    return [DefaultLine(code, str(resource.label_of(code)), resource.describe_default(code, value),
                        None if counted is None else counted.get(code, 0))
            for code, value in job.defaults.items()]


def default_form(job: ImportJob, posted: dict | None = None) -> list[tuple]:
    """The options step's default inputs: (field, current value, whether the mapping has a column for it)."""
    resource = get_resource(job.resource)
    values = job.defaults if posted is None else posted
    mapped = set((job.mapping or {}).values())
    return [(field, values.get(field.code, ""), field.code in mapped) for field in resource.default_fields(job)]


# --- the preview's rows, in words -----------------------------------------------------------------

@dataclass(frozen=True)
class Reason:
    cell: str
    field: str
    text: str
    customer_id: int | None = None  # a duplicate the viewer may open


def duplicate_targets(viewer, rows: Iterable[ImportRow], resource) -> dict[int, Target]:
    """Issue 3: someone who cannot see the existing record is told only who owns it; the resource
    that owns the records decides (imports reads no other app's tables)."""
    ids = {row.target_id for row in rows if row.status == ImportRow.Status.DUPLICATE and row.target_id}
    return resource.duplicate_targets(viewer, ids) if ids else {}


class RowWords:
    """Puts a staged row's result into words, for the page and for the report alike."""

    def __init__(self, job: ImportJob):
        self.resource = get_resource(job.resource)
        self.labels = {column.code: str(column.label) for column in self.resource.columns()}

    def label(self, code: str) -> str:
        if code in self.labels:
            return self.labels[code]
        if code.endswith("_id") and code[:-3] in self.labels:
            return self.labels[code[:-3]]
        return code

    def key_label(self, key: str) -> str:
        """The field a duplicate key names: the resource's own column of that code, else the customers' key field."""
        return self.labels[key] if key in self.labels else self.label(KEY_FIELDS.get(key, key))

    def customer_name(self, row: ImportRow) -> str:
        return self.resource.row_name(row)

    def reasons(self, row: ImportRow, targets: dict[int, Target]) -> list[Reason]:
        S = ImportRow.Status
        if row.status == S.ERROR:
            return [Reason(cell or "", self.label(code) if code else "", str(message))
                    for code, cell, message in (row.messages or [])] or [Reason("", "", _("Error"))]
        if row.status == S.DUPLICATE:
            target = targets.get(row.target_id)
            key = self.key_label(row.dup_key) if row.dup_key else ""
            if target is None:
                return [Reason("", key, _("Already registered."))]
            if target.visible:
                names = {"code": target.code, "name": target.name, "key": key}
                text = (_("Already registered as %(code)s %(name)s (same %(key)s).") if key
                        else _("Already registered as %(code)s %(name)s.")) % names
                return [Reason("", key, text, customer_id=row.target_id)]
            return [Reason("", "", _("Already registered; account manager %(owner)s") % {"owner": target.owner or "—"})]
        if row.status == S.DUPLICATE_IN_FILE:
            key = self.key_label(row.dup_key) if row.dup_key else ""
            return [Reason("", key, _("Same %(key)s as row %(row)s") % {"key": key, "row": row.dup_row})]
        if row.status == S.UPDATE:
            fields = "、".join(self.label(code) for code in row.data)
            return [Reason("", fields, _("Changes: %(fields)s") % {"fields": fields}), *self.notes(row)]
        if row.status == S.UNCHANGED:
            return [Reason("", "", _("Nothing to change.")), *self.notes(row)]
        return self.notes(row) or [Reason("", "", "")]  # a new row: the defaults its empty cells got, if any

    def notes(self, row: ImportRow) -> list[Reason]:
        """What to know of an accepted row: cells left out (a field the importer may not see), values to double-check."""
        return [Reason(cell or "", self.label(code) if code else "", str(message)) for code, cell, message in (row.messages or [])]


def preview_page(job: ImportJob, viewer, status: str = "", page: int = 1) -> dict:
    """One page of staged rows, each with its reasons; `status` filters by result."""
    rows = ImportRow.objects.filter(job=job).order_by("row_no")
    if status in ImportRow.Status.values:
        rows = rows.filter(status=status)
    chunk = list(rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1])
    has_next = len(chunk) > PAGE_SIZE
    chunk = chunk[:PAGE_SIZE]
    words = RowWords(job)
    targets = duplicate_targets(viewer, chunk, words.resource)
    return {
        "rows": [(row, words.customer_name(row), words.reasons(row, targets)) for row in chunk],
        "page": page,
        "has_next": has_next,
    }


def described_rows(job: ImportJob, viewer, chunk_size: int = 2000) -> Iterator[tuple[ImportRow, str, list[Reason]]]:
    """Every staged row with its reasons, streamed in chunks (for the report)."""
    words = RowWords(job)
    batch: list[ImportRow] = []

    def flush():
        targets = duplicate_targets(viewer, batch, words.resource)
        for row in batch:
            yield row, words.customer_name(row), words.reasons(row, targets)

    for row in ImportRow.objects.filter(job=job).order_by("row_no").iterator(chunk_size=chunk_size):
        batch.append(row)
        if len(batch) >= chunk_size:
            yield from flush()
            batch = []
    if batch:
        yield from flush()
