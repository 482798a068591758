"""The streaming xlsx reader: the same text cells as fastexcel, batch by batch, by every parser.

fastexcel (calamine) is the yardstick: whatever the stream reads must be what the reader saw
before, so normalisation is untouched. Hand-built parts cover the XML a generator may write
that Excel does not (no cell references, prefixed tags, other attribute orders).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import fastexcel
import pyarrow as pa
import pytest
import xlsxwriter
from lxml import etree

from steward.errors import InputFileError
from steward.returns import read_return, sheets
from steward.returns.sheets import open_sheets
from steward.returns.xlsx_stream import (
    XlsxWorkbook,
    column_index,
    datetime_text,
    hardened_parser,
    is_date_format,
    number_text,
)
from steward.synth import generate_returns, write_large_dr2

PARSERS = ("fast", "reference")


def calamine_sheet(path: Path, name: str) -> pa.Table:
    batch = fastexcel.read_excel(path).load_sheet(
        name, header_row=None, skip_rows=0, dtypes="string", eager=True
    )
    table = pa.Table.from_batches([batch])
    return table.rename_columns([f"c{i}" for i in range(table.num_columns)])


def assert_same_as_calamine(path: Path, *, batch_rows: int = 20_000) -> None:
    with XlsxWorkbook(path) as book:
        assert book.sheet_names == fastexcel.read_excel(path).sheet_names
        for name in book.sheet_names:
            expected = calamine_sheet(path, name).to_pydict()
            for parser in PARSERS:
                got = book.read_sheet(name, parser=parser, batch_rows=batch_rows).to_pydict()
                assert got == expected, (name, parser)


@pytest.fixture
def odd_cells(tmp_path: Path) -> Path:
    """Numbers, dates, times, booleans, errors, formulas and strings Excel users produce."""
    path = tmp_path / "odd.xlsx"
    book = xlsxwriter.Workbook(str(path))
    formats = ["dd/mm/yyyy", "yyyy-mm-dd hh:mm", "hh:mm:ss", "0.00", "mm/yyyy", "[h]:mm",
               "General", "@", "d-mmm-yy", "0%", '"Year "0']  # fmt: skip
    ws = book.add_worksheet("Cells")
    numbers = [1, 0, -3, 3.0, 1.5, 0.1 + 0.2, 1e20, 1e-7, 123456789012345, 1.2345678901234567e18,
               -0.0, 1 / 3, 43831.5, 12345678.9, 2.0000000004, 0.0000000006]  # fmt: skip
    row = 0
    for value in numbers:
        ws.write_number(row, 0, value)
        row += 1
    for code in formats:
        ws.write_number(row, 0, 43831.25, book.add_format({"num_format": code}))
        ws.write_string(row, 1, code)
        row += 1
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    for serial in (0.5, -5, 1, 59, 60, 61, 2958465, 3000000):
        ws.write_number(row, 0, serial, date_format)
        row += 1
    ws.write_datetime(row, 0, dt.datetime(2020, 1, 1, 13, 45, 10, 500000), date_format)
    ws.write_boolean(row + 1, 0, True)
    ws.write_boolean(row + 2, 0, False)
    ws.write_formula(row + 3, 0, "=1/0", None, "#DIV/0!")
    ws.write_formula(row + 4, 0, '="a"&"b"', None, "a & <b>")
    ws.write_formula(row + 5, 0, "=1+1", None, 2)
    ws.write_string(row + 6, 0, "  007 ")
    ws.write_string(row + 7, 0, "")
    ws.write_string(row + 8, 0, 'quote " and & < > é 😀')
    ws.write_rich_string(row + 9, 0, "plain ", book.add_format({"bold": True}), "bold", " end")
    ws.write_string(row + 10, 4, "far right")
    ws.write_blank(row + 11, 0, None, date_format)
    ws.write_string(row + 15, 1, "after a gap")
    # A sheet that starts at C5: columns start at the first used one, rows at row 1.
    offset = book.add_worksheet("Offset")
    offset.write_string(4, 2, "x")
    offset.write_number(5, 3, 7)
    offset.write_blank(8, 6, None, date_format)
    book.add_worksheet("Empty")
    book.close()
    return path


def test_cells_read_as_calamine_reads_them(odd_cells: Path) -> None:
    assert_same_as_calamine(odd_cells)
    assert_same_as_calamine(odd_cells, batch_rows=7)


def test_inline_strings_of_a_constant_memory_workbook(tmp_path: Path) -> None:
    path = tmp_path / "inline.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("Rows")
    for i in range(300):
        ws.write_string(i, 0, f"{i:06d}")
        ws.write_string(i, 1, "A & B" if i % 7 == 0 else 'say "hi"' if i % 11 == 0 else "x")
        ws.write_number(i, 2, i / 4)
        if i % 5:
            ws.write_string(i, 4, "  padded  ")
    book.close()
    assert b"inlineStr" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert_same_as_calamine(path, batch_rows=64)


def test_synthetic_returns_read_the_same_as_calamine(tmp_path: Path) -> None:
    generate_returns(tmp_path, scale="tiny", seed=3)
    files = sorted(tmp_path.rglob("*.xlsx"))
    assert files
    for path in files[:6]:
        assert_same_as_calamine(path, batch_rows=500)


def _read_with(engine: sheets.XlsxEngine, path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setattr(sheets, "XLSX_ENGINE", engine)
    reading = read_return(path)
    return {
        "tables": [(t.table.name, t.sheet, t.header_row, t.data) for t in reading.tables],
        "decisions": reading.decisions,
        "la": reading.la_code,
        "month": reading.return_month,
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_read_return_is_identical_whichever_reader(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_returns(tmp_path, scale="tiny", seed=seed)
    files = sorted(tmp_path.rglob("*.xlsx"))
    for path in files[:: max(1, len(files) // 5)]:
        streamed = _read_with("stream", path, monkeypatch)
        assert streamed == _read_with("fastexcel", path, monkeypatch), path.name
        assert all(data.num_rows for *_, data in streamed["tables"])


def test_large_dr2_is_identical_whichever_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_large_dr2(tmp_path / "rochdale_dr2_dec24.xlsx", rows=5000, seed=4)
    streamed = _read_with("stream", path, monkeypatch)
    assert streamed == _read_with("fastexcel", path, monkeypatch)
    referrals = streamed["tables"][0][3]
    assert referrals.num_rows >= 5000


def test_batches_cover_the_sheet_in_order(tmp_path: Path) -> None:
    path = write_large_dr2(tmp_path / "rochdale_dr2_dec24.xlsx", rows=2000, seed=5)
    with XlsxWorkbook(path) as book:
        batches = list(book.iter_batches("Referrals", batch_rows=300))
        whole = book.read_sheet("Referrals")
    assert [b.first_row for b in batches] == [1 + 300 * i for i in range(len(batches))]
    assert all(b.n_rows == 300 for b in batches[:-1]) and 0 < batches[-1].n_rows <= 300
    assert sum(b.n_rows for b in batches) == whole.num_rows
    assert all(len(col) == b.n_rows for b in batches for col in b.columns.values())


# --- XML that Excel does not write but other generators do -----------------------------------

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def hand_built(path: Path, sheet_xml: str, *, shared: str = "", book_pr: str = "") -> Path:
    """A minimal xlsx around one worksheet part (and optional shared strings)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
            'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook {_NS} xmlns:r="{_REL}">{book_pr}<sheets>'
            '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        rels = (
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/styles" Target="styles.xml"/>'
        )
        if shared:
            rels += (
                '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            )
            zf.writestr("xl/sharedStrings.xml", f'<?xml version="1.0"?><sst {_NS}>{shared}</sst>')
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships">{rels}</Relationships>',
        )
        zf.writestr(
            "xl/styles.xml",
            f'<?xml version="1.0"?><styleSheet {_NS}><numFmts count="1"><numFmt numFmtId="164" '
            'formatCode="dd/mm/yyyy"/></numFmts><cellXfs count="3"><xf numFmtId="0"/>'
            '<xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>',
        )
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def rows_of(path: Path, parser: str = "fast") -> list[tuple[str | None, ...]]:
    with XlsxWorkbook(path) as book:
        table = book.read_sheet("Data", parser=parser)  # type: ignore[arg-type]
    return list(zip(*table.to_pydict().values(), strict=True))


def test_cells_without_references_follow_one_another(tmp_path: Path) -> None:
    xml = (
        f'<worksheet {_NS}><sheetData><row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v>'
        '</c></row><row r="3"><c r="B3" t="str"><v>b</v></c><c><v>2.5</v></c></row><row>'
        '<c t="b"><v>1</v></c></row></sheetData></worksheet>'
    )
    path = hand_built(tmp_path / "norefs.xlsx", xml)
    expected = [("a", "1", None), (None, None, None), (None, "b", "2.5"), ("true", None, None)]
    assert rows_of(path) == rows_of(path, "reference") == expected
    assert calamine_sheet(path, "Data").to_pylist() == [
        dict(zip(("c0", "c1", "c2"), r, strict=True)) for r in expected
    ]


def test_prefixed_tags_other_attribute_orders_and_escapes(tmp_path: Path) -> None:
    shared = (
        "<si><t>plain</t></si>"
        '<si><r><t>rich </t></r><r><rPr><b/><color rgb="FFFF0000"/></rPr><t>text</t></r>'
        "<rPh><t>phonetic</t></rPh></si>"
        '<si><t xml:space="preserve">  spaced  </t></si>'
    )
    body = (
        '<row r="1"><c r="A1" t="s" s="0"><v>1</v></c><c r="B1" t="s"><v>0</v></c>'
        '<c r="C1" s="1" cm="1"><v>44140</v></c></row>'
        '<row r="2"><c r="A2" t="str"><f t="shared" ref="A2:A3" si="0">X</f><v>a &amp; &lt;b&gt;'
        ' &#233; "q"</v></c><c r="B2" s="2"><v>44140.5</v></c><c r="C2" t="s"><v>2</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t><![CDATA[cdata <x>]]></t></is></c>'
        '<c r="B3" t="e"><v>#N/A</v></c><c r="C3" t="d"><v>2020-01-02T00:00:00</v></c></row>'
    )
    expected = [
        ("rich text", "plain", "2020-11-05 00:00:00"),
        ('a & <b> é "q"', "2020-11-05 12:00:00", "  spaced  "),
        ("cdata <x>", None, "2020-01-02T00:00:00"),
    ]
    plain = hand_built(
        tmp_path / "plain.xlsx", f"<worksheet {_NS}><sheetData>{body}</sheetData></worksheet>",
        shared=shared,
    )  # fmt: skip
    assert rows_of(plain) == rows_of(plain, "reference") == expected
    prefixed_body = body.replace("<", "<x:").replace("<x:/", "</x:").replace("<x:!", "<!")
    prefixed = hand_built(
        tmp_path / "prefixed.xlsx",
        f'<x:worksheet xmlns:x="{_NS[7:-1]}"><x:sheetData>{prefixed_body}</x:sheetData>'
        "</x:worksheet>",
        shared=shared,
    )
    # (the blanket prefixing above also reached into the CDATA text)
    assert rows_of(prefixed) == [*expected[:2], ("cdata <x:x>", None, "2020-01-02T00:00:00")]


def test_the_1904_date_system(tmp_path: Path) -> None:
    xml = f'<worksheet {_NS}><sheetData><row r="1"><c r="A1" s="1"><v>0</v></c></row></sheetData></worksheet>'
    path = hand_built(tmp_path / "mac.xlsx", xml, book_pr='<workbookPr date1904="1"/>')
    assert rows_of(path) == rows_of(path, "reference") == [("1904-01-01 00:00:00",)]
    assert calamine_sheet(path, "Data")["c0"].to_pylist() == ["1904-01-01 00:00:00"]


def test_a_damaged_sheet_is_a_user_error(tmp_path: Path) -> None:
    xml = f'<worksheet {_NS}><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r='
    path = hand_built(tmp_path / "rochdale_dr2_nov20.xlsx", xml)
    with pytest.raises(InputFileError) as caught:
        open_sheets(path)
    assert "could not be read as a workbook" in caught.value.what
    assert "save it as 'Excel Workbook" in caught.value.fix


def test_the_parser_expands_no_entities() -> None:
    doc = b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
    root = etree.fromstring(doc, hardened_parser())
    assert "expanded" not in etree.tostring(root).decode()


@pytest.mark.parametrize(
    ("value", "text"),
    [(3.0, "3"), (-0.0, "-0"), (1 / 3, "0.333333333"), (1e20, "100000000000000000000"),
     (1e-7, "0.0000001"), (2.5, "2.5"), (0.0000000006, "0.000000001")],
)  # fmt: skip
def test_number_text(value: float, text: str) -> None:
    assert number_text(value) == text


@pytest.mark.parametrize(
    ("serial", "text"),
    [(43831.25, "2020-01-01 06:00:00"), (1, "1900-01-01 00:00:00"),
     (60, "1900-02-28 00:00:00"), (61, "1900-03-01 00:00:00"), (0.5, "1899-12-31 12:00:00"),
     (43831.57303819444, "2020-01-01 13:45:10.500"), (3000000, "+10113-09-19 00:00:00")],
)  # fmt: skip
def test_datetime_text(serial: float, text: str) -> None:
    assert datetime_text(serial) == text


@pytest.mark.parametrize(
    ("code", "is_date"),
    [("DD/MM/YY", True), ("H:MM:SS;@", True), ("[h]:mm:ss", True), ("[ss]", True),
     ("0.00", False), ("General", False), ('"$"#,##0_);[Red]("$"#,##0)', False),
     ("#,##0.0####\" YMD\"", False), ("\\Y000000", False), ("[>=100][Magenta].00", False),
     ("ha/p\\\\m", True)],
)  # fmt: skip
def test_date_formats(code: str, is_date: bool) -> None:
    assert is_date_format(code) is is_date


def test_column_letters() -> None:
    assert [column_index(x) for x in ("A", "Z", "AA", "AZ", "XFD")] == [0, 25, 26, 51, 16383]
