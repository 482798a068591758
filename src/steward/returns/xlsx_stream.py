"""Streaming an xlsx worksheet as text cells, a batch of rows at a time, straight from the zip.

A whole-sheet reader (calamine) holds every cell of a sheet as its own object before Arrow sees
any of it, about 20 times the size of the file for a 200,000-row return. Here the sheet's XML is
inflated in chunks cut at row boundaries and each chunk becomes Arrow columns at once, so only
one chunk of raw XML and one batch of rows is ever held besides the text already read.

Every cell comes out as the text the previous reader (fastexcel) gave, so normalisation sees
identical input: shared and inline strings as written (rich-text runs joined, phonetic runs left
out), numbers as ``format(x, ".9f")`` with trailing zeros trimmed, numbers in a date or time
format as ``YYYY-MM-DD HH:MM:SS[.fff]`` (calamine's reading of the serial, including its shift
of serials below 60), booleans as ``true``/``false`` and error cells as empty. Rows are counted
from spreadsheet row 1; columns from the leftmost column holding a value.

Three readers share that contract, tried in turn for each chunk of whole rows. The fast one
finds the usual cell layout (``<c r= s= t=>`` holding ``<v>`` or a plain inline string, as
Excel, LibreOffice, openpyxl and xlsxwriter write it) by byte positions with numpy and cuts the
values out in one copy; a chunk with formulas or rich text goes to a regular expression; a
chunk neither recognises fully (other attributes or their order, CDATA, carriage returns) goes
to the reference reader, a hardened ``lxml`` parse that is slow (about 4 microseconds a cell)
but follows the XML exactly, as it does for a whole sheet written with prefixed tags
(``<x:c>``), which cannot be cut at row boundaries by bytes. The file must already have passed
``files.check_xlsx`` (no DTDs, no bombs); the parser refuses DTDs and entities anyway.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from posixpath import join, normpath
from typing import IO, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from steward.returns.cell_text import (
    BUILTIN_DATE_FORMATS,
    DAY_MS,
    EPOCH_1899_MS,
    OFFSET_1904,
    datetime_text,
    is_date_format,
    number_text,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_M = f"{{{MAIN_NS}}}"

DEFAULT_BATCH_ROWS = 20_000
_CHUNK_BYTES = 512 * 1024  # XML inflated per step: ten thousand cells or so, little scratch

Parser = Literal["fast", "reference"]


def hardened_parser() -> etree.XMLParser:
    """An XML parser that loads no DTD, expands no entity and never touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=True,
    )  # fmt: skip


# --- how a number or a date serial reads as text ----------------------------------------------


# --- the workbook's parts ----------------------------------------------------------------------


def _parse_part(zf: zipfile.ZipFile, name: str) -> etree._Element | None:
    try:
        data = zf.read(name)
    except KeyError:
        return None
    return etree.fromstring(data, hardened_parser())


@dataclass(frozen=True)
class _Sheet:
    name: str
    part: str  # zip member of the worksheet XML


@dataclass(frozen=True)
class CellBatch:
    """Consecutive rows of one sheet: ``columns`` maps a 0-based sheet column to its text."""

    first_row: int  # spreadsheet row (1-based) of the batch's first row
    n_rows: int
    columns: dict[int, pa.Array]


@dataclass
class _Cells:
    """Cells holding a value (or an error) in sheet order: 1-based row, 0-based column, text."""

    rows: np.ndarray
    cols: np.ndarray
    text: pa.Array

    def subset(self, mask: np.ndarray) -> _Cells:
        return _Cells(self.rows[mask], self.cols[mask], self.text.filter(pa.array(mask)))


class XlsxWorkbook:
    """An open xlsx read as text cells; use as a context manager or call ``close``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path)
        self._sst: pa.Array | None = None
        book = _parse_part(self._zip, "xl/workbook.xml")
        if book is None:
            raise ValueError("xl/workbook.xml is missing")
        pr = book.find(f"{_M}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        rels = _parse_part(self._zip, "xl/_rels/workbook.xml.rels")
        targets: dict[str, str] = {}
        for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship") if rels is not None else ():
            if rel.get("Type", "").endswith("/worksheet"):
                target = rel.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else join("xl", target)
                targets[rel.get("Id", "")] = normpath(part)
        self._sheets = [
            _Sheet(el.get("name", ""), targets[rid])
            for el in book.iter(f"{_M}sheet")
            if (rid := el.get(f"{{{_DOC_REL_NS}}}id", "")) in targets
        ]
        self.date_styles = self._date_styles()
        self._sst_part = self._part_of_type("/sharedStrings", "xl/sharedStrings.xml")

    def _part_of_type(self, suffix: str, default: str) -> str:
        rels = _parse_part(self._zip, "xl/_rels/workbook.xml.rels")
        for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship") if rels is not None else ():
            if rel.get("Type", "").endswith(suffix):
                target = rel.get("Target", "")
                return normpath(
                    target.lstrip("/") if target.startswith("/") else join("xl", target)
                )
        return default

    def _date_styles(self) -> frozenset[int]:
        styles = _parse_part(self._zip, self._part_of_type("/styles", "xl/styles.xml"))
        if styles is None:
            return frozenset()
        custom = {
            int(f.get("numFmtId", "-1")): f.get("formatCode", "")
            for f in styles.iter(f"{_M}numFmt")
        }
        xfs = styles.find(f"{_M}cellXfs")
        dated = set()
        for i, xf in enumerate(xfs.iter(f"{_M}xf") if xfs is not None else ()):
            fmt = int(xf.get("numFmtId", "0"))
            if is_date_format(custom[fmt]) if fmt in custom else fmt in BUILTIN_DATE_FORMATS:
                dated.add(i)
        return frozenset(dated)

    def close(self) -> None:
        """Close the zip."""
        self._zip.close()

    def __enter__(self) -> XlsxWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sheet_names(self) -> list[str]:
        """Worksheet names in workbook order (hidden sheets included, chart sheets not)."""
        return [s.name for s in self._sheets]

    def shared_strings(self) -> pa.Array:
        """The shared-string table, parsed once: rich-text runs joined, phonetic runs left out."""
        if self._sst is None:
            texts: list[str] = []
            try:
                fh = self._zip.open(self._sst_part)
            except KeyError:
                self._sst = pa.array([], pa.string())
                return self._sst
            with fh:
                for _, si in etree.iterparse(fh, tag=f"{_M}si", **_ITERPARSE):
                    texts.append(_rich_text(si))
                    si.clear()
                    while si.getprevious() is not None:
                        del si.getparent()[0]
            self._sst = pa.array(texts, pa.string())
        return self._sst

    def iter_batches(
        self, name: str, *, batch_rows: int = DEFAULT_BATCH_ROWS, parser: Parser = "fast"
    ) -> Generator[CellBatch, None, None]:
        """The rows of sheet ``name`` in batches of ``batch_rows`` (the last may be shorter)."""
        sheet = next(s for s in self._sheets if s.name == name)
        with self._zip.open(sheet.part) as fh:
            yield from _assemble(self._chunks(fh, parser), batch_rows)

    def read_sheet(
        self, name: str, *, batch_rows: int = DEFAULT_BATCH_ROWS, parser: Parser = "fast"
    ) -> pa.Table:
        """Sheet ``name`` as string columns ``c0, c1, ...``; row 0 is spreadsheet row 1."""
        batches = []
        for batch in self.iter_batches(name, batch_rows=batch_rows, parser=parser):
            batches.append(batch)
            # Hand the chunks' freed scratch memory back, so it does not pile up in the pool.
            pa.default_memory_pool().release_unused()
        used = [c for b in batches for c in b.columns]
        if not used:
            return pa.table({})
        first, last = min(used), max(used)
        return pa.table(
            {
                f"c{c - first}": pa.chunked_array(
                    [b.columns.get(c, pa.nulls(b.n_rows, pa.string())) for b in batches],
                    pa.string(),
                )
                for c in range(first, last + 1)
            }
        )

    def _chunks(self, fh: IO[bytes], parser: Parser) -> Iterator[_Cells]:
        reader = _CellReader(self)
        head = b""
        found = None
        while found is None and (block := fh.read(64 * 1024)):
            head += block
            found = _SHEET_DATA.search(head)
        root = _WORKSHEET.search(head)
        if found is None or root is None:
            return
        start = found.start()
        if root.group(1) or parser == "reference":
            # Prefixed tags defeat row-boundary cutting: follow the XML element by element.
            yield from reader.iterparse(head, fh)
            return
        opened = head.index(b">", start) + 1
        if head[opened - 2 : opened] == b"/>":
            return  # <sheetData/>: no rows
        wrapper = (root.group(0), b"</sheetData></worksheet>")
        rest = head[opened:]
        done = False
        while not done:
            block = fh.read(_CHUNK_BYTES)
            buffer = rest + block
            end = buffer.find(b"</sheetData>")
            if end >= 0:
                chunk, rest, done = buffer[:end], b"", True
            elif not block:
                raise ValueError("the worksheet XML ends inside its sheetData")
            else:
                cut = buffer.rfind(b"</row>") + len(b"</row>")
                if cut < len(b"</row>"):
                    rest = buffer  # no whole row yet: read on
                    continue
                chunk, rest = buffer[:cut], buffer[cut:]
            if chunk.strip():
                yield reader.chunk(chunk, wrapper)


_WORKSHEET = re.compile(rb"<([A-Za-z_][\w.\-]*:)?worksheet\b[^>]*>")
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.\-]*:)?sheetData\b[^>]*>")

_ITERPARSE = {
    "events": ("end",),
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": True,
}


def _rich_text(element: etree._Element) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>`` parts, phonetic (``<rPh>``) ones left out."""
    return "".join(t.text or "" for t in element.iter(f"{_M}t") if t.getparent().tag != f"{_M}rPh")


# --- one chunk of rows to cells ----------------------------------------------------------------

_CELL = re.compile(
    r'<c r="([A-Z]{1,3})([0-9]{1,7})"(?: s="([0-9]+)")?(?: t="([A-Za-z]+)")?'
    r"(?:/>|>(?:<f>[^<]*</f>|<f/>)?(<v>[^<]*</v>)?(<is>.*?</is>)?</c>)",
    re.DOTALL,
)
_SIMPLE_INLINE = r"^<is><t>[^<]*</t></is>$"
_PLAIN_INT = r"^-?(?:0|[1-9][0-9]{0,14})$"
_COLUMN_CACHE: dict[str, int] = {}


def column_index(letters: str) -> int:
    """0-based index of a column's letters: A -> 0, Z -> 25, AA -> 26."""
    index = _COLUMN_CACHE.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        index -= 1
        _COLUMN_CACHE[letters] = index
    return index


@dataclass
class _RawCells:
    """The parts of a chunk's cells as string columns ("" where an attribute is absent)."""

    letters: pa.Array
    row_digits: pa.Array
    styles: pa.Array
    kinds: pa.Array
    v: pa.Array  # text inside <v>, "" if none
    has_v: pa.Array
    inline: pa.Array  # text of a plain inline string, null otherwise
    inline_xml: pa.Array  # the whole <is> of a rich inline string, null otherwise


def _at(b: np.ndarray, pos: np.ndarray, text: bytes) -> np.ndarray:
    """Whether ``text`` stands at each position of the byte array ``b``."""
    hit = np.ones(len(pos), dtype=bool)
    for i, byte in enumerate(text):
        hit &= b[pos + i] == byte
    return hit


def _next(marks: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The first of the sorted ``marks`` at or after each position (len(b) if none)."""
    found = np.searchsorted(marks, pos)
    return np.append(marks, marks[-1] if len(marks) else 0)[found]


def _gather(b: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The byte ranges ``starts[i]:ends[i]`` of ``b`` as one string array, in one copy."""
    lengths = np.maximum(ends - starts, 0).astype(np.int32)
    offsets = np.zeros(len(starts) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    index = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
    data = np.ascontiguousarray(b[index])
    return pa.Array.from_buffers(
        pa.string(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def _scan_cells(data: bytes) -> _RawCells | None:
    """Cells in the usual layout found by byte positions alone, with numpy; else ``None``.

    Handles ``<c r="A1"[ s="1"][ t="s"]>`` holding ``<v>`` or a plain ``<is><t>``, or
    nothing; anything else (formulas, rich text, other attributes) is left to the
    regular-expression reader. Slices start and end at ASCII delimiters, so the UTF-8 of the
    chunk (checked once) stays valid in every piece.
    """
    checked = pa.Array.from_buffers(
        pa.string(), 1,
        [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int32)), pa.py_buffer(data)],
    )  # fmt: skip
    checked.validate(full=True)
    b = np.frombuffer(data + b"\0" * 16, dtype=np.uint8)  # room to look ahead at the end
    n = len(data)
    # Every "<c" must open a cell "<c r=": no other tag here starts so (rich text is excluded).
    starts = np.flatnonzero((b[: n - 1] == 60) & (b[1:n] == 99))
    if not len(starts) or not _at(b, starts + 2, b' r="').all():
        return None
    quotes = np.flatnonzero(b[:n] == 34)
    ref_start = starts + 6
    ref_end = _next(quotes, ref_start)
    pos = ref_end + 1
    s_attr = _at(b, pos, b' s="')
    s_end = _next(quotes, pos + 4)
    pos = np.where(s_attr, s_end + 1, pos)
    t_attr = _at(b, pos, b' t="')
    t_end = _next(quotes, pos + 4)
    t_start = pos + 4
    pos = np.where(t_attr, t_end + 1, pos)
    closed = _at(b, pos, b"/>")
    opened = b[pos] == 62
    if not (closed | opened).all():
        return None
    body = pos + 1
    has_v = opened & _at(b, body, b"<v>")
    inline = opened & _at(b, body, b"<is><t>")
    empty = closed | (opened & _at(b, body, b"</c>"))
    if not (has_v | inline | empty).all():
        return None
    less = np.flatnonzero(b[:n] == 60)
    value_start = np.where(inline, body + 7, body + 3)
    value_end = _next(less, value_start)
    whole = (has_v & _at(b, value_end, b"</v></c>")) | (inline & _at(b, value_end, b"</t></is></c>"))  # fmt: skip
    if not (whole | empty).all():
        return None
    none = np.zeros(len(starts), dtype=np.int64)
    keep_value = has_v | inline
    value = _gather(b, np.where(keep_value, value_start, none), np.where(keep_value, value_end, none))  # fmt: skip
    ref = _gather(b, ref_start, ref_end)
    return _RawCells(
        letters=pc.utf8_rtrim(ref, characters="0123456789"),
        row_digits=pc.utf8_ltrim(ref, characters="ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        styles=_gather(b, np.where(s_attr, ref_end + 5, none), np.where(s_attr, s_end, none)),
        kinds=_gather(b, np.where(t_attr, t_start, none), np.where(t_attr, t_end, none)),
        v=value,
        has_v=pa.array(has_v),
        inline=pc.if_else(pa.array(inline), value, None),
        inline_xml=pa.nulls(len(starts), pa.string()),
    )


class _CellReader:
    """Turns XML rows into ``_Cells``; keeps the state a sheet needs across chunks."""

    def __init__(self, book: XlsxWorkbook) -> None:
        self.book = book
        self.last_row = 0  # for rows that omit r=

    def chunk(self, data: bytes, wrapper: tuple[bytes, bytes]) -> _Cells:
        """The cells of whole rows of XML: the fast readers, else the reference one."""
        cells = self._fast(data)
        if cells is None:
            xml = wrapper[0] + b"<sheetData>" + data + wrapper[1]
            root = etree.fromstring(xml, hardened_parser())
            sheet_data = root.find(f"{_M}sheetData")
            rows = sheet_data.iter(f"{_M}row") if sheet_data is not None else iter(())
            cells = self._rows(rows)
        elif len(cells.rows):
            self.last_row = int(cells.rows[-1])
        return cells

    def iterparse(self, head: bytes, fh: IO[bytes]) -> Iterator[_Cells]:
        """The reference parse of a whole sheet, element by element."""

        class _Joined:
            def __init__(self) -> None:
                self.first = head

            def read(self, n: int = -1) -> bytes:
                if self.first:
                    out, self.first = self.first, b""
                    return out
                return fh.read(n if n > 0 else _CHUNK_BYTES)

        rows: list[etree._Element] = []
        for _, row in etree.iterparse(_Joined(), tag=f"{_M}row", **_ITERPARSE):
            rows.append(row)
            if len(rows) >= 5000:
                yield self._rows(iter(rows))
                rows = []
                while row.getprevious() is not None:  # read rows are not kept in the tree
                    del row.getparent()[0]
        if rows:
            yield self._rows(iter(rows))

    def _rows(self, rows: Iterator[etree._Element]) -> _Cells:
        out_rows: list[int] = []
        out_cols: list[int] = []
        out_text: list[str | None] = []
        for row in rows:
            r = row.get("r")
            self.last_row = int(r) if r else self.last_row + 1
            col = -1
            for c in row.iterchildren(f"{_M}c"):
                ref = c.get("r")
                col = column_index(ref.rstrip("0123456789")) if ref else col + 1
                v = c.find(f"{_M}v")
                inline = c.find(f"{_M}is")
                found, text = self._value(
                    c.get("t", "n"), c.get("s"), None if v is None else (v.text or ""), inline
                )
                if found:
                    out_rows.append(self.last_row)
                    out_cols.append(col)
                    out_text.append(text)
            row.clear()
        return _Cells(
            np.array(out_rows, dtype=np.int32),
            np.array(out_cols, dtype=np.int32),
            pa.array(out_text, pa.string()),
        )

    def _value(
        self, kind: str, style: str | None, v: str | None, inline: etree._Element | None
    ) -> tuple[bool, str | None]:
        """(holds a value, its text) of one cell, the way calamine reads it."""
        if kind == "inlineStr":
            return (True, _rich_text(inline)) if inline is not None else (v is not None, v)
        if v is None:
            return False, None
        if kind == "s":
            return True, self.book.shared_strings()[int(v)].as_py()
        if kind in ("str", "d"):
            return True, v
        if kind == "b":
            return True, "false" if v == "0" else "true"
        if kind == "e":
            return True, None
        number = float(v)
        if style is not None and int(style) in self.book.date_styles:
            return True, datetime_text(number, self.book.date1904)
        return True, number_text(number)

    def _fast(self, data: bytes) -> _Cells | None:
        """Cells of a chunk in the usual layout, column at a time; ``None`` if any cell is not."""
        if b"\r" in data or b"<![CDATA[" in data:
            return None
        if b"<f" not in data and b"<is><r" not in data and b"xml:space" not in data:
            cells = _scan_cells(data)
            if cells is not None:
                return self._convert(cells)
        expected = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/")
        if expected == 0:
            return _Cells(np.zeros(0, np.int32), np.zeros(0, np.int32), pa.array([], pa.string()))
        found = _CELL.findall(data.decode("utf-8"))
        if len(found) != expected:
            return None
        letters, row_no, styles, kinds, vs, inlines = (pa.array(x) for x in zip(*found, strict=True))  # fmt: skip
        has_v = pc.greater(pc.utf8_length(vs), 0)
        inline = pc.if_else(pc.match_substring_regex(inlines, _SIMPLE_INLINE),
                            pc.utf8_slice_codeunits(inlines, 7, -9), None)  # fmt: skip
        complex_inline = pc.and_(pc.greater(pc.utf8_length(inlines), 0), pc.is_null(inline))
        return self._convert(
            _RawCells(letters, row_no, styles, kinds, pc.utf8_slice_codeunits(vs, 3, -4), has_v,
                      inline, pc.if_else(complex_inline, inlines, None))
        )  # fmt: skip

    def _convert(self, raw: _RawCells) -> _Cells:
        """Typed cell parts to text the way calamine reads them, whole columns at once."""
        n = len(raw.letters)
        letter_codes = raw.letters.dictionary_encode()
        col_of = np.array([column_index(x) for x in letter_codes.dictionary.to_pylist()])
        cols = col_of[letter_codes.indices.to_numpy()].astype(np.int32)
        rows = raw.row_digits.cast(pa.int32()).to_numpy()
        kind, v = raw.kinds, raw.v
        has_v = np.asarray(raw.has_v)
        result = pa.nulls(n, pa.string())
        holds = np.zeros(n, dtype=bool)

        def put(mask: np.ndarray, values: Callable[[pa.Array], pa.Array]) -> None:
            nonlocal result
            if not mask.any():
                return
            holds[mask] = True
            result = pc.replace_with_mask(result, pa.array(mask), values(pa.array(mask)))

        is_inline = np.asarray(pc.equal(kind, "inlineStr"))
        if is_inline.any():
            simple = np.asarray(pc.is_valid(raw.inline))
            rich = np.asarray(pc.is_valid(raw.inline_xml))
            put(is_inline & simple, lambda m: _unescaped(raw.inline.filter(m)))
            put(is_inline & rich,
                lambda m: pa.array([_inline_text(x) for x in raw.inline_xml.filter(m).to_pylist()],
                                   pa.string()))  # fmt: skip
            put(is_inline & ~simple & ~rich & has_v, lambda m: _unescaped(v.filter(m)))
        other = ~is_inline & has_v
        put(other & np.asarray(pc.equal(kind, "s")), lambda m: self._shared(v.filter(m)))
        put(other & np.asarray(pc.is_in(kind, pa.array(["str", "d"]))), lambda m: _unescaped(v.filter(m)))  # fmt: skip
        put(other & np.asarray(pc.equal(kind, "b")),
            lambda m: pc.if_else(pc.equal(v.filter(m), "0"), "false", "true"))  # fmt: skip
        errors = other & np.asarray(pc.equal(kind, "e"))
        holds[errors] = True
        numeric = other & np.asarray(pc.is_in(kind, pa.array(["", "n"])))
        if numeric.any():
            dated = np.zeros(n, dtype=bool)
            if self.book.date_styles:
                styles = raw.styles
                style = pc.cast(pc.if_else(pc.equal(styles, ""), "-1", styles), pa.int64())
                dated = numeric & np.isin(style.to_numpy(), list(self.book.date_styles))
            put(dated, lambda m: self._dates(v.filter(m)))
            put(numeric & ~dated, lambda m: _numbers(v.filter(m)))
        return _Cells(rows[holds], cols[holds], result.filter(pa.array(holds)))

    def _shared(self, indexes: pa.Array) -> pa.Array:
        return pc.take(self.book.shared_strings(), pc.cast(indexes, pa.int64()))

    def _dates(self, serials: pa.Array) -> pa.Array:
        """Date serials to text, whole columns at once; unusual ones one by one."""
        values = pc.cast(serials, pa.float64()).to_numpy()
        if self.book.date1904:
            values = values + OFFSET_1904
        values = np.where(values < 60.0, values + 1.0, values)
        scaled = values * DAY_MS
        ms = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int64) + EPOCH_1899_MS
        # Years 1000-9999 and whole seconds go through arrow; the rest (rare) one by one.
        lo, hi = -30610224000000, 253402300800000  # 1000-01-01, 10000-01-01
        usual = (ms >= lo) & (ms < hi) & (ms % 1000 == 0)
        seconds = pa.array(np.where(usual, ms // 1000, 0), pa.timestamp("s"))
        text = pc.strftime(seconds, format="%Y-%m-%d %H:%M:%S")
        if usual.all():
            return text
        odd = ~usual
        odd_text = [datetime_text(float(x), self.book.date1904) for x in pc.cast(serials, pa.float64()).filter(pa.array(odd)).to_pylist()]  # fmt: skip
        return pc.replace_with_mask(text, pa.array(odd), pa.array(odd_text, pa.string()))


def _numbers(texts: pa.Array) -> pa.Array:
    """Number text as fastexcel writes it; plain integers are already in that form."""
    plain = pc.match_substring_regex(texts, _PLAIN_INT)
    if pc.all(plain).as_py():
        return texts
    odd = pc.invert(plain)
    rewritten = [number_text(float(x)) for x in texts.filter(odd).to_pylist()]
    return pc.replace_with_mask(texts, odd, pa.array(rewritten, pa.string()))


_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")


def _unescape(text: str) -> str:
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _unescaped(texts: pa.Array) -> pa.Array:
    """Undo XML's character escapes in the (few) values that have any."""
    escaped = pc.match_substring(texts, "&")
    if not pc.any(escaped).as_py():
        return texts
    fixed = [_unescape(x) for x in texts.filter(escaped).to_pylist()]
    return pc.replace_with_mask(texts, escaped, pa.array(fixed, pa.string()))


def _inline_text(xml: str) -> str:
    element = etree.fromstring(
        xml.replace("<is>", f'<is xmlns="{MAIN_NS}">', 1).encode("utf-8"), hardened_parser()
    )
    return _rich_text(element)


# --- cells to batches of rows ------------------------------------------------------------------


def _assemble(chunks: Iterator[_Cells], batch_rows: int) -> Iterator[CellBatch]:
    """Group cells (rows ascending) into batches of ``batch_rows`` spreadsheet rows."""
    pending: list[_Cells] = []
    window = 0  # batch index: rows window*batch_rows+1 .. (window+1)*batch_rows
    last_row = 0
    for cells in chunks:
        if not len(cells.rows):
            continue
        if int(cells.rows.min()) <= window * batch_rows:
            raise ValueError("worksheet rows are out of order")
        last_row = max(last_row, int(cells.rows.max()))
        windows = (cells.rows - 1) // batch_rows
        for w in np.unique(windows):
            while window < w:
                yield _batch(pending, window * batch_rows + 1, batch_rows)
                pending, window = [], window + 1
            pending.append(cells.subset(windows == w))
    if pending:
        first = window * batch_rows + 1
        yield _batch(pending, first, last_row - first + 1)


def _batch(parts: list[_Cells], first_row: int, n_rows: int) -> CellBatch:
    if not parts:
        return CellBatch(first_row, n_rows, {})
    rows = np.concatenate([p.rows for p in parts]) - first_row
    cols = np.concatenate([p.cols for p in parts])
    text = pa.concat_arrays([p.text for p in parts]) if len(parts) > 1 else parts[0].text
    order = np.argsort(cols, kind="stable").astype(
        np.int32
    )  # column by column, sheet order kept within each
    bounds = np.flatnonzero(np.diff(cols[order])) + 1
    columns: dict[int, pa.Array] = {}
    for picked in np.split(order, bounds):
        slot = np.full(n_rows, -1, dtype=np.int32)
        slot[rows[picked]] = picked  # a repeated cell: the later one wins
        columns[int(cols[picked[0]])] = pc.take(text, pa.array(slot, mask=slot < 0))
    return CellBatch(first_row, n_rows, columns)


__all__ = [
    "DEFAULT_BATCH_ROWS",
    "MAIN_NS",
    "CellBatch",
    "XlsxWorkbook",
    "column_index",
    "datetime_text",
    "hardened_parser",
    "is_date_format",
    "number_text",
]
