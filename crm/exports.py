"""Spreadsheets that leave the system: watermarked, formula-safe, written by openpyxl."""
import unicodedata
from collections.abc import Iterable, Sequence
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell that starts like a formula is written as text with a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def watermark(user, purpose: str) -> str:
    """The line every workbook that leaves the system carries: who (name and sign-in), when, and what for,
    so that a leaked copy names the person it was made for."""
    from .models import display_name

    return _("%(who)s · %(when)s · %(purpose)s") % {
        "who": f"{display_name(user)} ({user.get_username()})",
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "purpose": purpose,
    }


def watermarked_workbook(*, title: str, watermark: str, headers: list[str], rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([watermark])
    ws["A1"].font = Font(bold=True, color="C00000")
    ws.append([neutralise(h) for h in headers])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise(v) for v in row])
    ws.oddHeader.center.text = watermark
    ws.oddFooter.center.text = watermark
    ws.freeze_panes = "A3"
    for column in ws.columns:
        ws.column_dimensions[column[1].column_letter].width = max(10, min(40, max(len(str(c.value or "")) for c in column[1:]) + 2))
    buffer = BytesIO()
    wb.properties.creator = watermark[:255]
    wb.properties.created = timezone.now().replace(tzinfo=None)
    wb.save(buffer)
    return buffer.getvalue()


def _text_cell(value):
    """Formula-safe, and without the control characters openpyxl refuses (one bad record must not sink an export)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return neutralise(value)


def _header_width(header: str) -> int:
    """Chinese characters take two columns in Excel and WPS."""
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in header)
    return max(10, min(40, width + 2))


def streamed_workbook(*, title: str, watermark: str, headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """`watermarked_workbook` for any number of rows: openpyxl's write-only mode streams rows to a
    temporary file, so only one row is in memory at a time. Widths follow the headers."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(title or "Sheet")[:31])
    headers = [_text_cell(str(h)) for h in headers]
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(index)].width = _header_width(header)
    ws.freeze_panes = "A3"
    ws.oddHeader.center.text = watermark
    ws.oddFooter.center.text = watermark
    mark = WriteOnlyCell(ws, value=_text_cell(watermark))
    mark.font = Font(bold=True, color="C00000")
    ws.append([mark])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    for row in rows:
        ws.append([_text_cell(v) for v in row])
    wb.properties.creator = watermark[:255]
    wb.properties.created = timezone.now().replace(tzinfo=None)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str):
    from django.http import HttpResponse

    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
