"""imports.readers: what a file really is, and its rows as the spreadsheet shows them."""
import datetime

import pytest
from django.utils import translation

from imports import readers
from imports.readers import ImportFileError, detect_encoding, open_sheet
from imports.tests import sheets


def rows_of(path, **kwargs) -> dict[int, list]:
    return dict(open_sheet(path, **kwargs).rows())


def refusal(path) -> str:
    with translation.override("en"), pytest.raises(ImportFileError) as caught:
        sheet = open_sheet(path)
        for _row in sheet.rows():
            pass
    return str(caught.value)


# --- the fixture sheets -------------------------------------------------------------------------

def test_legacy_xls_fills_the_vertical_merge_and_keeps_numbers_and_dates(tmp_path):
    sheet = open_sheet(sheets.legacy_xls(tmp_path / "old.xls"))
    assert (sheet.format, sheet.name, sheet.sheet_names) == ("xls", "客户", ["客户"])
    rows = dict(sheet.rows())
    assert sorted(rows) == [1, 2, 3, 4, 5, 6, 7]
    # The title merged over A1:H1 stays in A1: merges across a row are not spread.
    assert rows[1] == ["2016年上海分公司客户名单"] + [None] * 7
    assert rows[2] == [None] * 8
    assert rows[3] == sheets.LEGACY_HEADERS
    # F4:F6 is one merged cell: each row of the block has the value; F7 has its own.
    assert [rows[n][5] for n in (4, 5, 6, 7)] == ["黄浦区", "黄浦区", "黄浦区", "徐汇区"]
    assert rows[4][1] == 13800138000.0 and isinstance(rows[4][1], float)
    assert rows[4][4] == datetime.date(2016, 5, 6)
    assert rows[5][4] == "2016.5.6"
    assert rows[5][2] is None and rows[6][7] is None  # empty cells are None, not ""


def test_messy_xlsx_rows(tmp_path):
    sheet = open_sheet(sheets.messy_xlsx(tmp_path / "messy.xlsx"))
    assert (sheet.format, sheet.name) == ("xlsx", "客户名单")
    rows = dict(sheet.rows())
    assert rows[1] == ["2016年客户名单（内部资料）"]  # A1:L1 merged, not spread to the right
    assert rows[4] == sheets.MESSY_HEADERS
    assert [rows[n][5] for n in (5, 6, 7)] == ["黄浦区"] * 3  # F5:F7 merged
    assert rows[9][5] == "310104"
    assert rows[5][1] == "１３８００１３８０００"  # the reader does not normalise; that is normalise's job
    assert rows[5][4] == 42496 and isinstance(rows[5][4], int)
    assert rows[6][1] == 13800138001
    assert rows[13][1] == "13800138000.0"
    assert 8 not in rows or not any(rows[8])


@pytest.mark.parametrize("encoding, detected", [
    ("gbk", "gb18030"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"),
])
def test_csv_encodings_are_detected(tmp_path, encoding, detected):
    sheet = open_sheet(sheets.gbk_csv(tmp_path / "list.csv", encoding))
    assert (sheet.format, sheet.encoding) == ("csv", detected)
    rows = dict(sheet.rows())
    assert rows[1] == sheets.CSV_ROWS[0]
    assert rows[2] == sheets.CSV_ROWS[1]
    assert rows[3][0] == ("好德便利㐀" if encoding == "gb18030" else "好德便利")
    assert rows[4] == ["罗森", "1370013700", "B", None, None, None]


def test_csv_utf16_tab_separated(tmp_path):
    """Excel's "Unicode text": UTF-16 with a BOM, tab-separated."""
    path = tmp_path / "unicode.txt"
    path.write_bytes("客户名称\t手机\r\n华联超市\t13800138000\r\n".encode("utf-16"))
    sheet = open_sheet(path)
    assert sheet.encoding == "utf-16"
    assert dict(sheet.rows()) == {1: ["客户名称", "手机"], 2: ["华联超市", "13800138000"]}


def test_csv_semicolons_and_blank_cells(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("客户名称;手机;地址\n华联超市; ;上海\n\n好德;13900139000;\n", encoding="utf-8")
    rows = rows_of(path)
    assert rows[1] == ["客户名称", "手机", "地址"]
    assert rows[2] == ["华联超市", None, "上海"]
    assert rows[3] == []
    assert rows[4] == ["好德", "13900139000", None]


def test_the_content_decides_not_the_name(tmp_path):
    real_xlsx = sheets.plain_xlsx(tmp_path / "list.csv", [["客户名称", "手机"], ["华联", "13800138000"]])
    assert open_sheet(real_xlsx).format == "xlsx"
    real_xls = sheets.legacy_xls(tmp_path / "list.xlsx")
    assert open_sheet(real_xls).format == "xls"


def test_encoding_detection():
    assert detect_encoding("客户".encode("utf-8")) == "utf-8"
    assert detect_encoding("客户".encode("gbk")) == "gb18030"
    assert detect_encoding(b"\xef\xbb\xbfabc") == "utf-8-sig"
    # A sample cut in the middle of a multi-byte character is still UTF-8.
    assert detect_encoding("客户名称".encode("utf-8")[:-1]) == "utf-8"


# --- .xlsx details -----------------------------------------------------------------------------

def test_shared_strings_rich_text_phonetics_entities_and_escapes(tmp_path):
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>客户名称</t></si>"
        '<si><r><rPr><b/></rPr><t>华联</t></r><r><t xml:space="preserve">超市 一店</t></r></si>'
        "<si><t>东方</t><rPh sb=\"0\" eb=\"2\"><t>ドンファン</t></rPh></si>"
        "<si><t>A&amp;B &lt;总店&gt;</t></si>"
        "<si><t>第一行_x000D_第二行</t></si>"
        "<si/>"
        "<si><t>手机</t></si>"
        "</sst>"
    )
    rows = "".join([
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>6</v></c></row>',
        '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>5</v></c></row>',
        '<row r="3"><c r="A3" t="s"><v>2</v></c></row>',
        '<row r="4"><c r="A4" t="s"><v>3</v></c></row>',
        '<row r="5"><c r="A5" t="s"><v>4</v></c></row>',
    ])
    path = sheets.raw_xlsx(tmp_path / "rich.xlsx", sheets.sheet_xml(rows), strings)
    assert rows_of(path) == {
        1: ["客户名称", "手机"],
        2: ["华联超市 一店"],  # the empty shared string in B2 is no value
        3: ["东方"],  # the phonetic guide is not part of the text
        4: ["A&B <总店>"],
        5: ["第一行\r第二行"],
    }


def test_prefixed_tags_without_references(tmp_path):
    """The .NET Open XML SDK writes `<x:row>` and `<x:c>`, sometimes without cell references."""
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1" t="s"><x:v>1</x:v></x:c></x:row>'
        '<x:row><x:c t="inlineStr"><x:is><x:t>华联</x:t></x:is></x:c><x:c><x:v>13800138000</x:v></x:c></x:row>'
        '<x:row r="5"><x:c r="B5" t="b"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    path = sheets.raw_xlsx(tmp_path / "sdk.xlsx", xml, ["客户名称", "手机"])
    assert rows_of(path) == {1: ["客户名称", None, "手机"], 2: ["华联", 13800138000], 5: [None, True]}


def test_inline_strings_booleans_formulas_and_errors(tmp_path):
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>客户名称</t></is></c>'
        '<c r="B1" t="inlineStr"><is><r><t>手</t></r><r><t>机</t></r></is></c></row>'
        '<row r="2"><c r="A2" t="b"><v>1</v></c><c r="B2" t="b"><v>0</v></c>'
        '<c r="C2"><f>1+1</f><v>2</v></c>'  # a formula: its cached value
        '<c r="D2" t="str"><f>A1&amp;"x"</f><v>客户名称x</v></c>'
        '<c r="E2"><f>NOW()</f></c>'  # never calculated: no value
        '<c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="G2"><v>1.5E10</v></c><c r="H2"><v>13800138000.0</v></c>'
        '<c r="I2" t="d"><v>2016-05-06T00:00:00</v></c></row>'
    )
    path = sheets.raw_xlsx(tmp_path / "kinds.xlsx", sheets.sheet_xml(rows))
    values = rows_of(path)[2]
    assert values == [True, False, 2, "客户名称x", None, "#DIV/0!", 15000000000.0, 13800138000.0, "2016-05-06T00:00:00"]
    assert rows_of(path)[1] == ["客户名称", "手机"]


def test_cells_in_an_unusual_layout_are_not_skipped(tmp_path):
    """The fast scanner takes `<c r=".." ...>` cells; a cell whose attributes come in another order,
    or with a child it does not know, must still be read (it used to be dropped silently)."""
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>客户{n}</t></is></c><c r="B{n}"><v>{n}</v></c></row>'
                   for n in range(1, 50))
    rows += '<row r="50"><c s="3" t="inlineStr" r="A50"><is><t>倒序属性</t></is></c><c r="B50"><v>7</v><extLst/></c></row>'
    rows += '<row r="51"><c r="A51" t="inlineStr"><is><t>最后</t></is></c></row>'
    path = sheets.raw_xlsx(tmp_path / "order.xlsx", sheets.sheet_xml(rows))
    got = rows_of(path)
    assert got[49] == ["客户49", 49]
    assert got[50] == ["倒序属性", 7]
    assert got[51] == ["最后"]


@pytest.mark.parametrize("chunk", [7, 64, 1000])
@pytest.mark.parametrize("layout", ["fast", "prefixed"])
def test_rows_cut_across_chunks_are_read_whole(tmp_path, monkeypatch, chunk, layout):
    """The scanner reads the sheet in chunks; rows, cells and self-closed rows cut by a chunk
    boundary must come out whole, in both scanners."""
    x = "x:" if layout == "prefixed" else ""
    body = []
    for n in range(1, 120):
        if n % 3 == 0:
            body.append(f'<{x}row r="{n}"/>')
        else:
            body.append(f'<{x}row r="{n}" spans="1:3"><{x}c r="A{n}" t="inlineStr"><{x}is><{x}t>客户{n}</{x}t></{x}is></{x}c>'
                        f'<{x}c r="C{n}"><{x}v>{n}.5</{x}v></{x}c></{x}row>')
    xml = (f'<?xml version="1.0"?><{x}worksheet xmlns{":x" if x else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<{x}sheetData>{"".join(body)}</{x}sheetData></{x}worksheet>')
    path = sheets.raw_xlsx(tmp_path / "chunks.xlsx", xml)
    monkeypatch.setattr(readers, "CHUNK", chunk)
    got = {n: v for n, v in rows_of(path).items() if v}
    assert got == {n: [f"客户{n}", None, n + 0.5] for n in range(1, 120) if n % 3}


def test_merges_fill_down_only(tmp_path):
    rows = "".join([
        '<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>',
        '<row r="2"><c r="A2" t="inlineStr"><is><t>华联</t></is></c><c r="B2" t="inlineStr"><is><t>黄浦区</t></is></c>'
        '<c r="D2" t="inlineStr"><is><t>张伟</t></is></c></row>',
        '<row r="3"><c r="A3" t="inlineStr"><is><t>好德</t></is></c><c r="B3" s="1"/></row>',
        '<row r="4"><c r="A4" t="inlineStr"><is><t>罗森</t></is></c><c r="B4" s="1"/></row>',
        '<row r="5"><c r="A5" t="inlineStr"><is><t>全家</t></is></c><c r="B5" t="inlineStr"><is><t>静安区</t></is></c></row>',
    ])
    merges = ('<mergeCells count="3"><mergeCell ref="A1:E1"/><mergeCell ref="B2:B4"/>'
              '<mergeCell ref="D2:E3"/></mergeCells>')
    got = rows_of(sheets.raw_xlsx(tmp_path / "merged.xlsx", sheets.sheet_xml(rows, merges)))
    assert got[1] == ["标题"]
    assert got[2] == ["华联", "黄浦区", None, "张伟"]
    assert got[3] == ["好德", "黄浦区", None, "张伟"]  # D2:E3: the value is D's, E stays empty
    assert got[4] == ["罗森", "黄浦区"]
    assert got[5] == ["全家", "静安区"]


def test_sheets_are_chosen_by_name_or_index(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本表为客户名单"])
    book.create_sheet("客户").append(["客户名称", "手机"])
    book.save(tmp_path / "two.xlsx")
    assert open_sheet(tmp_path / "two.xlsx").sheet_names == ["说明", "客户"]
    assert rows_of(tmp_path / "two.xlsx", sheet="客户") == {1: ["客户名称", "手机"]}
    assert rows_of(tmp_path / "two.xlsx", sheet=1) == {1: ["客户名称", "手机"]}
    with pytest.raises(ImportFileError):
        open_sheet(tmp_path / "two.xlsx", sheet=5)


def test_blank_rows_sheet_is_read_quickly_and_holds_nothing(tmp_path):
    sheet = open_sheet(sheets.blank_rows_xlsx(tmp_path / "blank.xlsx", styled=True))
    assert sheet.total_rows == sheets.MAX_ROWS
    count = 0
    for _number, values in sheet.rows():
        assert not any(v is not None for v in values)
        count += 1
    assert count == sheets.MAX_ROWS


def test_blank_rows_after_a_header(tmp_path):
    sheet = open_sheet(sheets.blank_rows_xlsx(tmp_path / "blank.xlsx", header=True))
    filled = [(n, v) for n, v in sheet.rows() if any(x is not None for x in v)]
    assert filled == [(1, ["客户名称", "手机", "地址"])]


# --- malformed files ---------------------------------------------------------------------------

@pytest.mark.parametrize("builder, words", [
    (sheets.pdf_as_xlsx, ["not an Excel or CSV file", "PDF"]),
    (sheets.png_as_xlsx, ["not an Excel or CSV file", "PNG"]),
    (sheets.empty_csv, ["empty", "0 bytes"]),
    (sheets.encrypted_xlsx, ["protected by a password", "remove the password"]),
    (sheets.docx_like, ["Word document"]),
    (sheets.plain_zip, ["not an Excel workbook"]),
    (sheets.truncated_xlsx, ["damaged"]),
    (sheets.corrupt_member_xlsx, ["damaged"]),
])
def test_malformed_files_are_refused_with_the_reason(tmp_path, builder, words):
    message = refusal(builder(tmp_path / "bad.xlsx"))
    for word in words:
        assert word in message


def test_password_message_in_chinese_is_the_translation(tmp_path):
    path = sheets.encrypted_xlsx(tmp_path / "locked.xlsx")
    with translation.override("zh-hans"), pytest.raises(ImportFileError) as caught:
        open_sheet(path)
    with translation.override("zh-hans"):
        assert str(caught.value) == translation.gettext(readers.PASSWORD_MESSAGE)


def test_empty_workbook_has_no_rows(tmp_path):
    sheet = open_sheet(sheets.empty_workbook(tmp_path / "empty.xlsx"))
    assert [v for _n, v in sheet.rows() if any(x is not None for x in v)] == []


def test_binary_junk_is_not_taken_for_csv(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01\x02\x03" * 100)
    assert "not a spreadsheet" in refusal(path)


def test_csv_that_stops_being_text_half_way(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("客户名称,手机\n华联,13800138000\n".encode("utf-8") * 40_000 + "好德,139\n".encode("gbk"))
    message = refusal(path)
    assert "Row 80001" in message and "UTF-8" in message


def test_zip_bomb_is_refused_without_unpacking(tmp_path, settings):
    settings.CRM_IMPORT_MAX_UNCOMPRESSED = 5 << 20
    message = refusal(sheets.zip_bomb_xlsx(tmp_path / "bomb.xlsx", 50 << 20))
    assert "more than 5 MB" in message and "zip bomb" in message


def test_zip_bomb_whose_headers_lie_about_its_size(tmp_path, settings):
    """Declared 1 KB, really 50 MB: zipfile stops at the declared size and the CRC fails; the
    reader says the file is damaged instead of crashing, and never inflates the 50 MB."""
    settings.CRM_IMPORT_MAX_UNCOMPRESSED = 5 << 20
    path = sheets.lying_zip_bomb_xlsx(tmp_path / "liar.xlsx", 50 << 20)
    import zipfile

    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size == 1024
    assert "damaged" in refusal(path)


def test_a_zip_password_on_the_sheet(tmp_path):
    """An archive whose members carry the ZIP encryption flag: zipfile wants a password."""
    import zipfile

    path = sheets.plain_xlsx(tmp_path / "zipcrypto.xlsx", [["客户名称", "手机"], ["华联", "13800138000"]])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        central = z.start_dir
    data[info.header_offset + 6] |= 1
    while data[central : central + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = (int.from_bytes(data[central + o : central + o + 2], "little") for o in (28, 30, 32))
        if bytes(data[central + 46 : central + 46 + name_len]) == info.filename.encode():
            data[central + 8] |= 1
        central += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))
    assert "protected by a password" in refusal(path)


@pytest.mark.parametrize("x", ["", "x:"], ids=["plain", "prefixed"])
def test_rows_that_never_close_are_damaged_not_a_hang(tmp_path, x):
    """Cells and rows left open used to make every later match scan to the end of the chunk
    (quadratic: minutes for a few MB); now each is matched within its own row."""
    rows = "".join(f'<{x}row r="{i}"><{x}c r="A{i}" t="inlineStr"><{x}is><{x}t>客户{i}</{x}t>' for i in range(1, 5000))
    xml = (f'<?xml version="1.0"?><{x}worksheet xmlns{":x" if x else ""}="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           f'<{x}sheetData>{rows}</{x}sheetData></{x}worksheet>')
    assert "damaged" in refusal(sheets.raw_xlsx(tmp_path / "open.xlsx", xml))


def test_a_sheet_name_the_workbook_lacks_is_refused_not_guessed(tmp_path):
    from openpyxl import Workbook

    from imports.readers import ImportFileError, open_sheet

    wb = Workbook()
    wb.active.title = "封面"
    wb.create_sheet("客户")
    path = tmp_path / "two.xlsx"
    wb.save(path)
    assert open_sheet(path, "客户").name == "客户"
    with pytest.raises(ImportFileError, match="客户名单"):
        open_sheet(path, "客户名单")


def test_a_sheet_far_larger_than_its_rows_is_refused_while_it_is_counted(tmp_path, settings):
    """Issue 11: one row of 100 million empty cells (400 MB) in a file whose packing looks ordinary
    (the ratio rule is relaxed here): refused once the sheet passes its rows' share, not unpacked whole."""
    settings.CRM_IMPORT_MAX_UNPACK_RATIO = 100_000
    path = sheets.cell_bomb_xlsx(tmp_path / "one-row.xlsx", 400 << 20, rows=1)
    message = refusal(path)
    assert "zip bomb" in message and "rows" in message
