"""Read one SSDA903 CSV: sniff its encoding, recognise its table by columns, clean it.

Cleaning is vectorised (Arrow compute over whole columns): ``dd/mm/YYYY`` dates, whole numbers,
code lists, flags, and postcodes cut to their district. It gives exactly what the DuckDB SQL it
replaced gave (a query costs milliseconds to plan, more than cleaning a typical file): values of
a form the Arrow path does not decide itself, such as ``1/2/20`` or text beyond ASCII, are still
cleaned by that SQL. Each row keeps its spreadsheet row number (header = row 1) so every failure
points at file, row and column. Rows that break a blocking rule are quarantined with the reason;
nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from steward.errors import InputFileError, Location
from steward.returns.ssda903.local_sql import query_arrow
from steward.returns.ssda903.spec import Ssda903Table, identify


@dataclass(frozen=True)
class Ssda903Failure:
    code: str
    message: str
    severity: str
    row: int
    column: str


@dataclass
class Ssda903Reading:
    path: Path
    table: Ssda903Table
    encoding: str
    data: pa.Table  # cleaned kept rows (raw identifiers still present) + source_row
    quarantined: pa.Table  # source_row, rule_codes, reasons
    failures: list[Ssda903Failure] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    rows_in: int = 0


def sniff_encoding(raw: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1252, else refuse."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return ""


def _read_csv(path: Path) -> tuple[pa.Table, str]:
    raw = path.read_bytes()
    encoding = sniff_encoding(raw)
    if not encoding:
        raise InputFileError(
            what="the file's text encoding is neither UTF-8 nor Windows-1252",
            fix="Save the CSV as UTF-8 from Excel ('CSV UTF-8') and send it again.",
            where=Location(file=path.name),
        )
    # Arrow reads UTF-8: only Windows-1252 text is re-encoded, and only the header is decoded.
    if encoding == "utf-8":
        data = raw
    elif encoding == "utf-8-sig":
        data = raw[3:]
    else:
        data = raw.decode(encoding).encode("utf-8")
    head = data[: data.find(b"\n") + 1 or len(data)].decode("utf-8")
    first_line = head.splitlines()[0] if head else ""
    names = [c.strip().upper() for c in first_line.split(",")]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputFileError(
            what=f"the CSV cannot be parsed: {exc}",
            fix="Check the file is comma-separated with one header row and the same number of "
            "columns on every row.",
            where=Location(file=path.name),
        ) from exc
    return table, encoding


# What DuckDB's trim() strips, and so what the cleaning has always stripped: the Unicode space
# separators (category Zs), not tabs or line breaks.
_SPACES = " \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
# The forms the SQL's try_strptime('%d/%m/%Y') reads as plain day, month and year.
_DATE = r"^(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})$"
_INT = r"^-?[0-9]{1,18}$"  # fits a BIGINT whatever its digits
# 5-7 characters (any, as SQL counts them): all but the last 3, the inward code.
_DISTRICT = r"(?s)^(?P<district>.{2,4}).{3}$"
_FLAGS = pa.array(["1", "Y", "y", "0", "N", "n"])
_FLAG_VALUES = pa.array([True, True, True, False, False, False])
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

# The cleaning's reference: DuckDB SQL, run on values of a form the vectorised path does not
# decide itself (dates like 1/2/20 or with a trailing tab, integers like 1.5 or 1e2, text beyond
# ASCII), so that every value gets exactly what the SQL gives it.
_DATE_SQL = "try_strptime(raw, '%d/%m/%Y')::DATE"
_INT_SQL = "try_cast(raw AS BIGINT)"
_CODE_SQL = "upper(raw)"
_POSTCODE_SQL = (
    "CASE WHEN length(upper(replace(raw, ' ', ''))) BETWEEN 5 AND 7 THEN left("
    "upper(replace(raw, ' ', '')), length(upper(replace(raw, ' ', ''))) - 3) END"
)


def _by_sql(expression: str, raw: pa.Array, odd: pa.Array, fast: pa.Array) -> pa.Array:
    """``fast``, with the values at ``odd`` (a null-free mask) cleaned by ``expression`` in SQL."""
    if not pc.any(odd).as_py():
        return fast
    values = query_arrow(
        f"SELECT {expression} AS v FROM odd", odd=pa.table({"raw": raw.filter(odd)})
    )
    return pc.replace_with_mask(fast, odd, values["v"].combine_chunks().cast(fast.type))


def _matches(raw: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(raw, pattern), False)


def _dates(raw: pa.Array) -> pa.Array:
    """``dd/mm/YYYY`` (one- or two-digit day and month) → date; not a real date → null."""
    parts = pc.extract_regex(raw, _DATE)
    matched = pc.is_valid(parts)
    d, m, y = (
        pc.fill_null(pc.cast(pc.struct_field(parts, [i]), pa.int64()), 0).to_numpy()
        for i in range(3)
    )
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_ok = (m >= 1) & (m <= 12)
    last_day = _DAYS_IN_MONTH[np.where(month_ok, m, 0)] + ((m == 2) & leap)
    ok = matched.to_numpy(zero_copy_only=False) & month_ok & (d >= 1) & (d <= last_day)
    # Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
    yy = y - (m <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    fast = pa.array(days.astype(np.int32), pa.int32(), mask=~ok).view(pa.date32())
    return _by_sql(_DATE_SQL, raw, pc.and_(pc.is_valid(raw), pc.invert(matched)), fast)


def _ints(raw: pa.Array) -> pa.Array:
    plain = _matches(raw, _INT)
    fast = pc.cast(pc.if_else(plain, raw, pa.scalar(None, pa.string())), pa.int64())
    return _by_sql(_INT_SQL, raw, pc.and_(pc.is_valid(raw), pc.invert(plain)), fast)


def _beyond_ascii(raw: pa.Array) -> pa.Array:
    return pc.invert(pc.fill_null(pc.string_is_ascii(raw), True))


def _codes(raw: pa.Array) -> pa.Array:
    return _by_sql(_CODE_SQL, raw, _beyond_ascii(raw), pc.ascii_upper(raw))


def _postcode_districts(raw: pa.Array) -> pa.Array:
    """Outward code only: all but the last 3 characters once spaces are gone, if 5-7 remain."""
    compact = pc.ascii_upper(pc.replace_substring(raw, " ", ""))
    fast = pc.struct_field(pc.extract_regex(compact, _DISTRICT), [0])
    return _by_sql(_POSTCODE_SQL, raw, _beyond_ascii(raw), fast)


def _checked(
    spec: Ssda903Table, table: pa.Table
) -> tuple[dict[str, pa.Array], list[tuple[str, str, str, str, np.ndarray]]]:
    """The cleaned columns, and each check (code, severity, column, message) with the rows
    (positions) failing it.

    Each value is cleaned once: the text as sent is trimmed, with empty as null, and checks on
    the text look at it and at the cleaned value rather than cleaning again.
    """
    n = table.num_rows
    present = set(table.column_names)
    cleaned: dict[str, pa.Array] = {}
    checks: list[tuple[str, str, str, str, pa.Array]] = []
    for col in spec.columns:
        if col.name in present:
            trimmed = pc.utf8_trim(table[col.name].combine_chunks(), _SPACES)
            raw = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        else:
            raw = pa.nulls(n, pa.string())
        sent = pc.is_valid(raw)
        if col.type == "date":
            value = _dates(raw)
            checks.append(
                ("903D", "blocking" if col.required else "warning", col.name,
                 f"{col.name} is not a date in dd/mm/YYYY form",
                 pc.and_(sent, pc.is_null(value)))
            )  # fmt: skip
        elif col.type == "int":
            value = _ints(raw)
            checks.append(
                ("903I", "warning", col.name, f"{col.name} is not a whole number",
                 pc.and_(sent, pc.is_null(value)))
            )  # fmt: skip
        elif col.type == "flag":
            value = _FLAG_VALUES.take(pc.index_in(raw, value_set=_FLAGS))
        elif col.type == "code":
            value = _codes(raw)
            known = pc.is_in(value, value_set=pa.array(col.codes, pa.string()))
            checks.append(
                ("903C", "warning", col.name, f"{col.name} is not in the code list",
                 pc.and_(pc.is_valid(value), pc.invert(known)))
            )  # fmt: skip
        elif col.type == "postcode":
            value = _postcode_districts(raw)
        else:
            value = raw
        if col.required:
            checks.append(
                ("903R", "blocking", col.name, f"{col.name} is required", pc.invert(sent))
            )
        cleaned[col.name] = value
    if spec.name == "s903_episodes":
        checks.append(
            ("903E", "blocking", "DEC", "DEC (episode end) is before DECOM",
             pc.less(cleaned["DEC"], cleaned["DECOM"]))
        )  # fmt: skip
    if spec.name == "s903_missing":
        checks.append(
            ("903M", "blocking", "MIS_END", "MIS_END is before MIS_START",
             pc.less(cleaned["MIS_END"], cleaned["MIS_START"]))
        )  # fmt: skip
    failing = [
        (code, severity, column, message,
         np.flatnonzero(pc.fill_null(fails, False).to_numpy(zero_copy_only=False)))
        for code, severity, column, message, fails in checks
    ]  # fmt: skip
    return cleaned, failing


def read_ssda903(path: Path) -> Ssda903Reading:
    """Read, recognise and clean one SSDA903 CSV file."""
    raw, encoding = _read_csv(path)
    spec, missing, extra = identify(raw.column_names)
    if spec is None:
        raise InputFileError(
            what="no SSDA903 table has these columns: " + ", ".join(raw.column_names[:12]),
            fix="Send one of the SSDA903 tables (header, episodes, uasc, reviews, missing, oc2) "
            "with its column names in the first row.",
            where=Location(file=path.name, row=1),
        )
    if missing:
        raise InputFileError(
            what=f"this looks like the {spec.name.removeprefix('s903_')} table but lacks the "
            f"required column(s) {', '.join(missing)}",
            fix="Export the table again with every column of the SSDA903 specification.",
            where=Location(file=path.name, row=1, column=missing[0]),
        )
    cleaned, checks = _checked(spec, raw)
    failures = [
        Ssda903Failure(code, message, severity, int(row) + 2, column)  # header = row 1
        for code, severity, column, message, rows in checks
        for row in rows
    ]
    blocked: dict[int, list[str]] = {}
    for f in failures:
        if f.severity == "blocking":
            blocked.setdefault(f.row, []).append(f"{f.code}: {f.message}")
    quarantined = pa.table(
        {
            "source_row": pa.array(sorted(blocked), pa.int64()),
            "rule_codes": [sorted({r.split(":")[0] for r in blocked[s]}) for s in sorted(blocked)],
            "reasons": ["; ".join(blocked[s]) for s in sorted(blocked)],
        }
    )
    source_row = pa.array(np.arange(2, raw.num_rows + 2, dtype=np.int64))
    kept = pa.table({"source_row": source_row, **cleaned})
    if quarantined.num_rows:  # a filter copies every column, so only when something goes
        kept = kept.filter(pc.invert(pc.is_in(kept["source_row"], quarantined["source_row"])))
    return Ssda903Reading(path, spec, encoding, kept, quarantined, failures, extra, raw.num_rows)
