"""Normalising raw text columns to canonical types, column at a time (pyarrow.compute, numpy).

Every parser takes a string column and returns the typed column; a value that was present but
could not be read becomes null, and ``Normalised.problems`` marks it so a rule can report the
row and column. Dates are built from their parts with strict calendar checks (arrow's own
``strptime`` silently turns 31/02 into 2 March, which would hide a typo).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.returns.codes import ETHNICITY_GROUP_MISSING, ETHNICITY_GROUPS, code_list, fold
from steward.returns.layout import FieldType, ReturnField

ARROW_TYPES: dict[FieldType, pa.DataType] = {
    "string": pa.string(),
    "date": pa.date32(),
    "month": pa.date32(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "code": pa.string(),
}

# Excel's day 0 is 1899-12-30 (its 1900 leap-year bug is folded into the offset).
_EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01
_SERIAL_MIN, _SERIAL_MAX = 1, 2_958_465  # 1900-01-01 .. 9999-12-31
_TRUE = pa.array(["yes", "y", "true", "t", "1", "1.0"])
_FALSE = pa.array(["no", "n", "false", "f", "0", "0.0"])

_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T].*)?$"
_DMY = r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})(?: .*)?$"
_SERIAL = r"^(?P<n>\d{1,7})(?:\.\d+)?$"
_YM = r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$"
_MY = r"^(?P<m>\d{1,2})[-/](?P<y>\d{4})$"


@dataclass
class Normalised:
    """One column normalised: its values, and where a present value could not be read."""

    values: pa.Array
    problems: pa.Array  # bool: present in the file but unreadable (or an unknown code)


def clean_text(raw: pa.Array) -> pa.Array:
    """Trim whitespace; empty cells become null."""
    trimmed = pc.utf8_trim_whitespace(raw)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _part(matched: pa.Array, name: str) -> pa.Array:
    return pc.struct_field(matched, name)


def _ints(parts: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.cast(parts, pa.int64()), 0).to_numpy(zero_copy_only=False))


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _dates_from_parts(y: pa.Array, m: pa.Array, d: pa.Array) -> pa.Array:
    present = np.asarray(
        pc.fill_null(pc.and_(pc.and_(pc.is_valid(y), pc.is_valid(m)), pc.is_valid(d)), False)
    )
    yy, mm, dd = _ints(y), _ints(m), _ints(d)
    leap = ((yy % 4 == 0) & (yy % 100 != 0)) | (yy % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    dim = month_days[np.clip(mm, 0, 12)] + ((mm == 2) & leap)
    ok = present & (mm >= 1) & (mm <= 12) & (dd >= 1) & (dd <= dim) & (yy >= 1800)
    days = np.where(ok, _days_from_civil(yy, np.where(ok, mm, 1), dd), 0).astype(np.int32)
    return pa.array(days, mask=~ok).cast(pa.date32())


def parse_dates(text: pa.Array) -> pa.Array:
    """Dates from Excel serials, ISO text (with or without a time) or dd/mm/yyyy."""
    iso = pc.extract_regex(text, _ISO)
    dmy = pc.extract_regex(text, _DMY)
    from_text = _dates_from_parts(
        pc.coalesce(_part(iso, "y"), _part(dmy, "y")),
        pc.coalesce(_part(iso, "m"), _part(dmy, "m")),
        pc.coalesce(_part(iso, "d"), _part(dmy, "d")),
    )
    serial = pc.cast(_part(pc.extract_regex(text, _SERIAL), "n"), pa.int64())
    in_range = pc.and_(pc.greater_equal(serial, _SERIAL_MIN), pc.less_equal(serial, _SERIAL_MAX))
    days = pc.subtract(serial, _EXCEL_EPOCH_OFFSET)
    from_serial = pc.cast(
        pc.cast(pc.if_else(in_range, days, pa.scalar(None, pa.int64())), pa.int32()), pa.date32()
    )
    return pc.coalesce(from_text, from_serial)


def parse_months(text: pa.Array) -> pa.Array:
    """Months (as their 1st) from YYYY-MM, MM/YYYY or any full date."""
    ym = pc.extract_regex(text, _YM)
    my = pc.extract_regex(text, _MY)
    ones = pa.array(np.ones(len(text), dtype=np.int64))
    month_only = _dates_from_parts(
        pc.coalesce(_part(ym, "y"), _part(my, "y")),
        pc.coalesce(_part(ym, "m"), _part(my, "m")),
        ones,
    )
    full = pc.floor_temporal(parse_dates(text), unit="month")
    return pc.coalesce(month_only, full)


def parse_bools(text: pa.Array) -> pa.Array:
    """Yes/No, Y/N, true/false, 1/0 (any case)."""
    folded = pc.utf8_lower(text)
    is_true = pc.is_in(folded, value_set=_TRUE)
    is_false = pc.is_in(folded, value_set=_FALSE)
    return pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))


def parse_ints(text: pa.Array) -> pa.Array:
    """Whole numbers; '3.0' (how Excel shows some integers) is accepted, '3.5' is not."""
    whole = _part(pc.extract_regex(text, r"^(?P<n>[+-]?\d{1,18})(?:\.0*)?$"), "n")
    return pc.cast(whole, pa.int64())


def parse_floats(text: pa.Array) -> pa.Array:
    """Decimal numbers, including a trailing '%' read as a percentage."""
    number = r"^(?P<n>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<pct>%?)$"
    parts = pc.extract_regex(text, number)
    value = pc.cast(_part(parts, "n"), pa.float64())
    is_pct = pc.equal(_part(parts, "pct"), "%")
    return pc.if_else(is_pct, pc.divide(value, 100.0), value)


def parse_codes(text: pa.Array, list_name: str, on: dt.date) -> pa.Array:
    """Canonical codes: codes, descriptions and known aliases folded and looked up."""
    lookup = code_list(list_name, on).lookup()
    keys = pa.array(list(lookup))
    values = pa.array(list(lookup.values()))
    folded = pc.replace_substring_regex(
        pc.replace_substring(pc.utf8_lower(text), "&", "and"), "[^a-z0-9]+", ""
    )
    return pc.take(values, pc.index_in(folded, value_set=keys))


def ethnicity_groups(codes: pa.Array) -> pa.Array:
    """The aggregate group of each ethnicity code; a missing code is its own group."""
    keys = pa.array(list(ETHNICITY_GROUPS))
    groups = pa.array([*ETHNICITY_GROUPS.values(), ETHNICITY_GROUP_MISSING])
    # Unknown and missing codes point at the last group: one take, no second copy to fill.
    at = pc.fill_null(pc.index_in(codes, value_set=keys), len(keys))
    return pc.take(groups, at)


def normalise_column(raw: pa.Array, spec: ReturnField, return_month: dt.date) -> Normalised:
    """Normalise one raw text column to the canonical type of ``spec``."""
    text = clean_text(raw)
    values: pa.Array
    if spec.type == "string":
        values = text
    elif spec.type == "date":
        values = parse_dates(text)
    elif spec.type == "month":
        values = parse_months(text)
    elif spec.type == "int":
        values = parse_ints(text)
    elif spec.type == "float":
        values = parse_floats(text)
    elif spec.type == "bool":
        values = parse_bools(text)
    else:
        assert spec.code_list is not None, f"code field {spec.name} has no code list"
        values = parse_codes(text, spec.code_list, return_month)
    problems = pc.and_(pc.is_valid(text), pc.is_null(values))
    return Normalised(values.cast(ARROW_TYPES[spec.type]), problems)


__all__ = [
    "ARROW_TYPES",
    "Normalised",
    "clean_text",
    "ethnicity_groups",
    "fold",
    "normalise_column",
    "parse_bools",
    "parse_codes",
    "parse_dates",
    "parse_floats",
    "parse_ints",
    "parse_months",
]
