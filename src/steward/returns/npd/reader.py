"""Read one NPD extract CSV (absence, school census FSM, or the PMR lookup) into store shape.

The SRS delivers one CSV per table. Which table a file is comes from its headings:
``SessionsPossible*`` → absence (long, one row per term with a ``Term`` column, or wide with
``_Autumn/_Spring/_Summer`` columns, optionally suffixed ``_abYY``); ``FSMeligible`` /
``EVERFSM_6`` → FSM; ``upn_pid`` → the PMR lookup. A file that is none of these, or lacks a
needed column, is refused naming the file and column. Rows that break a rule are returned as
``quarantined`` with their reason, never dropped silently.

A national run reads hundreds of these, so columns stay Arrow text (``extract_text``) and each
rule runs once per distinct value, with the same Python rules as a row-by-row reading.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import InputFileError, Location, PolicyViolation
from steward.returns.npd.extract_text import TextFrame, each, read_text, stripped
from steward.returns.npd.spec import (
    ABSENCE_MEASURES,
    FSM_FLAGS,
    NO_ABSENCE_YEARS,
    PMR_COLUMN,
    TERMS,
    academic_year,
    strip_year_suffix,
    year_label,
)
from steward.returns.npd.store_tables import NPD_TABLES
from steward.returns.npd.three_terms import one_row_per_term

_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
_RAW_UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
# A plain count; anything else (decimals, exponents, 16+ digits) is read as pandas would.
_PLAIN_COUNT = re.compile(r"[+-]?[0-9]{1,15}")
_TRUE = {"1", "y", "yes", "t", "true"}
_FALSE = {"0", "n", "no", "f", "false"}
# What a table's decisions text says, worked out from the rows that were kept.
_Decisions = Callable[[pa.Table], list[str]]


@dataclass
class NpdReading:
    """One NPD file: its store table (no provenance yet) and the rows held back."""

    path: Path
    table: str  # npd_absence | npd_fsm | npd_pmr_lookup
    data: pa.Table  # store columns + source_row
    quarantined: pa.Table  # source_row, field, reason
    rows_in: int
    decisions: list[str] = field(default_factory=list)


def npd_table_of(headings: list[str]) -> str | None:
    """The NPD table a CSV header belongs to, or None when it is not an NPD file."""
    names = {strip_year_suffix(h.strip())[0].lower() for h in headings}
    if "upn_pid" in names and PMR_COLUMN.lower() in names:
        return "npd_pmr_lookup"
    if PMR_COLUMN.lower() not in names:
        return None
    if any(n.startswith("sessionspossible") for n in names):
        return "npd_absence"
    if any(a.lower() in names for alias in FSM_FLAGS.values() for a in alias):
        return "npd_fsm"
    return None


def is_npd_extract(path: Path) -> bool:
    """True for a CSV whose header is one of the NPD extract tables (cheap: reads 4 KB)."""
    if path.suffix.lower() != ".csv":
        return False
    with path.open("rb") as fh:
        head = fh.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff")
    first = head.splitlines()[:1]
    # csv, not split(","): extracts often quote every heading.
    return bool(first) and npd_table_of(next(csv.reader(first))) is not None


def read_npd(path: Path) -> NpdReading:
    """Read and check one NPD CSV; raises ``InputFileError`` if it cannot be used at all."""
    frame = read_text(path)
    table = npd_table_of(frame.names)
    if table is None:
        raise InputFileError(
            what=f"{path.name} is not an NPD absence, FSM or PMR lookup table",
            fix=f"Check the file: NPD tables carry {PMR_COLUMN} and SessionsPossible_* "
            "(absence), FSMeligible/EVERFSM_6 (FSM) or upn_pid (lookup) columns.",
            where=Location(file=path.name),
        )
    reader = {"npd_absence": _absence, "npd_fsm": _fsm, "npd_pmr_lookup": _lookup}[table]
    columns, rows, decisions = reader(frame, path)
    schema = pa.schema(
        [pa.field(c[0], c[1]) for c in NPD_TABLES[table][0]] + [pa.field("source_row", pa.int64())]
    )
    data, quarantined = rows.split(pa.table([columns[f.name] for f in schema], schema=schema))
    return NpdReading(path, table, data, quarantined, frame.rows, decisions(data))


def _column(frame: TextFrame, path: Path, *names: str, required: bool = True) -> str | None:
    lower = {c.lower(): c for c in frame.names}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    if required:
        raise InputFileError(
            what=f"{path.name} has no {names[0]} column",
            fix=f"Send the table with its {names[0]} column as the SRS delivers it.",
            where=Location(file=path.name, column=names[0]),
        )
    return None


def _is(mask: pa.Array) -> np.ndarray:
    """A rule's rows as a numpy mask; a null (a value the rule cannot judge) does not fail."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


class _Rows:
    """Collects the reason each bad row is held back (first failing rule wins)."""

    def __init__(self, frame: TextFrame) -> None:
        self.source_row = frame.source_row
        self.rule = np.full(frame.rows, -1, dtype=np.int64)
        self.rules: list[tuple[str, str]] = []

    def fail(self, mask: pa.Array, column: str, reason: str) -> None:
        self.rule[_is(mask) & (self.rule < 0)] = len(self.rules)
        self.rules.append((column, reason))

    def split(self, table: pa.Table) -> tuple[pa.Table, pa.Table]:
        """The rows kept, and the quarantined ones with their field and reason."""
        bad = self.rule >= 0
        which = self.rule[bad]
        fields = np.array([c for c, _ in self.rules], dtype=object)[which]
        reasons = np.array([r for _, r in self.rules], dtype=object)[which]
        quarantined = pa.table(
            {"source_row": self.source_row.filter(pa.array(bad)),
             "field": pa.array(fields, pa.string()), "reason": pa.array(reasons, pa.string())}
        )  # fmt: skip
        return table.filter(pa.array(~bad)), quarantined


def _years(frame: TextFrame, path: Path, rows: _Rows, suffix_year: int | None) -> pa.Array:
    column = _column(frame, path, "AcademicYear", "ACADYR", "Year", required=suffix_year is None)
    if column is None:
        return pa.repeat(pa.scalar(suffix_year, pa.int64()), frame.rows)
    years = frame.derived(column, lambda text: each(text, academic_year, pa.int64()))
    rows.fail(pc.is_null(years), column, f"{column} is not an academic year such as 2018/19")
    return years


def _whole_numbers(frame: TextFrame, column: str) -> pa.Array:
    """Counts: null where blank or not a whole number (read as ``pandas.to_numeric`` reads)."""
    unusual: list[str] = []

    def plain(text: str) -> int | None:
        text = text.strip()
        if not text:
            return None
        if _PLAIN_COUNT.fullmatch(text):
            return int(text)
        unusual.append(text)
        return None

    numbers = frame.derived(column, lambda text: each(text, plain, pa.int64()))
    return _whole_numbers_by_pandas(frame[column]) if unusual else numbers


_LARGEST_COUNT = 2**53  # every whole number below it is exact as a float


def _whole_numbers_by_pandas(values: pa.Array) -> pa.Array:
    # Decimals and exponents are rare: pandas decides them, over the column's set of values (and
    # a missing one), so its choice of number type is the one it makes for the whole column.
    import pandas as pd

    encoded = pc.dictionary_encode(values)
    texts = [t.strip() for t in encoded.dictionary.to_pylist()]
    with_null = values.null_count > 0
    text = pd.Series([*texts, *([None] if with_null else [])], dtype=object)
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    # Infinite and astronomically large numbers are no counts either (and overflow int64).
    count = (number.abs() < _LARGEST_COUNT) & (number == number.round())
    whole = number.where(count).astype("Int64")
    return pa.array(whole.iloc[: len(texts)], pa.int64(), from_pandas=True).take(encoded.indices)


def _absence(frame: TextFrame, path: Path) -> tuple[dict[str, pa.Array], _Rows, _Decisions]:
    pmr = _column(frame, path, PMR_COLUMN)
    assert pmr is not None
    renamed, suffix_years = [], set()
    for c in frame.names:
        base, year = strip_year_suffix(c)
        renamed.append(base)
        if year is not None:
            suffix_years.add(year)
    frame = frame.renamed(renamed)
    suffix_year = next(iter(suffix_years)) if len(suffix_years) == 1 else None
    term_col = _column(frame, path, "Term", required=False)
    if term_col is not None:
        long = frame.assign("term", each(frame[term_col], lambda t: t.strip().lower(), pa.string()))
        layout = "one row per term"
    else:
        long = one_row_per_term(frame, path)
        layout = "three terms per row"
    rows = _Rows(long)
    pmrs = long.derived(pmr, stripped)
    rows.fail(pc.equal(pmrs, ""), pmr, f"{PMR_COLUMN} is empty")
    years = _years(long, path, rows, suffix_year)
    rows.fail(pc.is_in(years, pa.array(sorted(NO_ABSENCE_YEARS), pa.int64())), "AcademicYear",
              "no absence data was collected for 2019/20 (COVID-19): this row cannot be genuine")  # fmt: skip
    terms = long["term"]
    rows.fail(pc.invert(pc.is_in(terms, pa.array(TERMS))), "Term",
              "Term is not Autumn, Spring or Summer")  # fmt: skip
    out = {"source_row": long.source_row, "pmr": pmrs, "academic_year": years, "term": terms}
    for raw, name in ABSENCE_MEASURES:
        column = _column(long, path, raw)
        assert column is not None
        values = _whole_numbers(long, column)
        rows.fail(pc.is_null(values), raw, f"{raw} is not a whole number")
        rows.fail(pc.less(values, 0), raw, f"{raw} is negative")
        out[name] = values
    rows.fail(pc.greater(out["overall_absence"], out["sessions_possible"]), "OverallAbsence",
              "more sessions missed than were possible")  # fmt: skip
    rows.fail(
        pc.not_equal(
            out["overall_absence"], pc.add(out["authorised_absence"], out["unauthorised_absence"])
        ),
        "OverallAbsence",
        "OverallAbsence is not AuthorisedAbsence + UnauthorisedAbsence",
    )

    def decisions(good: pa.Table) -> list[str]:
        years_seen = sorted(pc.unique(good["academic_year"]).drop_null().to_pylist())
        return [f"NPD absence table ({layout}); years "
                + (", ".join(year_label(y) for y in years_seen) or "none")]  # fmt: skip

    return out, rows, decisions


def _flag(text: str) -> bool | None:
    value = text.strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def _fsm(frame: TextFrame, path: Path) -> tuple[dict[str, pa.Array], _Rows, _Decisions]:
    pmr = _column(frame, path, PMR_COLUMN)
    assert pmr is not None
    frame = frame.renamed([strip_year_suffix(c)[0] for c in frame.names])
    rows = _Rows(frame)
    pmrs = stripped(frame[pmr])
    rows.fail(pc.equal(pmrs, ""), pmr, f"{PMR_COLUMN} is empty")
    years = _years(frame, path, rows, None)
    term = _column(frame, path, "CensusTerm", "Term", required=False)
    census_term = (
        each(frame[term], lambda t: t.strip().lower(), pa.string())
        if term
        else pa.repeat("spring", frame.rows)
    )
    out = {"source_row": frame.source_row, "pmr": pmrs, "academic_year": years,
           "census_term": census_term}  # fmt: skip
    missing = []
    for name, aliases in FSM_FLAGS.items():
        column = _column(frame, path, *aliases, required=False)
        if column is None:
            out[name] = pa.nulls(frame.rows, pa.bool_())
            missing.append(aliases[0])
            continue
        flags = each(frame[column], _flag, pa.bool_())
        given = pc.fill_null(pc.not_equal(stripped(frame[column]), ""), True)
        rows.fail(pc.and_(pc.is_null(flags), given), column, f"{column} is not 1/0 (or Y/N)")
        out[name] = flags
    decisions = ["NPD school census FSM table"]
    if missing:
        decisions.append(f"columns not in this extract (left empty): {', '.join(missing)}")
    return out, rows, lambda _good: decisions


def _lookup(frame: TextFrame, path: Path) -> tuple[dict[str, pa.Array], _Rows, _Decisions]:
    pmr = _column(frame, path, PMR_COLUMN)
    upn = _column(frame, path, "upn_pid")
    assert pmr is not None and upn is not None
    values = stripped(frame[upn])
    raw = _is(each(values, lambda v: bool(_RAW_UPN.match(v.upper())), pa.bool_()))
    if raw.any():
        row = frame.source_row[int(np.argmax(raw))].as_py()
        raise PolicyViolation(
            what=f"{path.name} holds what looks like a raw UPN in upn_pid",
            fix="The lookup must carry the study's pseudonymised UPN (32 hex characters) only; "
            "ask the SRS to re-issue it, and do not keep this file.",
            where=Location(file=path.name, row=row, column=upn),
        )
    rows = _Rows(frame)
    rows.fail(each(values, lambda v: not _PSEUDONYM.match(v), pa.bool_()), upn,
              "upn_pid is not a study pseudonym (32 hex)")  # fmt: skip
    encoded = pc.dictionary_encode(values).indices.to_numpy()
    repeated = np.bincount(encoded)[encoded] > 1
    rows.fail(pa.array(repeated), upn, "upn_pid appears more than once in the lookup")
    pmrs = stripped(frame[pmr])
    pmrs = pc.if_else(pc.equal(pmrs, ""), pa.scalar(None, pa.string()), pmrs)
    out = {"source_row": frame.source_row, "pmr": pmrs, "upn_pid": values}

    def decisions(good: pa.Table) -> list[str]:
        unmatched = good["pmr"].null_count
        return [f"PMR lookup: {good.num_rows - unmatched} pseudonymised UPNs matched by DfE, "
                f"{unmatched} without a pupil record"]  # fmt: skip

    return out, rows, decisions
