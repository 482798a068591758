"""An NPD extract CSV as text columns: every value as written, so identifiers keep leading zeros.

Read with Arrow (one pass, no per-value Python objects). A file Arrow will not read as it is
(ragged rows, repeated or blank headings, bytes that are not UTF-8) is read by pandas instead,
which fills short rows with blanks, names headings ``Year.1`` / ``Unnamed: 3`` and says what
is wrong with a file it cannot read; both readings give the same columns.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from steward.errors import InputFileError, Location

# What Python's str.strip() removes (every character whose isspace() is true).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


class TextFrame:
    """An extract's text columns by (stripped) heading, with each row's spreadsheet row."""

    def __init__(self, names: list[str], columns: dict[str, pa.Array], source_row: pa.Array):
        self.names = names
        self.columns = columns
        self.source_row = source_row
        self.rows = len(source_row)

    def __getitem__(self, name: str) -> pa.Array:
        return self.columns[name]

    def derived(self, name: str, rule: Callable[[pa.Array], pa.Array]) -> pa.Array:
        """``rule`` (which works row by row) applied to a column."""
        return rule(self[name])

    def renamed(self, names: list[str]) -> TextFrame:
        columns = {new: self[old] for old, new in zip(self.names, names, strict=True)}
        return TextFrame(names, columns, self.source_row)

    def assign(self, name: str, values: pa.Array) -> TextFrame:
        """The frame with column ``name`` set (in its place if there is one, else last)."""
        names = self.names if name in self.names else [*self.names, name]
        columns = {n: self[n] for n in self.names} | {name: values}
        return TextFrame(names, columns, self.source_row)


def read_text(path: Path) -> TextFrame:
    """Every column of ``path`` as text; the header is spreadsheet row 1."""
    try:
        names, columns = _read_with_arrow(path)
    except (pa.ArrowException, OSError, ValueError):
        names, columns = _read_with_pandas(path)
    rows = len(columns[0]) if columns else 0
    source_row = pa.array(np.arange(2, rows + 2, dtype=np.int64))
    return TextFrame(names, dict(zip(names, columns, strict=True)), source_row)


def _read_with_arrow(path: Path) -> tuple[list[str], list[pa.Array]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        width = len(next(csv.reader(fh), []))
    # Headings are read as the first row, so that every column can be declared text by position.
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(width)}
        ),
    )
    headings = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    if table.num_columns != width or "" in headings or len(set(headings)) != width:
        raise ValueError("headings need naming as pandas names them")
    body = table.slice(1)
    return [h.strip() for h in headings], [c.combine_chunks() for c in body.columns]


def _read_with_pandas(path: Path) -> tuple[list[str], list[pa.Array]]:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(
            what=f"{path.name} cannot be read as a CSV file ({type(exc).__name__})",
            fix="Export the NPD table again as UTF-8 CSV with one header row.",
            where=Location(file=path.name),
        ) from None
    columns = [
        pa.array(frame.iloc[:, i], pa.string(), from_pandas=True) for i in range(frame.shape[1])
    ]
    return [str(c).strip() for c in frame.columns], columns


def each(values: pa.Array, rule: Callable[[str], Any], kind: pa.DataType) -> pa.Array:
    """``rule`` of every value, worked out once per distinct value; a null stays null.

    An extract repeats a few years, terms, flags and counts many times, so this runs the same
    Python rule as a row-by-row reading at a fraction of the calls.
    """
    encoded = pc.dictionary_encode(values)
    return pa.array([rule(v) for v in encoded.dictionary.to_pylist()], kind).take(encoded.indices)


def stripped(values: pa.Array) -> pa.Array:
    """``str.strip()`` of every value."""
    return pc.utf8_trim(values, WHITESPACE)
