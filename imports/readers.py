"""Reading a spreadsheet as (row number, values) whatever it really is: `.xlsx`, legacy `.xls`, or
CSV in UTF-8 (with or without BOM), UTF-16 or GBK/GB18030. The content decides, never the name.

Libraries: python-calamine reads `.xls` (at most 65,536 rows, so memory is bounded) and
msoffcrypto-tool tells a password-protected workbook. `.xlsx` is read here by a streaming scanner:
openpyxl's read-only mode reads about 6,000 rows/s and python-calamine holds the whole sheet in memory
(1.3 GB for 1,000,000 rows), and the import must do both 10,000 rows/s and 1,000,000 rows in 400 MB.
The scanner decompresses the sheet once to check its real size (zip bombs) and to collect merged
cells, then streams it again; shared strings are kept as one UTF-8 buffer with offsets.

Zip bombs: what a workbook may unpack to is in proportion to its own size (`unpack_limit`), never
beyond a ceiling in proportion to the upload limit, and the sheet and its shared strings in
proportion to the rows it holds. The sizes the archive declares are checked before anything is
unpacked; while unpacking, the real bytes are counted (headers can lie).
"""
import codecs
import csv
import html
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.errors import AppError

CHUNK = 1 << 20  # a chunk's cells are listed at once: 1 MB of sheet XML is about 25,000 cells


class ImportFileError(AppError):
    """The file cannot be read; the message says why and what to do, in the user's language."""

    code = "imports.file"


@dataclass
class Sheet:
    format: str  # "xlsx", "xls" or "csv"
    name: str = ""
    encoding: str = ""
    total_rows: int | None = None  # rows the file declares, for the progress bar
    sheet_names: list[str] = field(default_factory=list)
    _rows: object = None

    def rows(self) -> Iterator[tuple[int, list]]:
        """(1-based row number as the spreadsheet shows it, cell values); blank rows included."""
        return self._rows()


# Real workbooks unpack to 5-20 times their size (the million-row benchmark file 7, a sheet of one
# repeated row 17); a zip bomb to a thousand. Below UNPACK_FLOOR a file is small whatever its ratio.
UNPACK_RATIO = 100
UNPACK_FLOOR = 16 << 20
# A customer row of ~110 columns is a few KB of XML even with long texts inline.
ROW_BYTES = 64 << 10


def limits() -> tuple[int, int]:
    """The most any workbook may unpack to (16 times the upload limit, at most 3 GiB: shared-string
    offsets are 4 bytes), and the most merged cells a sheet may have."""
    upload = getattr(settings, "CRM_IMPORT_MAX_UPLOAD_MB", 200) << 20
    return (
        getattr(settings, "CRM_IMPORT_MAX_UNCOMPRESSED", None) or min(16 * upload, 3 << 30),
        getattr(settings, "CRM_IMPORT_MAX_MERGED_CELLS", 200_000),
    )


def unpack_limit(packed: int) -> int:
    """The most a workbook of `packed` bytes may unpack to."""
    ratio = getattr(settings, "CRM_IMPORT_MAX_UNPACK_RATIO", UNPACK_RATIO)
    return min(limits()[0], max(UNPACK_FLOOR, ratio * packed))


def rows_limit(rows: int) -> int:
    """The most a sheet (or its shared strings) of `rows` rows may unpack to."""
    return UNPACK_FLOOR + rows * getattr(settings, "CRM_IMPORT_MAX_ROW_BYTES", ROW_BYTES)


SIGNATURES = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"{\\rtf", "RTF"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "Windows program"),
)


def open_sheet(path, sheet: str | int = 0) -> Sheet:
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ImportFileError(_("The file could not be opened (%(error)s).") % {"error": exc.strerror}) from exc
    if not head:
        raise ImportFileError(_("The file is empty (0 bytes)."))
    if head.startswith(b"PK\x03\x04"):
        return _open_xlsx(path, sheet)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _open_ole(path, sheet)
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            raise ImportFileError(
                _("This is not an Excel or CSV file: its content is %(kind)s. Upload the .xlsx, .xls or .csv file itself.")
                % {"kind": kind}
            )
    return _open_csv(path)


# --- .xls and encrypted workbooks (OLE2 containers) --------------------------------------------------

PASSWORD_MESSAGE = gettext_noop(
    "This workbook is protected by a password. Open it in Excel or WPS, remove the password "
    "(File → Info → Protect Workbook → Encrypt with Password, clear it), save and upload it again."
)


def _open_ole(path: Path, sheet) -> Sheet:
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError

    try:
        with path.open("rb") as f:
            if msoffcrypto.OfficeFile(f).is_encrypted():
                raise ImportFileError(_(PASSWORD_MESSAGE))
    except (FileFormatError, ValueError, OSError, AssertionError, KeyError):
        pass  # not something msoffcrypto knows (a Word file, a damaged workbook): calamine says which below
    return _open_xls(path, sheet)


def _open_xls(path: Path, sheet) -> Sheet:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        # From the open file, not the path: calamine picks the format by the file name's extension,
        # and an .xls file saved under an .xlsx name (a renamed file) must still be read.
        with path.open("rb") as f:
            workbook = CalamineWorkbook.from_filelike(f)
            names = list(workbook.sheet_names)
            index = _sheet_index(names, sheet)
            if not names or index >= len(names):
                raise ImportFileError(_("The workbook has no worksheet."))
            ws = workbook.get_sheet_by_index(index)
        start = ws.start or (0, 0)
        merged = ws.merged_cell_ranges  # a property in python-calamine 0.9 (a method before)
        merged = (merged() if callable(merged) else merged) or []
    except PasswordError as exc:
        raise ImportFileError(_(PASSWORD_MESSAGE)) from exc
    except CalamineError as exc:
        raise ImportFileError(
            _("This file looks like an old Excel (.xls) file but cannot be read: %(error)s. "
              "Open it in Excel or WPS and save it as .xlsx.") % {"error": str(exc)[:200]}
        ) from exc

    def rows():
        fill = _MergeFill(((r1 + 1, c1), (r2 + 1, c2)) for (r1, c1), (r2, c2) in merged)
        first_row, first_col = start
        for offset, values in enumerate(ws.iter_rows()):
            values = [None if v == "" else v for v in values]
            if first_col:
                values = [None] * first_col + values
            number = first_row + offset + 1
            yield number, fill.apply(number, values)

    return Sheet("xls", name=names[index], total_rows=(start[0] + ws.height) if ws.height else 0, sheet_names=names, _rows=rows)


def _sheet_index(names: list[str], sheet: str | int) -> int:
    """The sheet asked for by name or position; a name the workbook lacks is refused, never guessed."""
    if isinstance(sheet, int):
        return sheet
    if sheet in names:
        return names.index(sheet)
    raise ImportFileError(
        _("The workbook has no sheet called %(name)s; its sheets are: %(names)s") % {"name": sheet, "names": "、".join(names)}
    )


class _MergeFill:
    """A value merged down over several rows belongs to each of them (a region written once for a
    block of customers). Merges within one row (a title over the columns) are left as they are."""

    def __init__(self, ranges):
        self.starts: dict[int, list[tuple[int, int, int]]] = {}
        for (r1, c1), (r2, _c2) in ranges:
            if r2 > r1:
                self.starts.setdefault(r1, []).append((c1, r1, r2))
        self.active: list[tuple[int, int, object]] = []  # (column, last row, value)

    def apply(self, number: int, values: list) -> list:
        if not self.starts and not self.active:
            return values
        if self.active:
            keep = []
            for col, last, value in self.active:
                if number <= last:
                    if col >= len(values):
                        values.extend([None] * (col + 1 - len(values)))
                    if values[col] is None:
                        values[col] = value
                    keep.append((col, last, value))
            self.active = keep
        for col, _r1, last in self.starts.pop(number, ()):
            value = values[col] if col < len(values) else None
            if value is not None:
                self.active.append((col, last, value))
        return values


# --- .xlsx ------------------------------------------------------------------------------------------

P = rb"(?:\w+:)?"  # some writers (the .NET SDK) prefix every tag: <x:row>
ROW_RE = re.compile(rb"<" + P + rb"row\b([^>]*?)(?:/>|>(.*?)</" + P + rb"row>)", re.S)
CELL_RE = re.compile(rb"<" + P + rb"c\b([^>]*?)(?:/>|>(.*?)</" + P + rb"c>)", re.S)
REF_RE = re.compile(rb'\br="([A-Z]{1,3})(\d*)"')
ROW_START_RE = re.compile(rb"<" + P + rb"row\b")
ROWNUM_RE = re.compile(rb'\br="(\d+)"')
TYPE_RE = re.compile(rb'\bt="(\w+)"')
V_RE = re.compile(rb"<" + P + rb"v>(.*?)</" + P + rb"v>", re.S)
T_RE = re.compile(rb"<" + P + rb"t(?:\s[^>]*)?>(.*?)</" + P + rb"t>", re.S)
PHONETIC_RE = re.compile(rb"<" + P + rb"rPh\b.*?</" + P + rb"rPh>", re.S)
MERGE_RE = re.compile(rb'<' + P + rb'mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
FAST_CELL_RE = re.compile(
    # An inline string may not run past the end of its cell or the start of the next cell or row: a
    # cell left open cannot make each later attempt scan to the end of the chunk.
    rb'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:/>|>(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>|<is>((?:[^<]|<(?!/c>|/row>|c[\s>]|row\b))*?)</is>)?</c>)', re.S
)
ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
REL_RE = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
SHEET_RE = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
ATTR_RE = re.compile(rb'([\w:]+)="([^"]*)"')

_COLUMNS: dict[bytes, int] = {}


def column_index(letters: bytes) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ch - 64
        index -= 1
        _COLUMNS[letters] = index
    return index


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = ESCAPED_CHAR.sub(lambda m: chr(int(m[1], 16)), text)
    return text


def _bomb(limit: int) -> ImportFileError:
    return ImportFileError(
        _("The file unpacks to more than %(mb)s MB: it is not an ordinary spreadsheet (a “zip bomb”?) and was not read.")
        % {"mb": limit >> 20}
    )


def _stream(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[bytes]:
    """The member's bytes in chunks, never more than `limit` of them whatever the header claims."""
    seen = 0
    try:
        with archive.open(name) as f:
            while True:
                chunk = f.read(CHUNK)
                if not chunk:
                    return
                seen += len(chunk)
                if seen > limit:
                    raise _bomb(limit)
                yield chunk
    except UNPACK_ERRORS as exc:
        raise _damaged(exc) from exc


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return {k.split(b":")[-1]: v for k, v in ATTR_RE.findall(tag)}


def _workbook_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, member path) in workbook order."""
    try:
        rels = archive.read("xl/_rels/workbook.xml.rels")
        workbook = archive.read("xl/workbook.xml")
    except KeyError as exc:
        raise ImportFileError(_("This ZIP file is not an Excel workbook (.xlsx).")) from exc
    targets = {}
    for tag in REL_RE.findall(rels):
        a = _attrs(tag)
        target = a.get(b"Target", b"").decode()
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[a.get(b"Id", b"")] = target
    sheets = []
    for tag in SHEET_RE.findall(workbook):
        a = _attrs(tag)
        sheets.append((_text(a.get(b"name", b"")), targets.get(a.get(b"id", b""), "")))
    return sheets


class SharedStrings:
    """Every shared string in one UTF-8 buffer with an offset table: a few bytes a string,
    where a list of str would cost about 100 (5 million strings in a million-row sheet)."""

    def __init__(self):
        self.data = bytearray()
        self.offsets = array("I", [0])  # 4 bytes each: the sheet is capped below 4 GiB unpacked

    def add(self, raw: bytes | None):
        if raw:
            if b"<" in raw:
                if b"rPh" in raw:
                    raw = PHONETIC_RE.sub(b"", raw)
                raw = b"".join(T_RE.findall(raw))
            self.data += raw
        self.offsets.append(len(self.data))

    def __getitem__(self, index: int) -> str:
        return _text(bytes(self.data[self.offsets[index] : self.offsets[index + 1]]))


SIMPLE_SI_RE = re.compile(rb"<" + P + rb"si>(?:<" + P + rb"t(?:\s[^>]*)?>([^<]*)</" + P + rb"t>|(.*?))</" + P + rb"si>|<" + P + rb"si\s*/>", re.S)


def _read_shared_strings(archive: zipfile.ZipFile, limit: int) -> SharedStrings:
    strings = SharedStrings()
    if "xl/sharedStrings.xml" not in archive.namelist():
        return strings
    buffer = b""
    for chunk in _stream(archive, "xl/sharedStrings.xml", limit):
        buffer += chunk
        cut = max(buffer.rfind(b"</si>"), buffer.rfind(b":si>"), buffer.rfind(b"<si/>"))
        if cut < 0:
            continue
        cut = buffer.index(b">", cut) + 1
        _add_strings(strings, buffer[:cut])
        buffer = buffer[cut:]
    _add_strings(strings, buffer)
    return strings


def _add_strings(strings: SharedStrings, part: bytes) -> None:
    """Most strings are one plain run (`<si><t>…</t></si>`): those are appended in one go."""
    for plain, rich in SIMPLE_SI_RE.findall(part):
        if rich:
            strings.add(rich)
        else:
            strings.data += plain
            strings.offsets.append(len(strings.data))


def _damaged(exc: Exception | None = None) -> ImportFileError:
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return ImportFileError(_(PASSWORD_MESSAGE))
    return ImportFileError(_("The file is damaged: it starts like an .xlsx file but cannot be unpacked."))


# What a damaged archive raises while a member is unpacked: a bad CRC (also what a header that
# understates the size gives, as zipfile stops at the declared size), broken deflate data, a member
# cut short, a compression method zipfile lacks, a member encrypted with a ZIP password.
UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


def _open_xlsx(path: Path, sheet) -> Sheet:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise _damaged() from exc
    try:
        return _xlsx_sheet(archive, sheet, packed=path.stat().st_size)
    except ImportFileError:
        archive.close()
        raise


def _xlsx_sheet(archive: zipfile.ZipFile, sheet, packed: int) -> Sheet:
    max_merged = limits()[1]
    max_bytes = unpack_limit(packed)
    infos = archive.infolist()
    names = {i.filename for i in infos}
    if "word/document.xml" in names:
        raise ImportFileError(_("This is a Word document, not an Excel workbook."))
    if "ppt/presentation.xml" in names:
        raise ImportFileError(_("This is a PowerPoint presentation, not an Excel workbook."))
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("This ZIP file is not an Excel workbook (.xlsx)."))
    if sum(i.file_size for i in infos) > max_bytes:
        raise _bomb(max_bytes)
    try:
        sheets = _workbook_sheets(archive)
    except UNPACK_ERRORS as exc:
        raise _damaged(exc) from exc
    if not sheets:
        raise ImportFileError(_("The workbook has no worksheet."))
    sheet_names = [name for name, _target in sheets]
    index = _sheet_index(sheet_names, sheet)
    if index >= len(sheets) or sheets[index][1] not in names:
        raise ImportFileError(_("The workbook has no worksheet."))
    member = sheets[index][1]

    # First pass: the real unpacked size (headers can lie), the number of rows, the merged cells.
    total, rows, merges, tail = 0, 0, [], b""
    for chunk in _stream(archive, member, max_bytes):
        total += len(chunk)
        rows += (tail[-3:] + chunk).count(b"<row") + (tail[-4:] + chunk).count(b":row ")
        if total > rows_limit(rows):
            raise ImportFileError(
                _("The sheet holds more than %(mb)s MB for only %(rows)s rows: it is not an ordinary spreadsheet "
                  "(a “zip bomb”?) and was not read.") % {"mb": total >> 20, "rows": rows}
            )
        if b"mergeCell" in chunk or b"mergeCell" in tail + chunk[:40]:
            merges.extend(MERGE_RE.findall(tail + chunk))
            if len(merges) > max_merged:
                raise ImportFileError(_("The sheet has too many merged cells; unmerge them and upload again."))
        tail = chunk[-80:]
    merge_ranges = {
        ((int(r1), column_index(c1)), (int(r2), column_index(c2))) for c1, r1, c2, r2 in merges
    }
    strings = _read_shared_strings(archive, min(max_bytes, rows_limit(rows)))

    def read_rows():
        try:
            with archive.open(member) as probe:
                start = probe.read(1 << 16)
        except UNPACK_ERRORS as exc:
            raise _damaged(exc) from exc
        plain = b'<c r="' in start and b"<x:" not in start
        return (_fast_rows if plain else _general_rows)()

    def _fast_rows():
        """The layout Excel, WPS and openpyxl write (unprefixed tags, every cell with its reference):
        one findall per chunk returns every cell as a tuple, so the per-cell work stays in C. A part
        with a cell the pattern does not take (attributes in another order, an unusual child) is
        read by the general parser instead, so no cell is ever skipped."""
        fill = _MergeFill(merge_ranges)
        state = {"number": 0}
        buffer, current, values = b"", None, []
        stream = _stream(archive, member, max_bytes)
        done = False
        while not done:
            chunk = next(stream, b"")
            done = not chunk
            buffer += chunk
            if done:
                part, buffer = buffer, b""
            else:
                cut = buffer.rfind(b"<row")  # everything before the last row that starts is whole rows
                if cut <= 0:
                    continue
                part, buffer = buffer[:cut], buffer[cut:]
            cells = FAST_CELL_RE.findall(part)
            if len(cells) != part.count(b"<c ") + part.count(b"<c>"):
                if current is not None:
                    yield int(current), fill.apply(int(current), values)
                    state["number"], current, values = int(current), None, []
                for number, row_values in _parse_rows(part, strings, state):
                    yield number, fill.apply(number, row_values)
                continue
            for col, number, attrs, raw, inline in cells:
                if number != current:
                    if current is not None:
                        yield int(current), fill.apply(int(current), values)
                    current, values = number, []
                if raw:
                    if b't="' not in attrs:
                        value = float(raw) if (b"." in raw or b"E" in raw or b"e" in raw) else int(raw)
                    elif b't="s"' in attrs:
                        value = strings[int(raw)]
                        if not value:
                            continue
                    elif b't="n"' in attrs:
                        value = float(raw) if (b"." in raw or b"E" in raw or b"e" in raw) else int(raw)
                    elif b't="b"' in attrs:
                        value = raw == b"1"
                    else:
                        value = _text(raw)
                        if not value:
                            continue
                elif inline:
                    value = _text(b"".join(T_RE.findall(PHONETIC_RE.sub(b"", inline))))
                    if not value:
                        continue
                else:
                    continue
                index = column_index(col)
                if index >= len(values):
                    values.extend([None] * (index + 1 - len(values)))
                values[index] = value
        if current is not None:
            yield int(current), fill.apply(int(current), values)

    def _general_rows():
        fill = _MergeFill(merge_ranges)
        state = {"number": 0}
        buffer = b""
        stream = _stream(archive, member, max_bytes)
        done = False
        while not done:
            chunk = next(stream, b"")
            done = not chunk
            buffer += chunk
            consumed = [0]
            for number, values in _parse_rows(buffer, strings, state, consumed, final=done):
                yield number, fill.apply(number, values)
            buffer = buffer[consumed[0]:]  # an unfinished row waits for the next chunk

    return Sheet("xlsx", name=sheet_names[index], total_rows=rows, sheet_names=sheet_names, _rows=read_rows)


def _parse_rows(part: bytes, strings: "SharedStrings", state: dict, consumed: list | None = None, final: bool = True):
    """Every whole row element of `part` as (row number, values), whatever the writer's habits:
    prefixed tags, cells without references, attributes in any order. `state` carries the last row
    number (for rows without one); `consumed[0]` is set to where the rows not yet read begin.

    Each row is matched only within its own stretch (up to the next row's start), so a row that
    never closes costs its own length, not the rest of the sheet: a sheet of unclosed rows is
    reported as damaged in linear time instead of scanning on for minutes. With `final` false the
    last stretch may be cut by the chunk and waits for the next one."""
    starts = [m.start() for m in ROW_START_RE.finditer(part)]
    for i, begin in enumerate(starts):
        last = i + 1 == len(starts)
        end = len(part) if last else starts[i + 1]
        row = ROW_RE.match(part, begin, end)
        if row is None:
            if last and not final:
                break
            raise _damaged()
        if consumed is not None:
            consumed[0] = row.end()
        found = ROWNUM_RE.search(row[1])
        number = int(found[1]) if found else state["number"] + 1
        state["number"] = number
        values = []
        inner = row[2]
        if inner:
            position = 0
            for cell in CELL_RE.finditer(inner):
                attrs, body = cell[1], cell[2]
                ref = REF_RE.search(attrs)
                col = column_index(ref[1]) if ref else position
                position = col + 1
                if not body:
                    continue
                kind = TYPE_RE.search(attrs)
                kind = kind[1] if kind else b"n"
                if kind == b"inlineStr":
                    value = _text(b"".join(T_RE.findall(PHONETIC_RE.sub(b"", body))))
                else:
                    v = V_RE.search(body)
                    if v is None:
                        continue
                    raw = v[1]
                    if kind == b"s":
                        value = strings[int(raw)]
                    elif kind == b"n":
                        value = float(raw) if (b"." in raw or b"E" in raw or b"e" in raw) else int(raw)
                    elif kind == b"b":
                        value = raw == b"1"
                    else:  # "str" (formula result), "e" (#N/A), "d" (ISO date)
                        value = _text(raw)
                if value == "":
                    continue
                if col >= len(values):
                    values.extend([None] * (col + 1 - len(values)))
                values[col] = value
        yield number, values


# --- CSV --------------------------------------------------------------------------------------------

ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030 (a superset of GBK and GB2312)."""
    for bom, encoding in BOMS:
        if sample.startswith(bom):
            return encoding
    if b"\x00" in sample:
        raise ImportFileError(_("This is not a spreadsheet or a text (CSV) file."))
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("The text encoding of this CSV file is not recognised; save it as “CSV UTF-8” in Excel or WPS and upload it again.")
    )


def _open_csv(path: Path) -> Sheet:
    with path.open("rb") as f:
        sample = f.read(1 << 20)
    encoding = detect_encoding(sample)
    text_sample = sample.decode(encoding, "ignore")
    try:
        dialect = csv.Sniffer().sniff(text_sample[:65536], delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    line_count = text_sample.count("\n")
    size = path.stat().st_size
    estimate = int(line_count * size / max(len(sample), 1)) if sample else 0

    def lines():
        """Text lines decoded one at a time, so a line that is not valid text is reported as the row
        the CSV reader is on (a buffered text file fails up to 8 KB ahead of it)."""
        if encoding == "utf-16":  # newlines are two bytes: let the text layer split them
            with path.open(encoding=encoding, newline="", errors="strict") as f:
                yield from f
            return
        decode = codecs.getincrementaldecoder(encoding)("strict").decode
        with path.open("rb") as f:
            for raw in f:  # b"\n" is never part of a UTF-8 or GB18030 character
                yield decode(raw)
        decode(b"", True)

    def rows():
        number = 0
        try:
            for number, values in enumerate(csv.reader(lines(), delimiter=delimiter), start=1):
                yield number, [v if v.strip() else None for v in values]
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("Row %(row)s of the CSV file is not valid %(encoding)s text; save the file as “CSV UTF-8” and upload it again.")
                % {"row": number + 1, "encoding": ENCODING_NAMES.get(encoding, encoding.upper())}
            ) from exc
        except csv.Error as exc:
            raise ImportFileError(_("Row %(row)s of the CSV file cannot be read: %(error)s.") % {"row": number + 1, "error": exc}) from exc

    return Sheet("csv", encoding=encoding, total_rows=estimate, _rows=rows)


def rows_from_lists(rows: list[list], name: str = "") -> Sheet:
    """A sheet from values already in memory (a tablib Dataset from the admin, tests)."""
    return Sheet("memory", name=name, total_rows=len(rows), _rows=lambda: iter(enumerate(rows, start=1)))


__all__ = ["ImportFileError", "Sheet", "open_sheet", "rows_from_lists"]
