"""The import report: what the preview (or the import) did with each row of the file, as .xlsx.

Streamed: openpyxl's write-only workbook and the staged rows read in chunks, so a million-row
import is reported in bounded memory. Every text cell is formula-safe."""
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from crm.exports import neutralise
from crm.models import display_name

from .models import ImportJob, ImportRow
from .resources import get_resource
from .selectors import default_lines, described_rows

COUNT_LABELS = (
    ("rows", lambda: _("Rows read")),
    ("new", lambda: _("New")),
    ("updated", lambda: _("Updated")),
    ("unchanged", lambda: _("Unchanged")),
    ("duplicates", lambda: _("Duplicates")),
    ("errors", lambda: _("Errors")),
    ("skipped_blank", lambda: _("Blank rows skipped")),
)


def _cell(value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def summary_lines(job: ImportJob) -> list[tuple[str, object]]:
    counts = job.counts or {}
    written = counts.get("written") or {}
    customer_options = get_resource(job.resource).customer_options
    lines = [
        (_("File"), job.original_name),
        (_("Format"), job.file_format),
        (_("Sheet"), job.sheet_name),
        (_("Uploaded by"), display_name(job.created_by)),
        (_("Uploaded at"), _when(job.created_at)),
    ]
    if customer_options:
        lines += [
            (_("Import as"), job.get_mode_display()),
            (_("Unit"), str(job.unit) if job.unit else ""),
            (_("Account manager"), display_name(job.owner)),
        ]
    lines.append((_("Status"), job.get_status_display()))
    lines += [(label(), counts.get(key, 0)) for key, label in COUNT_LABELS]
    for line in default_lines(job):
        text = line.value if line.rows is None else _("%(value)s (%(rows)s rows)") % {"value": line.value, "rows": line.rows}
        lines.append((_("Default for empty “%(field)s”") % {"field": line.label}, text))
    if job.committed_at:
        lines += [
            (_("Imported by"), display_name(job.committed_by)),
            (_("Imported at"), _when(job.committed_at)),
            (_("Customers created") if customer_options else _("Records created"), written.get("created", 0)),
            (_("Customers updated") if customer_options else _("Records updated"), written.get("updated", 0)),
        ]
    if job.error:
        lines.append((_("Error"), job.error))
    return lines


def report_xlsx(job: ImportJob, viewer) -> bytes:
    """Summary sheet, then one line per row (one per message for rows with errors)."""
    wb = Workbook(write_only=True)
    summary = wb.create_sheet(title=_("Summary")[:31])
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 50
    for label, value in summary_lines(job):
        summary.append([_cell(str(label)), _cell(value)])

    sheet = wb.create_sheet(title=_("Row details")[:31])
    for letter, width in zip("ABCDEF", (8, 16, 30, 10, 20, 60)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    name_label = str(get_resource(job.resource).name_label)
    sheet.append([_cell(h) for h in (_("Row number"), _("Outcome"), name_label, _("Cell"), _("Field"), _("Details"))])
    labels = dict(ImportRow.Status.choices)
    for row, name, reasons in described_rows(job, viewer):
        result = str(labels.get(row.status, row.status))
        for reason in reasons:
            sheet.append([row.row_no, _cell(result), _cell(name), _cell(reason.cell), _cell(reason.field), _cell(reason.text)])
    wb.properties.creator = display_name(viewer)[:255]
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
