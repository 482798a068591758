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
    HEADER_SEARCH_ROWS,
    SheetDetection,
    detect_sheet,
    expected_tables_text,
    identify_return,
)
from steward.returns.files import FileKind
from steward.returns.layout import ReturnTable
from steward.returns.normalise import ARROW_TYPES, ethnicity_groups, normalise_column
from steward.returns.row_batches import DEFAULT_BATCH_ROWS, SheetSource, open_sheet_source
from steward.returns.xlsx_stream import CellBatch
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


@dataclass
class _SheetRead:
    """One sheet's table as it is being read: typed columns so far, batch by batch."""

    detection: SheetDetection  # from the first rows: header row, table, column of each field
    month: dt.date
    head: CellBatch
    values: dict[str, list[pa.Array]] = field(default_factory=dict)
    problems: dict[str, list[pa.Array]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    source_rows: list[np.ndarray] = field(default_factory=list)
    blank_rows: int = 0
    rows: int = 0
    first_column: int | None = None
    last_column: int | None = None
    filled_below_head: set[int] = field(default_factory=set)  # columns with values past the head

    def __post_init__(self) -> None:
        first = min(self.head.columns, default=0)
        self.by_field = {m.field: first + int(m.column[1:]) for m in self.detection.matches}
        for spec in self.detection.table.fields:
            if spec.name in self.by_field:
                self.values[spec.name], self.problems[spec.name] = [], []

    def add(self, batch: CellBatch) -> None:
        """Normalise the records among one batch of rows (rows above the header are layout)."""
        if batch.columns:
            low, high = min(batch.columns), max(batch.columns)
            self.first_column = low if self.first_column is None else min(self.first_column, low)
            self.last_column = high if self.last_column is None else max(self.last_column, high)
        skip = min(max(self.detection.header_row - batch.first_row + 1, 0), batch.n_rows)
        n = batch.n_rows - skip
        in_head = min(max(self.head.n_rows - batch.first_row + 1, 0), batch.n_rows)
        for column, text in batch.columns.items():
            below = text.slice(in_head)
            if column not in self.filled_below_head and below.null_count < len(below):
                self.filled_below_head.add(column)
        if n <= 0:
            return
        cells = {c: a.slice(skip) for c, a in batch.columns.items()}
        # Rows blank in every column are layout, not records (Excel leaves them between blocks).
        occupied = np.zeros(n, dtype=bool)
        for text in cells.values():
            filled = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(text), ""), False)
            occupied |= np.asarray(filled.to_numpy(zero_copy_only=False))
        kept = int(occupied.sum())
        self.blank_rows += n - kept
        if not kept:
            return
        keep = pa.array(occupied)
        first_record = batch.first_row + skip
        self.source_rows.append(np.flatnonzero(occupied).astype(np.int32) + first_record)
        self.rows += kept
        for spec in self.detection.table.fields:
            at = self.by_field.get(spec.name)
            if at is None:
                continue
            raw = cells.get(at)
            original = pa.nulls(kept, pa.string()) if raw is None else raw.filter(keep)
            result = normalise_column(original, spec, self.month)
            self.values[spec.name].append(result.values)
            self.problems[spec.name].append(result.problems)
            shown = self.examples.setdefault(spec.name, [])
            if not spec.identifier and len(shown) < EXAMPLES_KEPT and result.problems.true_count:
                unreadable = original.filter(result.problems).slice(0, EXAMPLES_KEPT - len(shown))
                shown.extend(str(v) for v in unreadable.to_pylist())

    def detection_of_whole_sheet(self) -> SheetDetection:
        """Detection as if from the whole sheet: its columns, and which hold values anywhere.

        A column with no heading counts (as an unnamed, dropped column) only if it holds a value
        below the header, which the first rows alone cannot tell; a marker row stands for the
        rows past them.
        """
        first = self.first_column if self.first_column is not None else 0
        last = self.last_column if self.last_column is not None else -1
        n = self.head.n_rows
        marker = self.filled_below_head
        columns = {}
        for c in range(first, last + 1):
            text = self.head.columns.get(c, pa.nulls(n, pa.string()))
            if marker:
                text = pa.concat_arrays(
                    [text, pa.array(["x" if c in marker else None], pa.string())]
                )
            columns[f"c{c - first}"] = text
        whole = detect_sheet(self.detection.sheet, pa.table(columns))
        assert whole is not None and whole.table is self.detection.table
        assert whole.header_row == self.detection.header_row
        assert {m.field: first + int(m.column[1:]) for m in whole.matches} == self.by_field
        return whole

    def finish(self) -> tuple[TableReading, SheetDetection]:
        """The sheet's canonical table, and its detection as from the whole sheet."""
        detection = self.detection_of_whole_sheet()
        n = self.rows
        columns: dict[str, pa.Array] = {}
        problems: dict[str, pa.Array] = {}
        for spec in detection.table.fields:
            if spec.name not in self.values:
                columns[spec.name] = pa.nulls(n, ARROW_TYPES[spec.type])
                continue
            columns[spec.name] = _joined(self.values.pop(spec.name), ARROW_TYPES[spec.type])
            problems[spec.name] = _joined(self.problems.pop(spec.name), pa.bool_())
            if spec.name == "ethnicity":
                columns["ethnicity_group"] = ethnicity_groups(columns["ethnicity"])
        if "ethnicity_group" not in columns and any(
            f.name == "ethnicity" for f in detection.table.fields
        ):
            columns["ethnicity_group"] = ethnicity_groups(columns["ethnicity"])
        columns["source_row"] = _joined([pa.array(r) for r in self.source_rows], pa.int32())
        reading = TableReading(
            table=detection.table,
            sheet=detection.sheet,
            header_row=detection.header_row,
            data=pa.table(columns),
            dropped_columns=list(detection.dropped),
            missing_columns=list(detection.missing),
            headings={m.field: m.heading for m in detection.matches},
            problems=problems,
            examples={k: tuple(v) for k, v in self.examples.items() if v},
            blank_rows=self.blank_rows,
        )
        return reading, detection


def _joined(parts: list[pa.Array], type_: pa.DataType) -> pa.Array:
    """One array of the batches' parts (one copy; none for a single part)."""
    if not parts:
        return pa.array([], type_)
    return parts[0] if len(parts) == 1 else pa.concat_arrays(parts)


def _head_table(head: CellBatch) -> pa.Table:
    """The first rows of a sheet as string columns c0, c1, ... from its leftmost column."""
    if not head.columns:
        return pa.table({})
    first, last = min(head.columns), max(head.columns)
    return pa.table(
        {
            f"c{c - first}": head.columns.get(c, pa.nulls(head.n_rows, pa.string()))
            for c in range(first, last + 1)
        }
    )


def read_return(
    path: Path,
    *,
    local_authorities: Sequence[LocalAuthority] = NWD_LOCAL_AUTHORITIES,
    submission_id: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> ReturnReading:
    """Read one submitted return: check the file, detect its tables, LA and month, normalise.

    ``submission_id`` is the file's SHA-256 when the caller has already hashed it. Tables are
    detected from each sheet's first rows, then read ``batch_rows`` rows at a time, so only the
    typed columns of the whole sheet are ever held; the batch size never changes the result.

    Raises ``InputFileError`` for a file that is not a safe xlsx/CSV, holds no recognisable
    table, or comes from an LA not in ``local_authorities``.
    """
    path = Path(path)
    kind, source = open_sheet_source(path)
    try:
        return _read(path, kind, source, local_authorities, submission_id, batch_rows)
    finally:
        source.close()


def _read(
    path: Path,
    kind: FileKind,
    source: SheetSource,
    local_authorities: Sequence[LocalAuthority],
    submission_id: str | None,
    batch_rows: int,
) -> ReturnReading:
    detections: list[tuple[str, CellBatch, SheetDetection]] = []
    decisions: list[str] = [f"{path.name}: read as {kind}"]
    for name in source.sheet_names:
        head = source.head(name, HEADER_SEARCH_ROWS)
        detection = detect_sheet(name, _head_table(head))
        if detection is None:
            decisions.append(f"sheet {name!r}: no table of the returns recognised; ignored")
        else:
            detections.append((name, head, detection))
    if not detections:
        raise InputFileError(
            what=f"{path.name} has no sheet that looks like a table of the returns",
            fix="Check the header row of each sheet uses the return's headings. Expected one of: "
            + expected_tables_text(),
            where=Location(file=path.name),
        )
    title = " ".join(d.title_text for _, _, d in detections)
    identity = identify_return(path, title, local_authorities)
    decisions.extend(identity.decisions)
    types = sorted({d.table.return_type for _, _, d in detections})
    return_type = identity.return_type if identity.return_type in types else types[0]
    if identity.return_type and identity.return_type not in types:
        decisions.append(
            f"the file name says {identity.return_type} but its sheets hold {', '.join(types)}; "
            f"read as {return_type}"
        )
    tables = []
    for name, head, first_rows in detections:
        sheet = _SheetRead(first_rows, identity.return_month, head)
        for batch in source.batches(name, batch_rows):
            sheet.add(batch)
            # Hand the batch's scratch memory back, so it does not pile up in the pool.
            pa.default_memory_pool().release_unused()
        reading, detection = sheet.finish()
        pa.default_memory_pool().release_unused()
        decisions.extend(detection.decisions)
        if reading.blank_rows:
            decisions.append(f"sheet {name!r}: {reading.blank_rows} blank rows skipped")
        decisions.append(f"sheet {name!r}: {reading.rows} records read")
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
