"""Read one NPD extract CSV (absence, school census FSM, or the PMR lookup) into store shape.

The SRS delivers one CSV per table. Which table a file is comes from its headings:
``SessionsPossible*`` → absence (long, one row per term with a ``Term`` column, or wide with
``_Autumn/_Spring/_Summer`` columns, optionally suffixed ``_abYY``); ``FSMeligible`` /
``EVERFSM_6`` → FSM; ``upn_pid`` → the PMR lookup. A file that is none of these, or lacks a
needed column, is refused naming the file and column. Rows that break a rule are returned as
``quarantined`` with their reason, never dropped silently.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from steward.errors import InputFileError, Location, PolicyViolation
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

_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
_RAW_UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
_TRUE = {"1", "y", "yes", "t", "true"}
_FALSE = {"0", "n", "no", "f", "false"}


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
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(
            what=f"{path.name} cannot be read as a CSV file ({type(exc).__name__})",
            fix="Export the NPD table again as UTF-8 CSV with one header row.",
            where=Location(file=path.name),
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    table = npd_table_of(list(frame.columns))
    if table is None:
        raise InputFileError(
            what=f"{path.name} is not an NPD absence, FSM or PMR lookup table",
            fix=f"Check the file: NPD tables carry {PMR_COLUMN} and SessionsPossible_* "
            "(absence), FSMeligible/EVERFSM_6 (FSM) or upn_pid (lookup) columns.",
            where=Location(file=path.name),
        )
    # Spreadsheet rows: the header is row 1.
    frame.insert(0, "source_row", range(2, len(frame) + 2))
    reader = {"npd_absence": _absence, "npd_fsm": _fsm, "npd_pmr_lookup": _lookup}[table]
    good, bad, decisions = reader(frame, path)
    columns = [c[0] for c in NPD_TABLES[table][0]] + ["source_row"]
    schema = pa.schema(
        [pa.field(c[0], c[1]) for c in NPD_TABLES[table][0]] + [pa.field("source_row", pa.int64())]
    )
    data = pa.Table.from_pandas(good[columns], schema=schema, preserve_index=False)
    quarantined = pa.Table.from_pandas(
        bad[["source_row", "field", "reason"]] if len(bad) else _empty_bad(),
        schema=pa.schema([("source_row", pa.int64()), ("field", pa.string()),
                          ("reason", pa.string())]),
        preserve_index=False,
    )  # fmt: skip
    return NpdReading(path, table, data, quarantined, len(frame), decisions)


def _empty_bad() -> pd.DataFrame:
    return pd.DataFrame({"source_row": pd.Series([], dtype="int64"), "field": [], "reason": []})


def _column(frame: pd.DataFrame, path: Path, *names: str, required: bool = True) -> str | None:
    lower = {c.lower(): c for c in frame.columns}
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


class _Rows:
    """Collects the reason each bad row is held back (first failing rule wins)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.reason = pd.Series("", index=frame.index, dtype=object)
        self.field = pd.Series("", index=frame.index, dtype=object)

    def fail(self, mask: pd.Series, column: str, reason: str) -> None:
        new = mask & (self.reason == "")
        self.reason[new] = reason
        self.field[new] = column

    def split(self, good: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        bad_mask = self.reason != ""
        bad = pd.DataFrame(
            {
                "source_row": self.frame["source_row"][bad_mask].astype("int64"),
                "field": self.field[bad_mask],
                "reason": self.reason[bad_mask],
            }
        )
        return good[~bad_mask.reindex(good.index, fill_value=False)], bad


def _years(frame: pd.DataFrame, path: Path, rows: _Rows, suffix_year: int | None) -> pd.Series:
    column = _column(frame, path, "AcademicYear", "ACADYR", "Year", required=suffix_year is None)
    if column is None:
        return pd.Series(suffix_year, index=frame.index, dtype="Int64")
    years = frame[column].map(academic_year).astype("Int64")
    rows.fail(years.isna(), column, f"{column} is not an academic year such as 2018/19")
    return years


def _integers(values: pd.Series) -> pd.Series:
    text = values.str.strip()
    number = pd.to_numeric(text.where(text != ""), errors="coerce")
    whole = number.where(number.isna() | (number == number.round()))
    return whole.astype("Int64")


def _absence(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    pmr = _column(frame, path, PMR_COLUMN)
    assert pmr is not None
    renamed, suffix_years = {}, set()
    for c in frame.columns:
        base, year = strip_year_suffix(c)
        renamed[c] = base
        if year is not None:
            suffix_years.add(year)
    frame = frame.rename(columns=renamed)
    suffix_year = next(iter(suffix_years)) if len(suffix_years) == 1 else None
    term_col = _column(frame, path, "Term", required=False)
    if term_col is not None:
        long = frame.assign(term=frame[term_col].str.strip().str.lower())
        layout = "one row per term"
    else:
        parts = []
        for term in TERMS:
            cols = {f"{raw}_{term.capitalize()}": raw for raw, _ in ABSENCE_MEASURES}
            present = {c: r for c, r in cols.items() if _column(frame, path, c, required=False)}
            if not present:
                continue
            lower = {c.lower(): c for c in frame.columns}
            part = frame.drop(columns=[lower[c.lower()] for c in present]).assign(term=term)
            for c, raw in present.items():
                part[raw] = frame[lower[c.lower()]]
            # A term the pupil was not on roll for has every measure blank: no row, no error.
            blank = pd.concat([frame[lower[c.lower()]].str.strip() == "" for c in present],
                              axis=1).all(axis=1)  # fmt: skip
            parts.append(part[~blank])
        if not parts:
            raise InputFileError(
                what=f"{path.name} has no SessionsPossible_Autumn/_Spring/_Summer columns",
                fix="Send the 3-term absence table, or a per-term table with a Term column.",
                where=Location(file=path.name),
            )
        long = pd.concat(parts, ignore_index=True)
        layout = "three terms per row"
    long = long.reset_index(drop=True)
    rows = _Rows(long)
    rows.fail(long[pmr].str.strip() == "", pmr, f"{PMR_COLUMN} is empty")
    years = _years(long, path, rows, suffix_year)
    rows.fail(years.isin(list(NO_ABSENCE_YEARS)).fillna(False), "AcademicYear",
              "no absence data was collected for 2019/20 (COVID-19): this row cannot be genuine")  # fmt: skip
    rows.fail(~long["term"].isin(TERMS), "Term", "Term is not Autumn, Spring or Summer")
    out = pd.DataFrame({"source_row": long["source_row"], "pmr": long[pmr].str.strip(),
                        "academic_year": years, "term": long["term"]})  # fmt: skip
    for raw, name in ABSENCE_MEASURES:
        column = _column(long, path, raw)
        assert column is not None
        values = _integers(long[column])
        rows.fail(values.isna(), raw, f"{raw} is not a whole number")
        rows.fail((values < 0).fillna(False), raw, f"{raw} is negative")
        out[name] = values
    rows.fail((out["overall_absence"] > out["sessions_possible"]).fillna(False), "OverallAbsence",
              "more sessions missed than were possible")  # fmt: skip
    rows.fail(
        (out["overall_absence"] != out["authorised_absence"] + out["unauthorised_absence"]).fillna(
            False
        ),
        "OverallAbsence",
        "OverallAbsence is not AuthorisedAbsence + UnauthorisedAbsence",
    )
    good, bad = rows.split(out)
    years_seen = sorted({int(y) for y in good["academic_year"].dropna()})
    decisions = [f"NPD absence table ({layout}); years "
                 + (", ".join(year_label(y) for y in years_seen) or "none")]  # fmt: skip
    return good, bad, decisions


def _flags(values: pd.Series) -> pd.Series:
    text = values.str.strip().str.lower()
    return pd.Series(
        [True if v in _TRUE else False if v in _FALSE else None for v in text],
        index=values.index,
        dtype="boolean",
    )


def _fsm(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    pmr = _column(frame, path, PMR_COLUMN)
    assert pmr is not None
    frame = frame.rename(columns={c: strip_year_suffix(c)[0] for c in frame.columns})
    rows = _Rows(frame)
    rows.fail(frame[pmr].str.strip() == "", pmr, f"{PMR_COLUMN} is empty")
    years = _years(frame, path, rows, None)
    term = _column(frame, path, "CensusTerm", "Term", required=False)
    out = pd.DataFrame({"source_row": frame["source_row"], "pmr": frame[pmr].str.strip(),
                        "academic_year": years,
                        "census_term": frame[term].str.strip().str.lower() if term else "spring"})  # fmt: skip
    missing = []
    for name, aliases in FSM_FLAGS.items():
        column = _column(frame, path, *aliases, required=False)
        if column is None:
            out[name] = pd.Series(pd.NA, index=frame.index, dtype="boolean")
            missing.append(aliases[0])
            continue
        flags = _flags(frame[column])
        given = frame[column].str.strip() != ""
        rows.fail(flags.isna() & given, column, f"{column} is not 1/0 (or Y/N)")
        out[name] = flags
    good, bad = rows.split(out)
    decisions = ["NPD school census FSM table"]
    if missing:
        decisions.append(f"columns not in this extract (left empty): {', '.join(missing)}")
    return good, bad, decisions


def _lookup(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    pmr = _column(frame, path, PMR_COLUMN)
    upn = _column(frame, path, "upn_pid")
    assert pmr is not None and upn is not None
    values = frame[upn].str.strip()
    raw = values.str.upper().str.match(_RAW_UPN)
    if raw.any():
        row = int(frame["source_row"][raw].iloc[0])
        raise PolicyViolation(
            what=f"{path.name} holds what looks like a raw UPN in upn_pid",
            fix="The lookup must carry the study's pseudonymised UPN (32 hex characters) only; "
            "ask the SRS to re-issue it, and do not keep this file.",
            where=Location(file=path.name, row=row, column=upn),
        )
    rows = _Rows(frame)
    rows.fail(~values.str.match(_PSEUDONYM), upn, "upn_pid is not a study pseudonym (32 hex)")
    rows.fail(values.duplicated(keep=False), upn, "upn_pid appears more than once in the lookup")
    pmrs = frame[pmr].str.strip()
    out = pd.DataFrame({"source_row": frame["source_row"], "pmr": pmrs.where(pmrs != ""),
                        "upn_pid": values})  # fmt: skip
    good, bad = rows.split(out)
    unmatched = int(good["pmr"].isna().sum())
    return good, bad, [f"PMR lookup: {len(good) - unmatched} pseudonymised UPNs matched by DfE, "
                       f"{unmatched} without a pupil record"]  # fmt: skip
