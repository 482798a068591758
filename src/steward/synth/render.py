"""Turning a canonical table (one pandas column per layout field) into cells as an LA writes them.

Canonical column types: ``string``/``code`` are object columns (``None`` = missing), ``date`` and
``month`` are ``datetime64`` (NaT = missing), ``bool``/``int``/``float`` are float columns (NaN =
missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.returns.layout import ReturnField, ReturnTable
from steward.synth.mess import (
    EDUCATION_FIELDS,
    EXTRA_COLUMN_HEADING,
    EXTRA_COLUMN_NOTES,
    LaStyle,
    MessKind,
    heading_for,
)
from steward.synth.workbook import SheetColumn

_EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 (Excel's day 0) to 1970-01-01
_GENDER: dict[str, dict[str, object]] = {
    "word": {"Male": "Male", "Female": "Female", "Unknown": "Unknown"},
    "letter": {"Male": "M", "Female": "F", "Unknown": "U"},
    "number": {"Male": 1, "Female": 2, "Unknown": 0},
}
_FLAGS: dict[str, tuple[object, object]] = {
    "yes_no": ("No", "Yes"),
    "y_n": ("N", "Y"),
    "one_zero": (0, 1),
}


def _days(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 and a missing mask for a datetime column."""
    raw = values.to_numpy(dtype="datetime64[D]")
    missing = np.isnat(raw)
    return raw.astype("int64"), missing


def _format_unique(days: np.ndarray, missing: np.ndarray, fmt: str) -> list[object]:
    # Returns hold a few thousand distinct dates at most: format each once, then map back.
    uniq, inverse = np.unique(np.where(missing, 0, days), return_inverse=True)
    stamps = uniq.astype("datetime64[D]").astype("datetime64[s]").tolist()
    text = np.array([d.strftime(fmt) for d in stamps], dtype=object)
    out = text[inverse].astype(object)
    out[missing] = None
    return list(out)


def _numbers(values: np.ndarray, missing: np.ndarray) -> list[object]:
    out = values.astype(object)
    out[missing] = None
    return list(out)


def render_column(field: ReturnField, values: pd.Series, style: LaStyle) -> SheetColumn:
    """One column of cells for ``field`` in ``style`` (heading set by the caller)."""
    if field.type == "date":
        days, missing = _days(values)
        if style.dates == "text":
            return SheetColumn("", "text", _format_unique(days, missing, "%d/%m/%Y"))
        serial = days + _EXCEL_EPOCH_OFFSET
        return SheetColumn(
            "", "date" if style.dates == "date_cell" else "number", _numbers(serial, missing)
        )
    if field.type == "month":
        days, missing = _days(values)
        if style.months == "date_cell":
            return SheetColumn("", "date", _numbers(days + _EXCEL_EPOCH_OFFSET, missing))
        fmt = "%Y-%m" if style.months == "iso" else "%m/%Y"
        return SheetColumn("", "text", _format_unique(days, missing, fmt))
    if field.type == "bool":
        arr = values.to_numpy(dtype=float)
        missing = np.isnan(arr)
        no, yes = _FLAGS[style.flags]
        flags: list[object] = [yes if v > 0.5 else no for v in arr.tolist()]
        for i in np.flatnonzero(missing).tolist():
            flags[i] = None
        return SheetColumn("", "number" if style.flags == "one_zero" else "text", flags)
    if field.type in ("int", "float"):
        arr = values.to_numpy(dtype=float)
        missing = np.isnan(arr)
        out_num = (
            arr.astype(object) if field.type == "float" else arr.astype(np.int64).astype(object)
        )
        out_num[missing] = None
        return SheetColumn("", "number", list(out_num))
    if field.name == "gender":
        mapping: dict[str, object] = _GENDER[style.gender]
        out = [None if v is None else mapping[v] for v in values.tolist()]
        return SheetColumn("", "number" if style.gender == "number" else "text", out)
    if field.name == "child_id" and style.leading_zero_ids:
        return SheetColumn("", "text", [None if v is None else v.zfill(6) for v in values.tolist()])
    return SheetColumn("", "text", [None if v is None else str(v) for v in values.tolist()])


def render_table(
    table: ReturnTable, frame: pd.DataFrame, style: LaStyle, *, notes_seed: int = 0
) -> tuple[list[SheetColumn], set[MessKind]]:
    """The sheet columns for ``frame`` in ``style``, and the mess kinds they show."""
    fields = [
        f for f in table.fields if not (style.missing_education and f.name in EDUCATION_FIELDS)
    ]
    kinds: set[MessKind] = set()
    if len(fields) < len(table.fields):
        kinds.add(MessKind.MISSING_EDUCATION)
    columns: list[SheetColumn] = []
    for position, f in enumerate(fields):
        col = render_column(f, frame[f.name], style)
        col.heading = heading_for(f, style, position)
        if col.heading != f.name and col.heading in f.headings:
            kinds.add(MessKind.HEADING_VARIANTS)
        if col.heading not in f.headings:
            kinds.add(MessKind.HEADING_MISSPELT)
        kinds |= _cell_kinds(f, style)
        columns.append(col)
    if style.extra_column and table.name.endswith("referrals"):
        notes = np.array(EXTRA_COLUMN_NOTES, dtype=object)
        pick = (np.arange(len(frame)) * 7 + notes_seed) % len(notes)
        texts = [t if t else None for t in notes[pick].tolist()]
        columns.insert(min(4, len(columns)), SheetColumn(EXTRA_COLUMN_HEADING, "text", texts))
        kinds.add(MessKind.EXTRA_COLUMN)
    if style.title_block:
        kinds.add(MessKind.TITLE_BLOCK)
    return columns, kinds


def _cell_kinds(f: ReturnField, style: LaStyle) -> set[MessKind]:
    kinds: set[MessKind] = set()
    if f.type == "date" and style.dates == "serial":
        kinds.add(MessKind.DATE_SERIAL)
    if f.type == "date" and style.dates == "text":
        kinds.add(MessKind.DATE_TEXT)
    if f.type == "month" and style.months != "iso":
        kinds.add(MessKind.MONTH_FORMATS)
    if f.name == "gender" and style.gender != "word":
        kinds.add(MessKind.GENDER_CODES)
    if f.type == "bool" and style.flags != "yes_no":
        kinds.add(MessKind.FLAG_CODES)
    if f.name == "child_id" and style.leading_zero_ids:
        kinds.add(MessKind.LEADING_ZERO_IDS)
    return kinds
