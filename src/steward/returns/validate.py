"""``validate``: run the rule set over a read return; split valid rows from quarantined ones.

Every row read ends up in exactly one of ``valid`` and ``quarantined`` (``rows_in ==
valid + quarantined`` for each table, and ``ValidatedTable.reconciles`` checks it). A
quarantined row keeps its canonical values plus ``rule_code`` and ``reason`` (all the codes it
broke, '; '-separated). Failures name rule, severity, sheet, column and spreadsheet rows, never
values; the original text of unreadable non-identifier values is kept in memory only
(``RuleFailure.examples``) so an interactive message can show it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import Location, ValidationError
from steward.returns.layout import ReturnTable
from steward.returns.reader import ReturnReading, TableReading
from steward.returns.rules import RuleContext, Severity, iter_rules

MAX_VALID_SLICES = 64  # at least; more in a long table (see rows_between)


@dataclass(frozen=True)
class RuleFailure:
    """One rule broken on one column of one sheet, at the listed spreadsheet rows."""

    rule_code: str
    message: str
    severity: Severity
    table: str
    sheet: str
    field: str
    heading: str | None  # the column's heading in the file, if it had the column
    rows: tuple[int, ...]  # 1-based spreadsheet row numbers
    examples: tuple[str, ...] = dataclass_field(default=(), repr=False, compare=False)

    @property
    def count(self) -> int:
        return len(self.rows)

    def location(self, file: str | None = None) -> Location:
        return Location(file=file, sheet=self.sheet, row=self.rows[0] if self.rows else None,
                        column=self.heading or self.field)  # fmt: skip


@dataclass
class ValidatedTable:
    table: ReturnTable
    sheet: str
    rows_in: int
    valid: pa.Table
    quarantined: pa.Table
    failures: list[RuleFailure]
    dropped_columns: list[str]
    missing_columns: list[str]

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.valid.num_rows + self.quarantined.num_rows


@dataclass
class ValidatedReturn:
    path: Path
    submission_id: str
    la_code: str
    return_type: str
    return_month: dt.date
    tables: list[ValidatedTable]
    decisions: list[str]

    @property
    def failures(self) -> list[RuleFailure]:
        return [f for t in self.tables for f in t.failures]

    @property
    def blocking(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.severity == "blocking"]

    def table(self, name: str) -> ValidatedTable:
        return next(t for t in self.tables if t.table.name == name)

    def raise_if_blocking(self) -> None:
        """Raise ``ValidationError`` naming the first blocking failure, for strict callers."""
        if not self.blocking:
            return
        first = self.blocking[0]
        total = sum(f.count for f in self.blocking)
        raise ValidationError(
            what=f"{total} record(s) broke blocking rules, first {first.rule_code}: "
            f"{first.message}",
            fix="Correct those rows in the return and send it again; the quality report lists "
            "every row.",
            where=first.location(self.path.name),
        )


def validate_table(
    reading: TableReading, return_month: dt.date, siblings: dict[str, pa.Table]
) -> ValidatedTable:
    """Apply every rule in force to one table and split its rows."""
    data = reading.data
    n = data.num_rows
    ctx = RuleContext(reading.table, data, reading.problems, return_month, siblings)
    source_rows = np.asarray(data["source_row"].to_numpy())
    failures: list[RuleFailure] = []
    moving: list[tuple[str, str, np.ndarray]] = []  # code, reason, rows it takes out
    for rule in iter_rules(ctx):
        for field_name, idx in rule.check(ctx).items():
            heading = reading.headings.get(field_name)
            failures.append(
                RuleFailure(
                    rule_code=rule.code,
                    message=rule.message,
                    severity=rule.severity,
                    table=reading.table.name,
                    sheet=reading.sheet,
                    field=field_name,
                    heading=heading,
                    rows=tuple(int(r) for r in source_rows[idx]),
                    examples=reading.examples.get(field_name, ())
                    if rule.code in ("RQ02", "VL01", "CD01")
                    else (),
                )
            )
            if rule.severity == "blocking" or rule.moves_row:
                moving.append((rule.code, f"{rule.message} ({field_name})", idx))
    out = np.zeros(n, dtype=bool)
    for _, _, idx in moving:
        out[idx] = True
    out_rows = np.flatnonzero(out)
    rule_code, reason = _reasons(out_rows, moving)
    quarantined = (
        data.take(pa.array(out_rows, pa.int64()))
        .append_column("rule_code", rule_code)
        .append_column("reason", reason)
    )
    return ValidatedTable(
        table=reading.table,
        sheet=reading.sheet,
        rows_in=n,
        valid=rows_between(data, out_rows),
        quarantined=quarantined,
        failures=failures,
        dropped_columns=list(reading.dropped_columns),
        missing_columns=list(reading.missing_columns),
    )


def _reasons(
    out_rows: np.ndarray, moving: list[tuple[str, str, np.ndarray]]
) -> tuple[pa.Array, pa.Array]:
    """Per row taken out: the codes and the reasons of every rule it broke, in rule order."""
    if not moving:
        return pa.array([], pa.string()), pa.array([], pa.string())
    codes: list[pa.Array] = []
    reasons: list[pa.Array] = []
    for code, reason, idx in moving:
        hit = np.zeros(len(out_rows), dtype=bool)
        hit[np.searchsorted(out_rows, idx)] = True
        mask = pa.array(hit)
        # Each piece carries its own separator; joined with "" and right-trimmed.
        codes.append(pc.if_else(mask, f"{code}; ", ""))
        reasons.append(pc.if_else(mask, f"{reason}; ", ""))
    return (
        pc.utf8_rtrim(pc.binary_join_element_wise(*codes, ""), characters="; "),
        pc.utf8_rtrim(pc.binary_join_element_wise(*reasons, ""), characters="; "),
    )


def rows_between(data: pa.Table, out_rows: np.ndarray) -> pa.Table:
    """``data`` without the rows ``out_rows`` (sorted).

    When few rows go, the rest is kept as slices of ``data`` (no copy: a large return keeps
    its valid rows where they were read); when many go, it is filtered into a new table.
    """
    if not len(out_rows):
        return data
    starts = np.concatenate([[0], out_rows + 1])
    ends = np.concatenate([out_rows, [data.num_rows]])
    runs = [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e > s]
    if len(runs) > max(MAX_VALID_SLICES, data.num_rows // 256) or not runs:
        keep = np.ones(data.num_rows, dtype=bool)
        keep[out_rows] = False
        return data.filter(pa.array(keep))
    return pa.concat_tables([data.slice(s, e - s) for s, e in runs])


def validate(reading: ReturnReading) -> ValidatedReturn:
    """Validate every table of a read return against the rule set of its month."""
    siblings: dict[str, pa.Table] = {}
    for t in reading.tables:
        siblings[t.table.name] = (
            pa.concat_tables([siblings[t.table.name], t.data])
            if t.table.name in siblings
            else t.data
        )
    tables = []
    for t in reading.tables:
        tables.append(validate_table(t, reading.return_month, siblings))
        # Hand the rules' scratch memory back before the next table.
        pa.default_memory_pool().release_unused()
    decisions = list(reading.decisions)
    for checked in tables:
        if checked.quarantined.num_rows:
            decisions.append(
                f"sheet {checked.sheet!r}: {checked.quarantined.num_rows} of {checked.rows_in} "
                "records quarantined"
            )
    return ValidatedReturn(
        path=reading.path,
        submission_id=reading.submission_id,
        la_code=reading.la_code,
        return_type=reading.return_type,
        return_month=reading.return_month,
        tables=tables,
        decisions=decisions,
    )
