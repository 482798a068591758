"""Every sheet of a submitted file as its first rows and then as a stream of row batches.

The reader detects a sheet's table from its first rows and then normalises the sheet a batch of
rows at a time, so a large return never has all of its raw text in memory at once. xlsx sheets
are streamed from the zip (``xlsx_stream``); a CSV, or a workbook read with the whole-sheet
reader (``sheets.XLSX_ENGINE = "fastexcel"``), is read whole by ``sheets.open_sheets`` and
handed out in slices, so every reader feeds the same batch path and gives the same result.

A batch is an ``xlsx_stream.CellBatch``: consecutive spreadsheet rows, with the text of each
sheet column (0-based) that holds a value in them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from steward.errors import InputFileError, Location
from steward.returns import sheets
from steward.returns.files import FileKind, check_xlsx, detect_kind
from steward.returns.xlsx_stream import CellBatch, XlsxWorkbook

DEFAULT_BATCH_ROWS = 20_000


class SheetSource(Protocol):
    """The sheets of one open file."""

    @property
    def sheet_names(self) -> list[str]: ...

    def head(self, name: str, rows: int) -> CellBatch:
        """The first ``rows`` spreadsheet rows of sheet ``name`` (fewer if it is shorter)."""
        ...

    def batches(self, name: str, batch_rows: int) -> Iterator[CellBatch]:
        """Every row of sheet ``name`` from row 1, ``batch_rows`` at a time."""
        ...

    def close(self) -> None: ...


@contextmanager
def _unreadable_is_input_error(path: Path) -> Iterator[None]:
    try:
        yield
    except Exception as exc:  # the XML and zip layers each raise their own types
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(
            what=f"{path.name} could not be read as a workbook ({type(exc).__name__})",
            fix="Open it in Excel, save it as 'Excel Workbook (*.xlsx)' and send it again.",
            where=Location(file=path.name),
        ) from exc


class _StreamedWorkbook:
    """An xlsx read from the zip a batch at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _unreadable_is_input_error(path):
            self.book = XlsxWorkbook(path)

    @property
    def sheet_names(self) -> list[str]:
        return self.book.sheet_names

    def head(self, name: str, rows: int) -> CellBatch:
        with (
            _unreadable_is_input_error(self.path),
            closing(self.book.iter_batches(name, batch_rows=rows)) as batches,
        ):
            return next(batches, CellBatch(1, 0, {}))

    def batches(self, name: str, batch_rows: int) -> Iterator[CellBatch]:
        with _unreadable_is_input_error(self.path):
            yield from self.book.iter_batches(name, batch_rows=batch_rows)

    def close(self) -> None:
        self.book.close()


class _WholeSheets:
    """Sheets already read whole (a CSV, or the whole-sheet xlsx reader), handed out in slices."""

    def __init__(self, raw: list[sheets.RawSheet]) -> None:
        self.raw = {s.name: s.cells for s in raw}

    @property
    def sheet_names(self) -> list[str]:
        return list(self.raw)

    def head(self, name: str, rows: int) -> CellBatch:
        return _slice(self.raw[name], 0, rows)

    def batches(self, name: str, batch_rows: int) -> Iterator[CellBatch]:
        cells = self.raw[name]
        for start in range(0, cells.num_rows, batch_rows):
            yield _slice(cells, start, batch_rows)

    def close(self) -> None:
        self.raw = {}


def _slice(cells: pa.Table, start: int, rows: int) -> CellBatch:
    part = cells.slice(start, rows)
    columns = {i: part.column(i).combine_chunks() for i in range(part.num_columns)}
    return CellBatch(start + 1, part.num_rows, columns)


def open_sheet_source(path: Path) -> tuple[FileKind, SheetSource]:
    """Check ``path`` is a safe xlsx or CSV and open its sheets for reading in batches."""
    kind = detect_kind(path)
    if kind == "xlsx" and sheets.XLSX_ENGINE == "stream":
        check_xlsx(path)
        return kind, _StreamedWorkbook(path)
    kind, raw = sheets.open_sheets(path)
    return kind, _WholeSheets(raw)


__all__ = ["DEFAULT_BATCH_ROWS", "SheetSource", "open_sheet_source"]
