"""Reading a workbook or CSV into raw sheets: every cell as text, rows as the spreadsheet numbers them.

xlsx sheets are streamed from the zip by ``xlsx_stream`` a batch of rows at a time, so a large
return never has every raw cell of a sheet in memory as separate objects (a whole-sheet reader
needs about 20 times the file's size for that). Every cell arrives as text, so identifiers keep
their leading zeros and nothing is type-guessed; dates typed as dates in Excel arrive as
``YYYY-MM-DD HH:MM:SS`` and unformatted serials as their number, both of which normalisation
understands. Leading blank rows are kept, so row ``i`` of a raw sheet is spreadsheet row
``i + 1``. ``XLSX_ENGINE = "fastexcel"`` switches to the whole-sheet calamine reader, which gives
identical cells and is kept as the yardstick the stream is tested against.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv

from steward.errors import InputFileError, Location
from steward.returns.files import CsvDialect, FileKind, check_xlsx, detect_kind, sniff_csv
from steward.returns.xlsx_stream import XlsxWorkbook

XlsxEngine = Literal["stream", "fastexcel"]
XLSX_ENGINE: XlsxEngine = "stream"


@dataclass(frozen=True)
class RawSheet:
    """One sheet as text cells. Row 0 of ``cells`` is spreadsheet row 1."""

    name: str
    cells: pa.Table  # string columns c0, c1, ...


def open_sheets(path: Path) -> tuple[FileKind, list[RawSheet]]:
    """Check ``path`` is a safe xlsx or CSV and read every sheet as text."""
    kind = detect_kind(path)
    if kind == "xlsx":
        check_xlsx(path)
        return kind, _read_xlsx(path)
    return kind, [_read_csv(path, sniff_csv(path))]


def _renamed(table: pa.Table) -> pa.Table:
    return table.rename_columns([f"c{i}" for i in range(table.num_columns)])


def _read_xlsx(path: Path) -> list[RawSheet]:
    try:
        if XLSX_ENGINE == "fastexcel":
            return _read_xlsx_fastexcel(path)
        with XlsxWorkbook(path) as book:
            return [RawSheet(name, book.read_sheet(name)) for name in book.sheet_names]
    except Exception as exc:  # the XML, zip and calamine layers each raise their own types
        if isinstance(exc, InputFileError):
            raise
        raise InputFileError(
            what=f"{path.name} could not be read as a workbook ({type(exc).__name__})",
            fix="Open it in Excel, save it as 'Excel Workbook (*.xlsx)' and send it again.",
            where=Location(file=path.name),
        ) from exc


def _read_xlsx_fastexcel(path: Path) -> list[RawSheet]:
    import fastexcel

    reader = fastexcel.read_excel(path)
    sheets = []
    for name in reader.sheet_names:
        batch = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string", eager=True)
        sheets.append(RawSheet(name, _renamed(pa.Table.from_batches([batch]))))
    return sheets


def _read_csv(path: Path, dialect: CsvDialect) -> RawSheet:
    with path.open(encoding=dialect.encoding, newline="") as fh:
        first = next(csv.reader(io.StringIO(fh.readline()), delimiter=dialect.delimiter), [])
    ncols = max(len(first), 1)
    names = [f"c{i}" for i in range(ncols)]
    bad_rows: list[int | None] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append(row.number)
        return "error"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                encoding="utf8" if dialect.encoding.startswith("utf") else dialect.encoding,
                use_threads=True,
            ),
            # Blank lines are kept (as all-null rows the reader skips) so row i is line i + 1.
            parse_options=pacsv.ParseOptions(
                delimiter=dialect.delimiter,
                invalid_row_handler=on_invalid,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        row = bad_rows[0] if bad_rows else None
        raise InputFileError(
            what=f"{path.name} is not a rectangular CSV: a row has a different number of "
            f"columns from the first row ({ncols})",
            fix="Check the delimiter and quoting of that row, or export the sheet from Excel "
            "again as 'CSV UTF-8'.",
            where=Location(file=path.name, row=row),
        ) from exc
    return RawSheet(path.stem, table)


__all__ = ["XLSX_ENGINE", "RawSheet", "XlsxEngine", "detect_kind", "open_sheets"]
