"""The rule registry: one rule = code, message, fields, severity and a vectorised check.

In the style of the DfE validators: each rule is a small unit registered with ``@rule``. A
check receives the whole table (``RuleContext``) and returns, per field it blames, the indices
of failing rows, computed column-wise with pyarrow/numpy. Rules carry the collection years
they apply to, so a year's rule set is the previous year's plus or minus a few rules.

Severity ``blocking`` sends the row to quarantine; ``warning`` keeps it and reports it.
A rule with ``moves_row`` (duplicates) takes the row out of the valid table even as a warning:
the first occurrence is kept and the later copies are quarantined with the reason, so nothing
disappears without a trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.returns.codes import collection_year
from steward.returns.layout import ReturnTable

Severity = Literal["blocking", "warning"]
FieldRows = dict[str, np.ndarray]  # field blamed -> failing row indices (0-based in data)

DATE_TYPES = ("date", "month")
REFERRAL_WINDOW = (dt.date(2015, 1, 1), dt.date(2030, 12, 31))
MAX_AGE_AT_REFERRAL = 25


@dataclass
class RuleContext:
    """What a check can see: one table of a return, and its sibling tables for cross-checks."""

    table: ReturnTable
    data: pa.Table
    problems: dict[str, pa.Array]
    return_month: dt.date
    siblings: dict[str, pa.Table] = field(default_factory=dict)

    def column(self, name: str) -> pa.Array:
        column = self.data[name]
        # One chunk is used as it is: combining would copy it.
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()

    def present(self, name: str) -> bool:
        """Whether the sheet had this field's column at all."""
        return name in self.problems


@dataclass(frozen=True)
class Rule:
    code: str
    message: str
    fields: tuple[str, ...]
    severity: Severity
    check: Callable[[RuleContext], FieldRows]
    tables: tuple[str, ...] | None = None  # None: every table that has the fields
    since: int = 2015  # first collection year the rule applies to
    until: int | None = None  # last collection year, if retired
    moves_row: bool = False

    def applies(self, ctx: RuleContext) -> bool:
        year = collection_year(ctx.return_month)
        if year < self.since or (self.until is not None and year > self.until):
            return False
        if self.tables is not None and ctx.table.name not in self.tables:
            return False
        names = {f.name for f in ctx.table.fields}
        return all(f in names for f in self.fields)


RULES: list[Rule] = []


def rule(
    code: str,
    message: str,
    *,
    fields: tuple[str, ...] = (),
    severity: Severity,
    tables: tuple[str, ...] | None = None,
    since: int = 2015,
    until: int | None = None,
    moves_row: bool = False,
) -> Callable[[Callable[[RuleContext], FieldRows]], Callable[[RuleContext], FieldRows]]:
    """Register a check as a rule."""

    def register(check: Callable[[RuleContext], FieldRows]) -> Callable[[RuleContext], FieldRows]:
        if any(r.code == code for r in RULES):
            raise ValueError(f"rule {code} is registered twice")
        RULES.append(Rule(code, message, fields, severity, check, tables, since, until, moves_row))
        return check

    return register


def rules_for(return_month: dt.date) -> list[Rule]:
    """The rule set in force for a return of ``return_month``."""
    year = collection_year(return_month)
    return [r for r in RULES if r.since <= year and (r.until is None or year <= r.until)]


def _indices(mask: pa.Array | np.ndarray) -> np.ndarray:
    if isinstance(mask, np.ndarray):
        return np.flatnonzero(mask)
    return np.flatnonzero(np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False)))


def _non_empty(rows: FieldRows) -> FieldRows:
    return {k: v for k, v in rows.items() if len(v)}


def _month_index(dates: pa.Array) -> pa.Array:
    """Months since year 0, so months compare and subtract as integers (int32: half the size)."""
    year, month = pc.cast(pc.year(dates), pa.int32()), pc.cast(pc.month(dates), pa.int32())
    return pc.add(pc.multiply(year, 12), pc.subtract(month, 1))


def key_codes(columns: list[pa.Array]) -> tuple[np.ndarray, np.ndarray]:
    """One int64 per row identifying its combination of key values, and which rows are complete.

    Each column is dictionary-encoded (hashing in Arrow) and its indices folded into the codes
    so far; re-ranking them to below the row count whenever the next column could overflow
    lets any number of key columns pack. Equal keys become equal integers for numpy to sort.
    """
    n = len(columns[0])
    codes = np.zeros(n, dtype=np.int64)
    complete = np.ones(n, dtype=bool)
    bound = 1  # codes so far are below this
    for column in columns:
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        indices = encoded.indices
        complete &= np.asarray(pc.is_valid(indices).to_numpy(zero_copy_only=False))
        size = len(encoded.dictionary) + 1
        if bound * size >= 2**62:  # re-rank (a sort) only when the next column could overflow
            codes = np.unique(codes, return_inverse=True)[1].astype(np.int64).reshape(n)
            bound = n
        codes *= size
        codes += np.asarray(pc.fill_null(indices, 0).to_numpy())
        bound *= size
    return codes, complete


# --- completeness and readability ---------------------------------------------------------


@rule("RQ01", "A required value is missing", severity="blocking")
def required_missing(ctx: RuleContext) -> FieldRows:
    out: FieldRows = {}
    for spec in ctx.table.fields:
        if not spec.required:
            continue
        if not ctx.present(spec.name):
            out[spec.name] = np.arange(ctx.data.num_rows)
            continue
        empty = pc.and_(pc.is_null(ctx.column(spec.name)), pc.invert(ctx.problems[spec.name]))
        out[spec.name] = _indices(empty)
    return _non_empty(out)


@rule("RQ02", "A required value cannot be read (for a date: not a date)", severity="blocking")
def required_unreadable(ctx: RuleContext) -> FieldRows:
    return _non_empty(
        {
            spec.name: _indices(ctx.problems[spec.name])
            for spec in ctx.table.fields
            if spec.required and spec.type != "code" and ctx.present(spec.name)
        }
    )


@rule("VL01", "An optional value cannot be read; it is stored as missing", severity="warning")
def optional_unreadable(ctx: RuleContext) -> FieldRows:
    return _non_empty(
        {
            spec.name: _indices(ctx.problems[spec.name])
            for spec in ctx.table.fields
            if not spec.required and spec.type != "code" and ctx.present(spec.name)
        }
    )


@rule("CD01", "A code is not in the code list; it is stored as missing", severity="warning")
def unknown_code(ctx: RuleContext) -> FieldRows:
    return _non_empty(
        {
            spec.name: _indices(ctx.problems[spec.name])
            for spec in ctx.table.fields
            if spec.type == "code" and ctx.present(spec.name)
        }
    )


# --- dates ---------------------------------------------------------------------------------


@rule(
    "DT01",
    "Referral date is outside 2015-2030",
    fields=("referral_date",),
    severity="warning",
)
def referral_date_out_of_range(ctx: RuleContext) -> FieldRows:
    dates = ctx.column("referral_date")
    low, high = (pa.scalar(d, pa.date32()) for d in REFERRAL_WINDOW)
    outside = pc.or_(pc.less(dates, low), pc.greater(dates, high))
    return _non_empty({"referral_date": _indices(outside)})


# A warning, not a block: the row is sound as a record, and the study's cohort rules decide
# (the CONSORT flow counts it under "DOB after referral").
@rule(
    "DT02",
    "Month of birth is after the referral date",
    fields=("birth_month", "referral_date"),
    severity="warning",
)
def born_after_referral(ctx: RuleContext) -> FieldRows:
    later = pc.greater(
        _month_index(ctx.column("birth_month")), _month_index(ctx.column("referral_date"))
    )
    return _non_empty({"birth_month": _indices(later)})


@rule(
    "DT03",
    f"Child is older than {MAX_AGE_AT_REFERRAL} at referral",
    fields=("birth_month", "referral_date"),
    severity="warning",
)
def too_old_at_referral(ctx: RuleContext) -> FieldRows:
    months = pc.subtract(
        _month_index(ctx.column("referral_date")), _month_index(ctx.column("birth_month"))
    )
    return _non_empty(
        {"birth_month": _indices(pc.greater_equal(months, (MAX_AGE_AT_REFERRAL + 1) * 12))}
    )


def _start_before_referral(ctx: RuleContext, start: str) -> FieldRows:
    referrals = ctx.siblings.get("dr2_referrals")
    if referrals is None or referrals.num_rows == 0:
        return {}
    n = ctx.data.num_rows
    # Only the referrals of children in this table can match: the rest are left out first.
    children = ctx.column("child_id")
    referrals = referrals.filter(pc.is_in(referrals["child_id"], value_set=children))
    # Encode both tables' (child, referral) keys together so equal keys get equal codes.
    both = [
        pa.concat_arrays([referrals[k].combine_chunks(), ctx.column(k)])
        for k in ("child_id", "referral_id")
    ]
    codes, complete = key_codes(both)
    ref_codes, mine = codes[: referrals.num_rows], codes[referrals.num_rows :]
    ref_dates = referrals["referral_date"].combine_chunks()
    usable = complete[: referrals.num_rows] & np.asarray(
        pc.is_valid(ref_dates).to_numpy(zero_copy_only=False)
    )
    if not usable.any():
        return {}
    # The earliest referral date per key.
    days = np.asarray(pc.fill_null(ref_dates.cast(pa.int32()), 0).to_numpy())[usable]
    keys, inverse = np.unique(ref_codes[usable], return_inverse=True)
    earliest = np.full(len(keys), np.iinfo(np.int32).max, dtype=np.int64)
    np.minimum.at(earliest, inverse, days)
    where = np.clip(np.searchsorted(keys, mine), 0, len(keys) - 1)
    matched = complete[referrals.num_rows :] & (keys[where] == mine)
    starts = ctx.column(start)
    has_start = np.asarray(pc.is_valid(starts).to_numpy(zero_copy_only=False))
    start_days = np.asarray(pc.fill_null(starts.cast(pa.int32()), 0).to_numpy())
    before = matched & has_start & (start_days < earliest[where])
    return _non_empty({start: np.flatnonzero(before[:n])})


@rule(
    "DT04",
    "Child protection plan starts before its referral",
    fields=("cpp_start_date", "referral_id"),
    severity="warning",
)
def cpp_before_referral(ctx: RuleContext) -> FieldRows:
    return _start_before_referral(ctx, "cpp_start_date")


@rule(
    "DT05",
    "Period of care (looked after) starts before its referral",
    fields=("cla_start_date", "referral_id"),
    severity="warning",
)
def cla_before_referral(ctx: RuleContext) -> FieldRows:
    return _start_before_referral(ctx, "cla_start_date")


@rule(
    "DT06",
    "Period of care ends before it starts",
    fields=("poc_start_date", "poc_end_date"),
    severity="blocking",
)
def care_ends_before_start(ctx: RuleContext) -> FieldRows:
    early = pc.less(ctx.column("poc_end_date"), ctx.column("poc_start_date"))
    return _non_empty({"poc_end_date": _indices(early)})


@rule(
    "DT07",
    "Care episode ends before it starts",
    fields=("episode_start_date", "episode_end_date"),
    severity="blocking",
)
def episode_ends_before_start(ctx: RuleContext) -> FieldRows:
    early = pc.less(ctx.column("episode_end_date"), ctx.column("episode_start_date"))
    return _non_empty({"episode_end_date": _indices(early)})


# --- duplicates ----------------------------------------------------------------------------


def _later_duplicates(ctx: RuleContext, key: list[str]) -> FieldRows:
    """Rows whose ``key`` (all present) equals an earlier row's.

    A stable sort puts equal keys next to one another in row order (sorting takes far less
    memory than hashing every key of a large return); a row equal to the one before it in that
    order repeats an earlier row.
    """
    keys = pa.table({f"k{i}": ctx.column(name) for i, name in enumerate(key)})
    # The row number breaks ties, so the first of equal keys is the earliest row.
    rows = pa.array(np.arange(keys.num_rows, dtype=np.int32))
    order = pc.sort_indices(
        keys.append_column("row", rows),
        sort_keys=[*((name, "ascending") for name in keys.column_names), ("row", "ascending")],
    )
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for name in keys.column_names:
        ranked = keys[name].take(order)
        # A null never equals anything: rows missing part of the key are never duplicates.
        equal = pc.fill_null(pc.equal(ranked.slice(1), ranked.slice(0, len(ranked) - 1)), False)
        same &= np.asarray(equal.to_numpy(zero_copy_only=False))
    later = np.sort(np.asarray(order.to_numpy())[1:][same]).astype(np.int64)
    return _non_empty({key[-1]: later})


@rule(
    "DU01",
    "Duplicate of an earlier row (same event); the first is kept",
    severity="warning",
    moves_row=True,
)
def duplicate_event(ctx: RuleContext) -> FieldRows:
    return _later_duplicates(ctx, list(ctx.table.event_key))


@rule(
    "DU02",
    "Same child referred again on the same date under another referral id; the first is kept",
    fields=("child_id", "referral_date"),
    tables=("dr2_referrals",),
    severity="warning",
    moves_row=True,
)
def duplicate_referral_same_day(ctx: RuleContext) -> FieldRows:
    # Exact copies are DU01's; here only rows differing in their referral id.
    exact = _later_duplicates(ctx, list(ctx.table.event_key)).get("referral_date")
    same_day = _later_duplicates(ctx, ["child_id", "referral_date"]).get("referral_date")
    if same_day is None:
        return {}
    if exact is not None:
        same_day = np.setdiff1d(same_day, exact)
    return _non_empty({"referral_date": same_day})


def iter_rules(ctx: RuleContext) -> Iterator[Rule]:
    """The rules of the return month's set that apply to this table."""
    yield from (r for r in rules_for(ctx.return_month) if r.applies(ctx))
