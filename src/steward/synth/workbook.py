"""Writing return workbooks fast and atomically with xlsxwriter in constant-memory mode."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import xlsxwriter

CellKind = Literal["text", "number", "date"]
# A fixed creation time keeps workbooks written from the same seed identical.
_CREATED = dt.datetime(2024, 1, 1)
_IN_MEMORY_CELLS = 200_000


@dataclass
class SheetColumn:
    """One column as written: its heading, how its cells are typed, and the cell values.

    ``None`` values are left blank. ``date`` cells are Excel serial numbers with a date format.
    """

    heading: str
    kind: CellKind
    values: list[object]


@dataclass
class Sheet:
    """A worksheet: optional title lines above the header row, then the columns."""

    name: str
    columns: list[SheetColumn]
    title: list[str] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        """The 1-based row the header is on: row 1, or the row under the title block."""
        return len(self.title) + 1

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0


def write_workbook(path: Path, sheets: list[Sheet]) -> Path:
    """Write ``sheets`` to ``path`` (temp file + rename, so a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    cells = sum(len(sheet.columns) * sheet.n_rows for sheet in sheets)
    # Small workbooks are built in memory (no temp files, which dominate on a slow disk); large
    # ones stream row by row in constant memory.
    mode = {"in_memory": True} if cells < _IN_MEMORY_CELLS else {"constant_memory": True}
    book = xlsxwriter.Workbook(str(tmp), {**mode, "strings_to_numbers": False})
    book.set_properties({"created": _CREATED, "author": "Steward synthetic returns"})
    date_format = book.add_format({"num_format": "dd/mm/yyyy"})
    bold = book.add_format({"bold": True})
    for sheet in sheets:
        ws = book.add_worksheet(sheet.name)
        for r, line in enumerate(sheet.title):
            ws.write_string(r, 0, line, bold)
        top = sheet.header_row - 1
        for c, col in enumerate(sheet.columns):
            ws.write_string(top, c, col.heading, bold)
        _write_body(ws, sheet.columns, top + 1, date_format)
    book.close()
    os.replace(tmp, path)
    return path


def _write_body(
    ws: xlsxwriter.worksheet.Worksheet,
    columns: list[SheetColumn],
    first_row: int,
    date_format: xlsxwriter.format.Format,
) -> None:
    # Constant-memory mode needs rows written in order, so the loop is row-major; per column
    # the writer method is bound once to keep the inner loop lean.
    writers = []
    for c, col in enumerate(columns):
        if col.kind == "text":
            writers.append((c, col.values, ws.write_string, None))
        elif col.kind == "number":
            writers.append((c, col.values, ws.write_number, None))
        else:
            writers.append((c, col.values, ws.write_number, date_format))
    n = len(columns[0].values) if columns else 0
    for i in range(n):
        r = first_row + i
        for c, values, write, fmt in writers:
            v = values[i]
            if v is None:
                continue
            if fmt is None:
                write(r, c, v)
            else:
                write(r, c, v, fmt)
