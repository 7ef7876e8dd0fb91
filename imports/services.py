"""The import workflow, one verb each: upload (`create_import`), confirm the mapping (`set_mapping`),
preview (`start_preview` / `run_preview`), commit (`start_commit` / `commit_import`), cancel.

The preview streams the file in chunks, cleans each chunk through the resource and stages it; then a
few set-based statements find duplicates of existing records and repeats within the file. Nothing
but the staging rows is written. Commit writes exactly the staged rows the preview accepted, in one
transaction: a crash or a killed worker leaves nothing half-written."""
import json
import logging
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm import audit
from crm.errors import AppError
from crm.models import display_name

from . import permissions, sql
from .headers import SEARCH_ROWS, HeaderMatcher, column_letter, signature
from .models import ImportJob, ImportRow, SavedMapping
from .parallel import cleaned_chunks
from .readers import ImportFileError, open_sheet
from .resources import CleanRow, get_resource

log = logging.getLogger(__name__)
S = ImportJob.Status
R = ImportRow.Status
CHUNK_ROWS = 2000
STALE_AFTER = timedelta(minutes=10)
STAGE_COLUMNS = ["job_id", "row_no", "status", "data", "messages", "target_id", "dup_row", "unit_id",
                 *ImportRow.KEY_COLUMNS, "dup_key"]


class ImportRefused(AppError):
    """A refused step, with a message for the user in the active language."""

    code = "imports.refused"


def inline_rows() -> int:
    return getattr(settings, "CRM_IMPORT_INLINE_ROWS", 5000)


def max_upload_bytes() -> int:
    return getattr(settings, "CRM_IMPORT_MAX_UPLOAD_MB", 200) << 20


# --- upload and mapping -----------------------------------------------------------------------------

def create_import(*, actor, upload, resource: str = "customers", name: str = "") -> ImportJob:
    """Stores the file, reads what it really is, finds the header row and proposes the mapping.
    A file that cannot be read is refused with the reason; nothing is kept of it."""
    if not permissions.can_import(actor):
        raise ImportRefused(_("You cannot import data."))
    size = getattr(upload, "size", None)
    if size is None:
        size = Path(upload.name).stat().st_size
    if size > max_upload_bytes():
        raise ImportRefused(_("The file is larger than %(mb)s MB.") % {"mb": max_upload_bytes() >> 20})
    original = Path(name or getattr(upload, "name", "upload")).name[:255]
    job = ImportJob(resource=resource, original_name=original, created_by=actor,
                    language=translation.get_language() or settings.LANGUAGE_CODE)
    job.file.save(original if Path(original).suffix else original + ".bin", upload if hasattr(upload, "chunks") else File(upload), save=False)
    job.unit = permissions.default_unit(actor)
    try:
        _inspect(job, sheet=0)
    except ImportFileError as exc:
        # A cover sheet (a title, notes) before the list: take the first sheet that has a header row;
        # the admin can still choose another. `_inspect` has set job.sheet_names before it failed.
        for other in job.sheet_names[1:]:
            try:
                _inspect(job, sheet=other)
                break
            except ImportFileError:
                continue
        else:
            job.file.delete(save=False)
            raise ImportRefused(str(exc)) from exc
    except Exception as exc:
        log.exception("import upload %s could not be read", original)
        job.file.delete(save=False)
        raise ImportRefused(_("The file could not be read; it may be damaged. Open it in Excel or WPS, save it again "
                              "as .xlsx and upload that.")) from exc
    job.save()
    return job


def _inspect(job: ImportJob, sheet) -> None:
    table = open_sheet(job.file.path, sheet)
    job.file_format, job.encoding = table.format, table.encoding
    job.sheet_name, job.sheet_names, job.rows_total = table.name, table.sheet_names, table.total_rows or 0
    first, whole_sheet = [], True
    for number, values in table.rows():
        if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
            first.append((number, values))
            if len(first) >= SEARCH_ROWS:
                whole_sheet = False
                break
    if not first:
        raise ImportFileError(_("The sheet is empty: it has no rows with data."))
    resource = get_resource(job.resource)
    matcher = HeaderMatcher(resource.columns())
    found = matcher.find_header(first)
    if found is None:
        raise ImportFileError(
            _("No header row was found in the first %(n)s rows. The sheet needs a row of column titles such as %(examples)s.")
            % {"n": SEARCH_ROWS, "examples": resource.header_examples}
        )
    job.header_row, headers = found
    if whole_sheet and all(number <= job.header_row for number, _values in first):
        # The whole sheet was read (fewer than SEARCH_ROWS rows with anything in them): say now,
        # not after the mapping and a preview, that nothing is under the header.
        raise ImportFileError(_("The sheet has a header row but no data rows under it."))
    job.headers = ["" if h is None else str(h).strip() for h in headers]
    job.samples = _samples(first, job.header_row)
    saved = SavedMapping.objects.filter(resource=job.resource, signature=signature(job.headers)).first()
    job.value_map = (saved.value_map or {}) if saved is not None else {}
    if saved is not None:
        proposal = {i: saved.mapping[h] for i, h in enumerate(job.headers) if saved.mapping.get(h)}
    else:
        proposal = matcher.propose(job.headers)
    job.mapping = {str(i): code for i, code in proposal.items()}


def _samples(rows, header_row: int, limit: int = 3) -> dict[str, list[str]]:
    """Column index (as text) → the first few non-empty values under the header, from the rows read."""
    samples: dict[str, list[str]] = {}
    for _number, values in [(n, v) for n, v in rows if n > header_row][:limit]:
        for index, value in enumerate(values):
            if value is not None and str(value).strip():
                samples.setdefault(str(index), []).append(str(value).strip()[:40])
    return samples


def choose_sheet(*, actor, job_id: int, sheet: str) -> ImportJob:
    job = _own_job(actor, job_id)
    _editable(job)
    try:
        _inspect(job, sheet=sheet)
    except ImportFileError as exc:
        raise ImportRefused(str(exc)) from exc
    job.save()
    return job


def set_mapping(*, actor, job_id: int, mapping: dict, mode: str, unit=None, owner=None, save_as: str = "",
                defaults: dict | None = None) -> ImportJob:
    """The admin's confirmed mapping and options; a changed mapping throws away an earlier preview.
    `defaults`: field code → the value new rows get where their cell is empty."""
    job = _own_job(actor, job_id)
    _editable(job)
    resource = get_resource(job.resource)
    job.defaults = _clean_defaults(resource, job, defaults or {})
    known = {c.code for c in resource.columns()}
    clean = {}
    for col, code in mapping.items():
        if not code:
            continue
        if code not in known:
            raise ImportRefused(_("Unknown field: %(code)s.") % {"code": code})
        if code in clean.values():
            raise ImportRefused(_("The field “%(field)s” is chosen for two columns.") % {"field": resource.label_of(code)})
        clean[str(int(col))] = code
    for required in resource.required_columns():
        if required not in clean.values():
            raise ImportRefused(_("Choose the column that holds “%(field)s”.") % {"field": resource.label_of(required)})
    if not resource.customer_options:
        mode, unit, owner = ImportJob.Mode.DRAFT, None, None  # records of no unit and no account manager
    elif mode not in ImportJob.Mode.values:
        raise ImportRefused(_("Choose how to import the customers."))
    elif mode == ImportJob.Mode.ACTIVE and not permissions.can_import_active(actor):
        raise ImportRefused(_("Only administrators may import customers directly as active."))
    elif unit is None or not permissions.may_import_into(actor, unit):
        raise ImportRefused(_("Choose a unit you may import into."))
    elif owner is not None and not owner.is_active:
        raise ImportRefused(_("The chosen account manager has left."))
    job.mapping, job.mode, job.unit, job.owner = clean, mode, unit, owner
    job.status, job.counts, job.error, job.rows_done = S.UPLOADED, {}, "", 0
    job.save()
    ImportRow.objects.filter(job=job).delete()
    _save_mapping(job, actor, save_as)
    return job


def _clean_defaults(resource, job: ImportJob, defaults: dict) -> dict:
    from django.core.exceptions import ValidationError

    offered = {field.code: field for field in resource.default_fields(job)}
    clean = {}
    for code, value in defaults.items():
        if value is None or not str(value).strip():
            continue
        if code not in offered:
            raise ImportRefused(_("Unknown field: %(code)s.") % {"code": code})
        try:
            clean[code] = resource.clean_default(code, value)
        except ValidationError as exc:
            raise ImportRefused(_("Default for “%(field)s”: %(error)s") % {"field": offered[code].label,
                                                                         "error": exc.messages[0]}) from exc
    return clean


def set_value_map(*, actor, job_id: int, value_map: dict, save_as: str = "") -> ImportJob:
    """The importer's words for choices ({field: {value as written: choice, or "" for blank}}), added to the
    job's value map and saved with its column mapping (`save_as`); the preview must run again."""
    job = _own_job(actor, job_id)
    _editable(job)
    fields = get_resource(job.resource).choice_fields()
    merged = {code: dict(values) for code, values in (job.value_map or {}).items()}
    for code, values in value_map.items():
        if code not in fields:
            raise ImportRefused(_("Unknown field: %(code)s.") % {"code": code})
        label, choices, optional = fields[code]
        allowed = {value for value, _text in choices}
        for written, choice in values.items():
            if choice == "" and not optional:
                raise ImportRefused(_("“%(field)s” is required: map “%(value)s” to one of its choices.")
                                    % {"field": label, "value": written})
            if choice and choice not in allowed:
                raise ImportRefused(_("“%(choice)s” is not one of the choices for %(field)s.") % {"choice": choice, "field": label})
            merged.setdefault(code, {})[str(written)[:100]] = choice
    job.value_map = merged
    job.status, job.counts, job.error, job.rows_done = S.UPLOADED, {}, "", 0
    job.save()
    ImportRow.objects.filter(job=job).delete()
    _save_mapping(job, actor, save_as)
    return job


def _save_mapping(job: ImportJob, actor, name: str) -> None:
    """The column mapping and the value map, offered again to every file with the same headers."""
    if not name.strip():
        return
    SavedMapping.objects.update_or_create(
        resource=job.resource, name=name.strip()[:80],
        defaults={"signature": signature(job.headers), "headers": job.headers, "created_by": actor,
                  "value_map": job.value_map or {},
                  "mapping": {job.headers[int(col)]: code for col, code in job.mapping.items() if int(col) < len(job.headers)}},
    )


def _own_job(actor, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id).select_related("unit", "owner", "created_by").first()
    if job is None or not permissions.can_see_job(actor, job):
        raise ImportJob.DoesNotExist
    return job


def _editable(job: ImportJob) -> None:
    if job.status == S.COMMITTED:
        raise ImportRefused(_("This file has already been imported."))
    if job.running and not is_stale(job):
        raise ImportRefused(_("This import is running; wait for it or cancel it first."))


def is_stale(job: ImportJob) -> bool:
    """A running job whose worker has not been heard of for a while (killed, or the queue is down)."""
    return job.running and (job.heartbeat or job.created_at) < timezone.now() - STALE_AFTER


# --- preview ----------------------------------------------------------------------------------------

def start_preview(*, actor, job_id: int, inline: bool = False) -> ImportJob:
    """Small files are previewed at once; larger ones by a worker, with a progress bar."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=_own_job(actor, job_id).pk)
        _editable(job)
        if not job.mapping:
            raise ImportRefused(_("Confirm the column mapping first."))
        job.status, job.cancel_requested, job.rows_done, job.counts, job.error = S.PREVIEWING, False, 0, {}, ""
        job.heartbeat = timezone.now()
        job.save()
    if inline or job.rows_total <= inline_rows():
        run_preview(job.pk)
    else:
        from .tasks import preview_import

        transaction.on_commit(lambda: preview_import.apply_async(args=[job.pk], queue=settings.CRM_IMPORT_QUEUE))
    job.refresh_from_db()
    return job


def run_preview(job_id: int) -> ImportJob | None:
    """Idempotent: a redelivered task (its worker was killed) starts the preview again from scratch."""
    job = ImportJob.objects.filter(pk=job_id, status=S.PREVIEWING).select_related("unit", "owner", "created_by").first()
    if job is None:
        return None
    ImportRow.objects.filter(job=job).delete()
    with translation.override(job.language):
        try:
            counts = _preview(job)
        except ImportFileError as exc:
            return _fail(job, str(exc))
        except _Cancelled:
            ImportRow.objects.filter(job=job).delete()
            ImportJob.objects.filter(pk=job.pk).update(status=S.CANCELLED, heartbeat=timezone.now())
            return None
        except Exception:
            log.exception("import %s: preview failed", job.pk)
            return _fail(job, _("The preview stopped on an unexpected error; the administrators have been told. Nothing was imported."))
    ImportJob.objects.filter(pk=job.pk, status=S.PREVIEWING).update(
        status=S.PREVIEWED, counts=counts, previewed_at=timezone.now(), heartbeat=timezone.now(), rows_done=job.rows_done
    )
    job.refresh_from_db()
    return job


class _Cancelled(Exception):
    pass


def _fail(job: ImportJob, message: str) -> ImportJob:
    ImportRow.objects.filter(job=job).delete()
    ImportJob.objects.filter(pk=job.pk).update(status=S.FAILED, error=message, heartbeat=timezone.now())
    job.refresh_from_db()
    return job


def _preview(job: ImportJob) -> dict:
    resource = get_resource(job.resource)
    ctx = resource.context(job)
    columns = sorted((int(col), code) for col, code in job.mapping.items())
    letters = {code: column_letter(col) for col, code in columns}
    table = open_sheet(job.file.path, job.sheet_name or 0)
    state = {"last": job.header_row or 0, "blank": 0}

    def chunks():
        chunk = []
        header_row = job.header_row or 0
        for number, values in table.rows():
            if number <= header_row:
                continue
            width = len(values)
            raw = {code: values[col] for col, code in columns if col < width and values[col] is not None}
            if not raw or all(isinstance(v, str) and not v.strip() for v in raw.values()):
                continue
            state["blank"] += number - state["last"] - 1
            state["last"] = number
            chunk.append((number, raw))
            if len(chunk) >= CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def clean(chunk):
        """In the helper process: clean, and encode every row the database need not see again."""
        cleaned = resource.clean_rows(chunk, ctx)
        later = [row for row in cleaned if resource.needs_database(row)]
        ready = [row for row in cleaned if not resource.needs_database(row)]
        filled = {key for row in cleaned for key, value in row.keys.items() if value}
        return sql.encode_rows(_stage_rows(job.pk, ready, letters)), _pack(later), filled, _tally(cleaned, defaults)

    total, filled_keys, defaults, tally = 0, set(), set(job.defaults or {}), {"defaults": {}, "values": {}}
    parallel = (job.rows_total or 0) > 2 * CHUNK_ROWS
    for chunk, (encoded, later, filled, found) in cleaned_chunks(chunks(), clean, lambda x: x, lambda x: x, parallel):
        filled_keys |= filled
        _merge_tally(tally, found)
        sql.insert_encoded(ImportRow._meta.db_table, STAGE_COLUMNS, encoded)
        if later:
            later = _unpack(later)
            resource.resolve_rows(later, ctx)
            sql.bulk_insert(ImportRow._meta.db_table, STAGE_COLUMNS, _stage_rows(job.pk, later, letters))
        total += len(chunk)
        _progress(job, chunk[-1][0])
    if total == 0:
        raise ImportFileError(_("The sheet has a header row but no data rows under it."))
    _analyze_staged(job)
    with transaction.atomic():
        prefer_hash_joins(job)
        resource.resolve_staged(job, ctx, StagedRows(job, letters))
    _find_duplicates(job, resource, filled_keys)
    counts = staged_counts(job)
    counts["skipped_blank"] = state["blank"]
    if tally["defaults"]:
        counts["defaults"] = tally["defaults"]  # field code → rows whose empty cell got the default
    if tally["values"]:
        counts["values"] = _listed_unknown(tally["values"])
    job.rows_done = state["last"]
    return counts


UNKNOWN_SAMPLE_ROWS = 3
UNKNOWN_LISTED = 100  # distinct values listed per field; a column of free text is no choice column


def _tally(cleaned, defaults: set) -> dict:
    """What one chunk's cleaning found beside its rows: {"defaults": {field: rows whose empty cell got the default},
    "values": {field: {value: [count, [first row numbers]]}} of the choice cells no choice matched}."""
    defaulted = Counter(code for row in cleaned if not row.errors for code, _m in row.notes if code in defaults)
    found: dict = {}
    for row in cleaned:
        for code, value in row.unknown:
            entry = found.setdefault(code, {}).setdefault(value, [0, []])
            entry[0] += 1
            if len(entry[1]) < UNKNOWN_SAMPLE_ROWS:
                entry[1].append(row.row_no)
    return {"defaults": dict(defaulted), "values": found}


def _merge_tally(into: dict, found: dict) -> None:
    for code, rows in found["defaults"].items():
        into["defaults"][code] = into["defaults"].get(code, 0) + rows
    for code, values in found["values"].items():
        mine = into["values"].setdefault(code, {})
        for value, (count, rows) in values.items():
            entry = mine.setdefault(value, [0, []])
            entry[0] += count
            entry[1] = (entry[1] + rows)[:UNKNOWN_SAMPLE_ROWS]


def _listed_unknown(unknown: dict) -> dict:
    """For the value mapping: per field, the most frequent unknown values with their counts and sample rows."""
    return {
        code: [{"value": value, "count": count, "rows": rows}
               for value, (count, rows) in sorted(values.items(), key=lambda item: (-item[1][0], item[0]))[:UNKNOWN_LISTED]]
        for code, values in sorted(unknown.items())
    }


def _pack(rows) -> list[tuple]:
    return [(r.row_no, r.data, r.errors, r.keys, r.unit_id, r.status, r.target_id, r.notes, r.unknown) for r in rows]


def _unpack(rows) -> list[CleanRow]:
    return [CleanRow(*values) for values in rows]


def _progress(job: ImportJob, number: int) -> None:
    job.rows_done = number
    ImportJob.objects.filter(pk=job.pk).update(rows_done=number, heartbeat=timezone.now())
    if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise _Cancelled


def _stage_rows(job_pk: int, cleaned, letters) -> list[tuple]:
    rows = []
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for row in cleaned:
        messages = "[]"
        if row.errors or row.notes:
            messages = dumps([[code, f"{letters.get(code, '')}{row.row_no}" if code in letters else "", str(message)]
                              for code, message in (row.errors or row.notes)])
        status = R.ERROR if row.errors else row.status
        k = row.keys
        rows.append((
            job_pk, row.row_no, status, dumps(row.data), messages, row.target_id, None, row.unit_id,
            *(k.get(column, "") for column in ImportRow.KEY_COLUMNS), "",
        ))
    return rows


class StagedRows:
    """One job's rows in the staging table, for a resource's `resolve_staged`: read back the rows an SQL
    condition picks, a page at a time, and write them again once Python has judged them."""

    table = ImportRow._meta.db_table

    def __init__(self, job: ImportJob, letters: dict[str, str]):
        self.job, self.letters = job, letters

    def pages(self, condition: str, params=(), size: int | None = None):
        """Lists of CleanRow (in row order) for the staged rows where `condition` (SQL on the staging
        table, alias `s`) holds. Their messages come back as errors on an error row, else as notes."""
        with sql.connection.cursor() as cursor:
            cursor.execute(f"SELECT s.row_no FROM {self.table} s WHERE s.job_id = %s AND ({condition}) ORDER BY s.row_no",
                           [self.job.pk, *params])
            numbers = [n for (n,) in cursor.fetchall()]
        size = size or CHUNK_ROWS
        fields = ("row_no", "status", "data", "messages", "target_id", "unit_id", *ImportRow.KEY_COLUMNS)
        for start in range(0, len(numbers), size):
            page = ImportRow.objects.filter(job=self.job, row_no__in=numbers[start:start + size]).order_by("row_no")
            rows = []
            for row_no, status, data, messages, target_id, unit_id, *keys in page.values_list(*fields):
                said = [(code, message) for code, _cell, message in messages]
                rows.append(CleanRow(
                    row_no, data, errors=said if status == R.ERROR else [], notes=[] if status == R.ERROR else said,
                    keys={column: key for column, key in zip(ImportRow.KEY_COLUMNS, keys) if key},
                    unit_id=unit_id, status=status, target_id=target_id))
            yield rows

    def replace(self, rows: list[CleanRow]) -> None:
        """The rows as judged now, in place of what was staged for them."""
        if not rows:
            return
        ImportRow.objects.filter(job=self.job, row_no__in=[row.row_no for row in rows]).delete()
        sql.bulk_insert(self.table, STAGE_COLUMNS, _stage_rows(self.job.pk, rows, self.letters))


def _analyze_staged(job: ImportJob) -> None:
    if sql.postgres() and job.rows_total > CHUNK_ROWS:
        # The planner knows nothing of the rows just staged: between a few thousand rows and the hash-join
        # threshold it would loop over every customer for each of them (10,000 rows: minutes, not a second).
        sql.execute(f"ANALYZE {ImportRow._meta.db_table}")


def _find_duplicates(job: ImportJob, resource, filled: set[str]) -> None:
    """Set-based: new rows that repeat an existing record, then rows that repeat an earlier row."""
    stage = ImportRow._meta.db_table
    model = resource._meta.model._meta.db_table
    with transaction.atomic():
        prefer_hash_joins(job)
        _duplicate_passes(job, resource, filled, stage, model)


def prefer_hash_joins(job: ImportJob) -> None:
    """For the rest of the current transaction. The staging rows were just written, so the planner's
    statistics do not know them and it would pick a nested loop over a million rows; the set-based
    passes of a large import want hash joins."""
    if sql.postgres() and job.rows_total > 10 * CHUNK_ROWS:
        sql.execute("SET LOCAL enable_nestloop = off")


def _duplicate_passes(job, resource, filled: set[str], stage: str, model: str) -> None:
    """`filled`: the key columns some row has a value in (the cleaning reported them); a key that
    no row has needs no pass."""
    for name, pairs in resource.duplicate_keys:
        if not all(col in filled for col, _m in pairs):
            continue  # no row has this key: no need to scan the customers for it
        joined = " AND ".join(f"c.{model_col} = {stage}.{stage_col}" for stage_col, model_col in pairs)
        present = " AND ".join(f"{stage}.{stage_col} <> ''" for stage_col, _m in pairs)
        sql.execute(
            f"UPDATE {stage} SET status = %s, target_id = c.id, dup_key = %s FROM {model} c "
            f"WHERE {stage}.job_id = %s AND {stage}.status = %s AND {present} AND {joined} AND {resource.existing_filter_sql()}",
            [R.DUPLICATE, name, job.pk, R.NEW],
        )
    live = (R.NEW, R.UPDATE, R.UNCHANGED)
    for name, cols in resource.file_keys:
        if not all(col in filled for col in cols):
            continue
        partition = ", ".join(cols)
        present = " AND ".join(f"{c} <> ''" for c in cols)
        sql.execute(
            f"UPDATE {stage} SET status = %s, dup_row = d.first_row, dup_key = %s FROM ("
            f"SELECT id, row_no, FIRST_VALUE(row_no) OVER (PARTITION BY {partition} ORDER BY row_no) AS first_row "
            f"FROM {stage} WHERE job_id = %s AND status IN (%s, %s, %s) AND {present}) d "
            f"WHERE {stage}.id = d.id AND d.row_no <> d.first_row",
            [R.DUPLICATE_IN_FILE, name, job.pk, *live],
        )


def staged_counts(job: ImportJob) -> dict:
    from django.db.models import Count

    by_status = dict(ImportRow.objects.filter(job=job).values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "rows": sum(by_status.values()),
        "new": by_status.get(R.NEW, 0),
        "updated": by_status.get(R.UPDATE, 0),
        "unchanged": by_status.get(R.UNCHANGED, 0),
        "duplicates": by_status.get(R.DUPLICATE, 0) + by_status.get(R.DUPLICATE_IN_FILE, 0),
        "errors": by_status.get(R.ERROR, 0),
    }


# --- commit -----------------------------------------------------------------------------------------

def start_commit(*, actor, job_id: int, inline: bool = False) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=_own_job(actor, job_id).pk)
        _check_committable(job)
        if not permissions.can_commit(actor, job):
            raise ImportRefused(_("You cannot import this file."))
        background = not inline and job.counts.get("rows", 0) > inline_rows()
        if background:
            job.status, job.heartbeat, job.cancel_requested, job.committed_by = S.COMMITTING, timezone.now(), False, actor
            job.save(update_fields=["status", "heartbeat", "cancel_requested", "committed_by"])
    if background:
        from .tasks import commit_import_task

        transaction.on_commit(
            lambda: commit_import_task.apply_async(args=[job.pk, actor.pk], queue=settings.CRM_IMPORT_QUEUE)
        )
        job.refresh_from_db()
        return job
    return commit_import(actor=actor, job_id=job.pk)


def _check_committable(job: ImportJob, background: bool = False) -> None:
    if job.status == S.COMMITTED:
        raise ImportRefused(
            _("This file was already imported by %(who)s at %(when)s.")
            % {"who": display_name(job.committed_by), "when": timezone.localtime(job.committed_at).strftime("%Y-%m-%d %H:%M")}
        )
    if job.status == S.COMMITTING and not background and not is_stale(job):
        raise ImportRefused(_("This import is already being written."))
    if job.status not in (S.PREVIEWED, S.COMMITTING):
        raise ImportRefused(_("Run the preview first; only what the preview accepted is imported."))


def commit_import(*, actor, job_id: int, background: bool = False, pause: float = 0) -> ImportJob:
    """All or nothing. A second commit racing the first waits for the lock, then is told who won.
    `background`: run by the worker for a job `start_commit` marked as being written (again, if the
    worker that first took it was killed: its transaction died with it)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("unit", "owner").get(pk=job_id)
        _check_committable(job, background=background)
        if job.cancel_requested:
            raise ImportRefused(_("The import was cancelled."))
        resource = get_resource(job.resource)
        prefer_hash_joins(job)
        with translation.override(job.language):
            written = resource.commit(job, actor, pause=pause)
        job.status, job.committed_at, job.committed_by = S.COMMITTED, timezone.now(), actor
        job.counts = {**job.counts, "written": written}
        job.save(update_fields=["status", "committed_at", "committed_by", "counts"])
        audit.record(
            "import", actor=actor, subject=job.original_name[:200],
            customers=written.get("customer_ids", []),
            detail={"job": job.pk, "resource": job.resource, "mode": job.mode, "unit": job.unit.code if job.unit else "",
                    **{k: v for k, v in job.counts.items() if k != "written"}, "created": written.get("created", 0),
                    "updated": written.get("updated", 0)},
        )
    return job


def cancel_import(*, actor, job_id: int) -> ImportJob:
    job = _own_job(actor, job_id)
    if job.status == S.COMMITTING and not is_stale(job):
        # The commit is one transaction holding this row: it either finishes or leaves nothing.
        raise ImportRefused(_("The rows are being written in one step now; that can no longer be cancelled."))
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=_own_job(actor, job_id).pk)
        if job.status == S.COMMITTED:
            raise ImportRefused(_("This file has already been imported; it cannot be cancelled."))
        if job.running and not is_stale(job):
            job.cancel_requested = True
            job.save(update_fields=["cancel_requested"])
            return job
        job.status, job.cancel_requested = S.CANCELLED, True
        job.save(update_fields=["status", "cancel_requested"])
        ImportRow.objects.filter(job=job).delete()
    return job


def fail_commit(job_id: int, message: str) -> None:
    """After a refused background commit: back to the preview, with the reason."""
    ImportJob.objects.filter(pk=job_id, status=S.COMMITTING).update(status=S.PREVIEWED, error=message)



# --- django-import-export's interface ---------------------------------------------------------------

def import_dataset(resource, dataset, *, dry_run: bool, actor=None, unit=None, mode: str = "draft", **_kwargs):
    """`Resource.import_data` served by the bulk path: the tablib Dataset goes through the same
    upload, mapping proposal, preview and (unless `dry_run`) commit as a file, and comes back as
    import-export's `Result` (new, update, skip for unchanged and duplicates, invalid for errors)."""
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile
    from import_export.results import Result, RowResult

    if actor is None:
        raise ImportRefused(_("An import needs the user it runs as (pass user=…)."))
    upload = ContentFile(dataset.export("xlsx"), name="dataset.xlsx")
    job = create_import(actor=actor, upload=upload, resource=resource.key)
    set_mapping(actor=actor, job_id=job.pk, mapping=job.mapping, mode=mode, unit=unit or job.unit)
    job = start_preview(actor=actor, job_id=job.pk, inline=True)
    if job.status == S.FAILED:
        raise ImportRefused(job.error)
    if not dry_run:
        job = start_commit(actor=actor, job_id=job.pk, inline=True)
    result = Result()
    kinds = {R.NEW: RowResult.IMPORT_TYPE_NEW, R.UPDATE: RowResult.IMPORT_TYPE_UPDATE}
    for row in ImportRow.objects.filter(job=job).order_by("row_no").iterator(chunk_size=2000):
        number = row.row_no - (job.header_row or 1)  # import-export counts data rows from 1
        if row.status == R.ERROR:
            error = ValidationError({code: [message] for code, _cell, message in row.messages})
            result.append_invalid_row(number, dict(row.data), error)
            continue
        row_result = RowResult()
        row_result.import_type = kinds.get(row.status, RowResult.IMPORT_TYPE_SKIP)
        row_result.object_id = row.target_id
        row_result.row_values = dict(row.data)
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)
    result.totals[RowResult.IMPORT_TYPE_INVALID] = len(result.invalid_rows)
    result.import_job = job
    return result

