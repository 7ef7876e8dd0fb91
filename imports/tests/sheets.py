"""Builders of the fixture sheets the import tests read: the messy files offices really keep, and
malformed ones. Each writes into the path it is given (a pytest tmp_path) and returns it; nothing
binary is committed to the repository.

The expected per-row results of the good fixtures are described next to each builder (sheet row
numbers as Excel shows them), so the tests and the builders can be read side by side."""
import datetime
import io
import zipfile
import zlib
from pathlib import Path

# A valid resident ID (female, born 1949-12-31) and the same number with a wrong check digit.
VALID_ID = "11010519491231002X"
BAD_CHECK_ID = "110105194912310021"

# --- .xls (legacy Excel 97-2003) -----------------------------------------------------------------

LEGACY_HEADERS = ["客户名称", "手机", "身份证号", "客户等级", "建档日期", "行政区域", "客户经理", "联系电话"]


def legacy_xls(path) -> Path:
    """Row 1: the title merged over A1:H1; row 2 blank; row 3 the header; rows 4-7 customers.

    - F4:F6 is one merged cell `黄浦区`: each of rows 4, 5 and 6 is in 310101; row 7 says 徐汇区 (310104).
    - B4 is the number 13800138000.0 (xls keeps every number as a float).
    - E4 is an Excel date cell (2016-05-06), E5 the text `2016.5.6`.
    - H4 (联系电话, next to 手机) is a landline.
    Expected: rows 4-7 new; none in error."""
    import xlwt

    path = Path(path)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("客户")
    title = xlwt.easyxf("font: bold on, height 320; align: horiz center")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write_merge(0, 0, 0, 7, "2016年上海分公司客户名单", title)
    for col, header in enumerate(LEGACY_HEADERS):
        sheet.write(2, col, header)
    rows = [
        ["华联超市", 13800138000.0, VALID_ID, "A", datetime.date(2016, 5, 6), None, "张伟", "021-12345678"],
        ["好德便利", "13900139000", "", "c", "2016.5.6", None, "zhangwei", ""],
        ["罗森", 13700137000.0, "", "重要客户", "", None, "", ""],
        ["全家", "136-0013-6000", "", "D", "2016年5月6日", "徐汇区", "张伟", "021 8765 4321"],
    ]
    for offset, values in enumerate(rows):
        r = 3 + offset
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                sheet.write(r, col, value, dated)
            else:
                sheet.write(r, col, value)
    sheet.write_merge(3, 5, 5, 5, "黄浦区")
    book.save(str(path))
    return path


# --- CSV in the encodings Chinese offices save ---------------------------------------------------

CSV_ROWS = [
    ["客户名称", "手机号码", "客户等级", "建档日期", "行政区域", "地址"],
    ["华联超市", "13800138000", "A", "2016/5/6", "310101", "上海市黄浦区南京东路1号"],
    ["好德便利", "139 0013 9000", "Ｃ", "2016年5月6日", "静安区", "上海市静安区愚园路2号"],
    ["罗森", "1370013700", "B", "", "", ""],  # 10 digits: an error on B4
]


def _csv_text(rows, delimiter=",") -> str:
    return "".join(delimiter.join(row) + "\r\n" for row in rows)


def gbk_csv(path, encoding: str = "gbk") -> Path:
    """Chinese headers and rows, in `gbk` (Excel's default on Chinese Windows), `gb18030`,
    `utf-8-sig` (with BOM) or `utf-8`. Expected: rows 2 and 3 new, row 4 an error on B4 (mobile)."""
    path = Path(path)
    text = _csv_text(CSV_ROWS)
    if encoding == "gb18030":
        text = text.replace("好德便利", "好德便利㐀")  # a character outside GBK, only GB18030 has it
    path.write_bytes(text.encode(encoding))
    return path


# --- .xlsx with every messy value ---------------------------------------------------------------

MESSY_HEADERS = ["客户名称", "手机号码*", "身份证号", "客户等级", "建档日期", "行政区域", "客户经理", "联系电话", "营业面积（㎡）", "ＱＱ号", "客户性质", "档案类型"]
EXISTING_MOBILE = "13911112222"


def messy_xlsx(path) -> Path:
    """Rows 1-2 titles (row 1 merged A1:L1), row 3 blank, row 4 the header, customers from row 5.

    row  what                                             expected
    5    full-width mobile, valid ID, tier `a`, serial    new: mobile 13800138000, tier A, 2016-05-06,
         date 42496, F5:F7 merged `黄浦区`, 张伟,          region 310101, landline 02112345678, area 120.50,
         landline `021-1234 5678`, area `120.5㎡`, QQ      qq 12345678, birth 1949-12-31, female
    6    mobile as int 13800138001, tier `Ｃ`, `2016.5.6`  new: tier C, region 310101 (merged)
    7    mobile as float 13800138002.0, `重要客户`,         new: tier B, region 310101 (merged)
         `2016年5月6日`
    8    blank
    9    `138 0013-8003`, tier `VIP`                       new: tier A
    10   mobile `12345`                                   error: mobile, B10
    11   ID with a wrong check digit                      error: id_number, C11
    12   account manager `李四` (no such staff)           error: account_manager, G12
    13   mobile of row 5 again, as the text `13800138000.0` dup_in_file, dup_row 5
    14   mobile of an existing customer (EXISTING_MOBILE) duplicate, target = that customer
    15-16 blank, 17 a spaces-only row                     skipped
    """
    from openpyxl import Workbook

    path = Path(path)
    book = Workbook()
    sheet = book.active
    sheet.title = "客户名单"
    sheet.append(["2016年客户名单（内部资料）"])
    sheet.merge_cells("A1:L1")
    sheet.append(["制表人：张伟", None, None, None, "制表日期：2016-06-01"])
    sheet.append([])
    sheet.append(MESSY_HEADERS)
    rows = [
        ["华联超市一店", "１３８００１３８０００", VALID_ID, "a", 42496, "黄浦区", "张伟", "021-1234 5678", "120.5㎡", "12345678", "个人", "零售户"],
        ["华联超市二店", 13800138001, None, "Ｃ", "2016.5.6", None, "zhangwei", None, None, None],
        ["华联超市三店", 13800138002.0, None, "重要客户", "2016年5月6日", None, None, None, None, None],
        [],
        ["好德便利", "138 0013-8003", None, "VIP", None, "310104", None, None, None, None],
        ["罗森", "12345", None, "B", None, None, None, None, None, None],
        ["全家", "13800138005", BAD_CHECK_ID, "B", None, None, None, None, None, None],
        ["可的", "13800138006", None, "D", None, None, "李四", None, None, None],
        ["华联超市一店（重复）", "13800138000.0", None, "A", None, None, None, None, None, None],
        ["老客户", EXISTING_MOBILE, None, "C", None, None, None, None, None, None],
        [],
        [],
        ["   ", None, "  "],
    ]
    for values in rows:
        sheet.append(values)
    sheet.merge_cells("F5:F7")
    book.save(path)
    return path


def update_xlsx(path, code: str, tier: str = "A", address: str = "上海市黄浦区南京东路100号") -> Path:
    """A sheet that updates an existing customer by its code: row 2 changes its tier and address."""
    from openpyxl import Workbook

    path = Path(path)
    book = Workbook()
    sheet = book.active
    sheet.append(["客户代码", "客户名称", "客户等级", "地址"])
    sheet.append([code, None, tier, address])
    book.save(path)
    return path


# Issue 13: a source column in the sheet's own words; four map without help, two (`抖音` twice, `老乡推荐`) do not.
SOURCES = [
    ["客户名称", "手机", "客户来源", "客户性质"],
    ["来电商店", "13800000001", "来电", "个体"],
    ["展会商店", "13800000002", "展会", "公司"],
    ["老客商店", "13800000003", "老客户介绍", "个体"],
    ["朋友商店", "13800000004", "朋友介绍", "个体"],
    ["抖音一店", "13800000005", "抖音", "个体"],
    ["抖音二店", "13800000006", " 抖音 ", "个体"],
    ["老乡商店", "13800000007", "老乡推荐", "个体"],
]


def plain_xlsx(path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    path = Path(path)
    book = Workbook()
    sheet = book.active
    for values in rows:
        sheet.append(values)
    book.save(path)
    return path


# --- hand-written .xlsx packages (for what openpyxl will not write) -----------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_CLOSE = "</sheetData>{merges}</worksheet>"


def raw_xlsx(path, sheet_xml: str | bytes, shared_strings: list[str] | str | None = None, name: str = "Sheet1",
             workbook: str | None = None) -> Path:
    """An .xlsx from the sheet XML itself (and the shared strings, as texts or as the whole part)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", workbook or WORKBOOK.format(name=name))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared_strings is not None:
            if isinstance(shared_strings, list):
                items = "".join(f"<si><t>{s}</t></si>" for s in shared_strings)
                shared_strings = (
                    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    f'count="{len(shared_strings)}" uniqueCount="{len(shared_strings)}">{items}</sst>'
                )
            z.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def sheet_xml(rows_xml: str, merges: str = "") -> str:
    return SHEET_OPEN + rows_xml + SHEET_CLOSE.format(merges=merges)


MAX_ROWS = 1_048_576


def blank_rows_xlsx(path, header: bool = False, styled: bool = False, rows: int = MAX_ROWS) -> Path:
    """A sheet of 1,048,576 rows and no data: Excel saves this after someone formatted whole
    columns. `styled`: every row holds empty styled cells (`<c r="A5" s="1"/>`), else `<row r="5"/>`.
    `header`: row 1 holds a header (客户名称, 手机, 地址) and nothing is under it."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(name="Sheet1"))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/sharedStrings.xml", (
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3">'
            "<si><t>客户名称</t></si><si><t>手机</t></si><si><t>地址</t></si></sst>"
        ))
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(SHEET_OPEN.encode())
            start = 1
            if header:
                f.write(b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
                        b'<c r="C1" t="s"><v>2</v></c></row>')
                start = 2
            batch = []
            for n in range(start, rows + 1):
                if styled:
                    batch.append(f'<row r="{n}" spans="1:3"><c r="A{n}" s="1"/><c r="B{n}" s="1"/><c r="C{n}" s="1"/></row>')
                else:
                    batch.append(f'<row r="{n}"/>')
                if len(batch) == 10_000:
                    f.write("".join(batch).encode())
                    batch = []
            f.write("".join(batch).encode())
            f.write(SHEET_CLOSE.format(merges="").encode())
    return path


# --- malformed files ----------------------------------------------------------------------------

def pdf_as_xlsx(path) -> Path:
    path = Path(path)
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return path


def png_as_xlsx(path) -> Path:
    path = Path(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
    return path


def empty_workbook(path) -> Path:
    """A workbook whose only sheet has no cell at all."""
    from openpyxl import Workbook

    path = Path(path)
    Workbook().save(path)
    return path


def empty_csv(path) -> Path:
    path = Path(path)
    path.write_bytes(b"")
    return path


def encrypted_xlsx(path, password: str = "secret") -> Path:
    """A real workbook encrypted with a password (ECMA-376 agile encryption, as Excel does)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    path = Path(path)
    plain = path.with_name(path.stem + "-plain.xlsx")
    plain_xlsx(plain, [["客户名称", "手机"], ["华联超市", "13800138000"]])
    with plain.open("rb") as f, path.open("wb") as out:
        OOXMLFile(f).encrypt(password, out)
    plain.unlink()
    return path


def zip_bomb_xlsx(path, member_bytes: int = 50 << 20) -> Path:
    """A valid-looking .xlsx whose sheet inflates to `member_bytes` of repeated bytes (a few tens of
    KB compressed)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(name="Sheet1"))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(SHEET_OPEN.encode())
            block = b"<row/>" * (1 << 17)
            written = len(SHEET_OPEN)
            while written < member_bytes:
                f.write(block)
                written += len(block)
            f.write(SHEET_CLOSE.format(merges="").encode())
    return path


class _DeflateOnce:
    """zlib's compressor for `cell_bomb_xlsx`: the repeated block is deflated once and the same bytes
    written for each copy (a full flush makes every copy stand alone in the stream), so hundreds of
    MB are packed in a moment; anything else is deflated as usual."""

    def __init__(self, block: bytes):
        self.block, self.zlib = block, zlib.compressobj(9, zlib.DEFLATED, -15)
        once = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.packed = once.compress(block) + once.flush(zlib.Z_FULL_FLUSH)

    def compress(self, data: bytes) -> bytes:
        if data is self.block:
            return self.packed
        return self.zlib.compress(data) + self.zlib.flush(zlib.Z_FULL_FLUSH)

    def flush(self) -> bytes:
        return self.zlib.flush()


def cell_bomb_xlsx(path, member_bytes: int = 400 << 20, rows: int | None = None) -> Path:
    """A valid .xlsx whose sheet is a header (客户名称, 手机) over `member_bytes` of repeated cells, in
    under 1 MB with honest sizes in every header: the same customer row again and again (each with a
    thousand empty cells), or with `rows=1` one customer row of that many empty cells."""
    from unittest import mock

    path = Path(path)
    customer = '<c t="inlineStr"><is><t>华联超市</t></is></c><c><v>13800138000</v></c>'
    # Empty cells repeat every 4 bytes, which is what deflate packs best.
    row = "<c/>" * (1 << 18) if rows == 1 else f"<row>{customer}{'<c/>' * 1000}</row>"
    block = row.encode() * ((1 << 20) // len(row.encode()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK.format(name="Sheet1"))
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with mock.patch.object(zipfile, "_get_compressor", lambda *args: _DeflateOnce(block)):
            member = z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        with member as f:
            f.write((SHEET_OPEN + '<row><c t="inlineStr"><is><t>客户名称</t></is></c>'
                     '<c t="inlineStr"><is><t>手机</t></is></c></row>' + (f"<row>{customer}" if rows == 1 else "")).encode())
            for _copy in range(max(1, member_bytes // len(block))):
                f.write(block)
            f.write((("</row>" if rows == 1 else "") + SHEET_CLOSE.format(merges="")).encode())
    return path


def lying_zip_bomb_xlsx(path, member_bytes: int = 50 << 20) -> Path:
    """Like `zip_bomb_xlsx`, but the sheet's headers (local and central) claim it unpacks to 1 KB,
    so a reader that trusts the declared sizes lets it through."""
    path = Path(path)
    zip_bomb_xlsx(path, member_bytes)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        central = z.start_dir
    lie = (1024).to_bytes(4, "little")
    data[info.header_offset + 22 : info.header_offset + 26] = lie  # local header: uncompressed size
    while data[central : central + 4] == b"PK\x01\x02":  # central directory entries
        name_len, extra_len, comment_len = (int.from_bytes(data[central + o : central + o + 2], "little") for o in (28, 30, 32))
        if bytes(data[central + 46 : central + 46 + name_len]) == info.filename.encode():
            data[central + 24 : central + 28] = lie
            break
        central += 46 + name_len + extra_len + comment_len
    else:
        raise AssertionError("the sheet's central directory entry was not found")
    path.write_bytes(bytes(data))
    return path


def docx_like(path) -> Path:
    """A Word document's package layout (enough for anything that looks inside)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES.replace("xl/workbook.xml", "word/document.xml"))
        z.writestr("_rels/.rels", ROOT_RELS.replace("xl/workbook.xml", "word/document.xml"))
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                                        "<w:body><w:p><w:r><w:t>客户名单</w:t></w:r></w:p></w:body></w:document>")
    return path


def plain_zip(path) -> Path:
    """A ZIP archive with no workbook inside (photos of the customer list, say)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("photos/readme.txt", "客户名单的照片")
    return path


def truncated_xlsx(path) -> Path:
    """A workbook cut off half-way (an interrupted download): the central directory is missing."""
    path = Path(path)
    whole = messy_xlsx(path.with_name(path.stem + "-whole.xlsx"))
    data = whole.read_bytes()
    whole.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


def corrupt_member_xlsx(path) -> Path:
    """A workbook whose directory is intact but whose sheet data is garbled (a bad disk sector):
    the damage shows only when the sheet is unpacked."""
    path = Path(path)
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>客户{n}</t></is></c></row>' for n in range(1, 2000))
    raw_xlsx(path, sheet_xml(rows))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    local = info.header_offset
    name_len = int.from_bytes(data[local + 26 : local + 28], "little")
    extra_len = int.from_bytes(data[local + 28 : local + 30], "little")
    body = local + 30 + name_len + extra_len
    middle = body + info.compress_size // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


# --- driving the services with a fixture ---------------------------------------------------------

def upload(path, name: str | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = Path(path)
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def preview(actor, path, unit, mode: str = "draft", mapping: dict | None = None, owner=None, defaults: dict | None = None):
    """create_import → set_mapping (the proposal, or `mapping`; `defaults` for empty cells) → preview, run
    inline whatever the size."""
    from imports import services
    from imports.models import ImportJob

    job = services.create_import(actor=actor, upload=upload(path))
    job = services.set_mapping(actor=actor, job_id=job.pk, mapping=job.mapping if mapping is None else mapping,
                               mode=mode, unit=unit, owner=owner, defaults=defaults)
    job = services.start_preview(actor=actor, job_id=job.pk)
    if job.status == ImportJob.Status.PREVIEWING:  # a large file went to the queue: run it here
        job = services.run_preview(job.pk)
    return job


def rows_by_number(job) -> dict:
    from imports.models import ImportRow

    return {row.row_no: row for row in ImportRow.objects.filter(job=job).order_by("row_no")}
