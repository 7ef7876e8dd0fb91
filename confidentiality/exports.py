"""Spreadsheets that leave the system: watermarked, formula-safe, written by openpyxl."""
from io import BytesIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell that starts like a formula is written as text with a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


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


def xlsx_response(content: bytes, filename: str):
    from django.http import HttpResponse

    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
