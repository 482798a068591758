"""``read_return``: a submitted file in, canonical typed tables and every decision taken out."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import InputFileError, Location
from steward.returns.detect import (
    SheetDetection,
    detect_sheet,
    expected_tables_text,
    identify_return,
)
from steward.returns.layout import ReturnTable
from steward.returns.normalise import ARROW_TYPES, ethnicity_groups, normalise_column
from steward.returns.sheets import RawSheet, open_sheets
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES, LocalAuthority

EXAMPLES_KEPT = 3  # unreadable values kept per field for messages (never identifiers)


@dataclass
class TableReading:
    """One sheet read as a canonical table.

    ``data`` has every field of ``table`` in its canonical type (absent optional fields are
    all-null), ``ethnicity_group`` where the table has ethnicity, and ``source_row``: the row
    number the spreadsheet shows. ``problems`` marks, per field, rows whose value was present
    but unreadable; ``examples`` keeps the first few such texts of non-identifier fields in
    memory only, for interactive error messages, and is never written anywhere.
    """

    table: ReturnTable
    sheet: str
    header_row: int
    data: pa.Table
    dropped_columns: list[str]
    missing_columns: list[str]
    headings: dict[str, str] = field(default_factory=dict)  # field -> heading in the file
    problems: dict[str, pa.Array] = field(default_factory=dict, repr=False)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    blank_rows: int = 0

    @property
    def rows(self) -> int:
        return self.data.num_rows


@dataclass
class ReturnReading:
    path: Path
    submission_id: str  # SHA-256 of the file's bytes
    la_code: str
    return_type: str
    return_month: dt.date
    tables: list[TableReading]
    decisions: list[str]


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks: the id of a submitted return."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _read_table(sheet: RawSheet, detection: SheetDetection, month: dt.date) -> TableReading:
    cells = sheet.cells.slice(detection.header_row)  # rows after the header
    first_row = detection.header_row + 1
    source_row = pa.array(np.arange(first_row, first_row + cells.num_rows, dtype=np.int32))
    # Rows blank in every column are layout, not records (Excel leaves them between blocks).
    occupied = np.zeros(cells.num_rows, dtype=bool)
    for name in cells.column_names:
        filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(cells[name]), ""), False)
        occupied |= np.asarray(filled.to_numpy())
    keep = pa.array(occupied)
    cells = cells.filter(keep)
    source_row = source_row.filter(keep)
    columns: dict[str, pa.Array] = {}
    problems: dict[str, pa.Array] = {}
    examples: dict[str, tuple[str, ...]] = {}
    by_field = {m.field: m.column for m in detection.matches}
    n = cells.num_rows
    for spec in detection.table.fields:
        column = by_field.get(spec.name)
        if column is None:
            columns[spec.name] = pa.nulls(n, ARROW_TYPES[spec.type])
            continue
        original = cells[column].combine_chunks()
        result = normalise_column(original, spec, month)
        columns[spec.name] = result.values
        problems[spec.name] = result.problems
        if not spec.identifier and result.problems.true_count:
            unreadable = original.filter(result.problems).slice(0, EXAMPLES_KEPT)
            examples[spec.name] = tuple(str(v) for v in unreadable.to_pylist())
        if spec.name == "ethnicity":
            columns["ethnicity_group"] = ethnicity_groups(result.values)
    if "ethnicity_group" not in columns and any(
        f.name == "ethnicity" for f in detection.table.fields
    ):
        columns["ethnicity_group"] = ethnicity_groups(columns["ethnicity"])
    columns["source_row"] = source_row
    return TableReading(
        table=detection.table,
        sheet=sheet.name,
        header_row=detection.header_row,
        data=pa.table(columns),
        dropped_columns=list(detection.dropped),
        missing_columns=list(detection.missing),
        headings={m.field: m.heading for m in detection.matches},
        problems=problems,
        examples=examples,
        blank_rows=int((~occupied).sum()),
    )


def read_return(
    path: Path,
    *,
    local_authorities: Sequence[LocalAuthority] = NWD_LOCAL_AUTHORITIES,
    submission_id: str | None = None,
) -> ReturnReading:
    """Read one submitted return: check the file, detect its tables, LA and month, normalise.

    ``submission_id`` is the file's SHA-256 when the caller has already hashed it.

    Raises ``InputFileError`` for a file that is not a safe xlsx/CSV, holds no recognisable
    table, or comes from an LA not in ``local_authorities``.
    """
    path = Path(path)
    kind, sheets = open_sheets(path)
    detections: list[tuple[RawSheet, SheetDetection]] = []
    decisions: list[str] = [f"{path.name}: read as {kind}"]
    for sheet in sheets:
        detection = detect_sheet(sheet.name, sheet.cells)
        if detection is None:
            decisions.append(f"sheet {sheet.name!r}: no table of the returns recognised; ignored")
        else:
            detections.append((sheet, detection))
    if not detections:
        raise InputFileError(
            what=f"{path.name} has no sheet that looks like a table of the returns",
            fix="Check the header row of each sheet uses the return's headings. Expected one of: "
            + expected_tables_text(),
            where=Location(file=path.name),
        )
    title = " ".join(d.title_text for _, d in detections)
    identity = identify_return(path, title, local_authorities)
    decisions.extend(identity.decisions)
    types = sorted({d.table.return_type for _, d in detections})
    return_type = identity.return_type if identity.return_type in types else types[0]
    if identity.return_type and identity.return_type not in types:
        decisions.append(
            f"the file name says {identity.return_type} but its sheets hold {', '.join(types)}; "
            f"read as {return_type}"
        )
    tables = []
    for sheet, detection in detections:
        decisions.extend(detection.decisions)
        reading = _read_table(sheet, detection, identity.return_month)
        if reading.blank_rows:
            decisions.append(f"sheet {sheet.name!r}: {reading.blank_rows} blank rows skipped")
        decisions.append(f"sheet {sheet.name!r}: {reading.rows} records read")
        tables.append(reading)
    return ReturnReading(
        path=path,
        submission_id=submission_id or file_sha256(path),
        la_code=identity.la.code,
        return_type=return_type,
        return_month=identity.return_month,
        tables=tables,
        decisions=decisions,
    )
