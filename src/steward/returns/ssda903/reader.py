"""Read one SSDA903 CSV: sniff its encoding, recognise its table by columns, clean it in SQL.

Cleaning is vectorised (DuckDB over Arrow): ``dd/mm/YYYY`` dates, code lists, flags, and
postcodes cut to their district. Each row keeps its spreadsheet row number (header = row 1) so
every failure points at file, row and column. Rows that break a blocking rule are quarantined
with the reason; nothing is dropped silently.
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


Check = tuple[str, str, str, str, str]  # code, severity, column, condition, message


def _clean_sql(spec: Ssda903Table, present: set[str]) -> tuple[str, list[Check], list[str]]:
    """One query over ``raw_rows`` that cleans the table and flags every check, row by row.

    Returns the query, the checks and the cleaned columns. The query yields ``source_row``,
    the cleaned columns and one boolean ``check:i`` per check. Each value is cleaned once:
    the text as sent is ``"raw:COL"`` (trimmed, empty as NULL), and checks on the text look
    at it and at the cleaned value rather than cleaning again.
    """
    raws = []
    values = []
    checks: list[Check] = []
    for col in spec.columns:
        sent = f'trim("{col.name}")' if col.name in present else "NULL::VARCHAR"
        raws.append(f"nullif({sent}, '') AS \"raw:{col.name}\"")
        raw = f'"raw:{col.name}"'
        cleaned = f'"{col.name}"'
        if col.type == "date":
            value = f"try_strptime({raw}, '%d/%m/%Y')::DATE"
            checks.append(
                (
                    "903D",
                    "blocking" if col.required else "warning",
                    col.name,
                    f"{raw} IS NOT NULL AND {cleaned} IS NULL",
                    f"{col.name} is not a date in dd/mm/YYYY form",
                )
            )
        elif col.type == "int":
            value = f"try_cast({raw} AS BIGINT)"
            checks.append(
                (
                    "903I",
                    "warning",
                    col.name,
                    f"{raw} IS NOT NULL AND {cleaned} IS NULL",
                    f"{col.name} is not a whole number",
                )
            )
        elif col.type == "flag":
            value = f"CASE WHEN {raw} IN ('1','Y','y') THEN TRUE WHEN {raw} IN ('0','N','n') THEN FALSE END"
        elif col.type == "code":
            value = f"upper({raw})"
            codes = ", ".join(f"'{c}'" for c in col.codes)
            checks.append(
                (
                    "903C",
                    "warning",
                    col.name,
                    f"{cleaned} IS NOT NULL AND {cleaned} NOT IN ({codes})",
                    f"{col.name} is not in the code list",
                )
            )
        elif col.type == "postcode":
            # Outward code only: everything before the space, or all but the last 3 characters.
            compact = f"upper(replace({raw}, ' ', ''))"
            value = f"CASE WHEN length({compact}) BETWEEN 5 AND 7 THEN left({compact}, length({compact}) - 3) END"
        else:
            value = raw
        if col.required:
            checks.append(
                ("903R", "blocking", col.name, f"{raw} IS NULL", f"{col.name} is required")
            )
        values.append(f"{value} AS {cleaned}")
    if spec.name == "s903_episodes":
        checks.append(
            ("903E", "blocking", "DEC", '"DEC" < "DECOM"', "DEC (episode end) is before DECOM")
        )
    if spec.name == "s903_missing":
        checks.append(
            (
                "903M",
                "blocking",
                "MIS_END",
                '"MIS_END" < "MIS_START"',
                "MIS_END is before MIS_START",
            )
        )
    columns = [c.name for c in spec.columns]
    flags = [f'coalesce({c[3]}, false) AS "check:{i}"' for i, c in enumerate(checks)]
    any_flag = " OR ".join(f'"check:{i}"' for i in range(len(checks))) or "false"
    query = (
        f'SELECT *, {any_flag} AS "check:any" FROM ('
        f"SELECT source_row, {', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)}"
        f"{''.join(', ' + f for f in flags)} FROM ("
        f"SELECT source_row, {', '.join(f'{chr(34)}raw:{c}{chr(34)}' for c in columns)}, "
        f"{', '.join(values)} FROM (SELECT source_row, {', '.join(raws)} FROM raw_rows)))"
    )
    return query, checks, columns


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
    rows = raw.append_column("source_row", pa.array(np.arange(2, raw.num_rows + 2, dtype=np.int64)))
    query, checks, columns = _clean_sql(spec, set(raw.column_names))
    cleaned = query_arrow(query, raw_rows=rows)
    # Only rows failing some check (few) are looked at one by one.
    failing = cleaned.select(["source_row", *(f"check:{i}" for i in range(len(checks)))])
    failing = failing.filter(cleaned["check:any"])
    found = failing.to_pylist()
    failures: list[Ssda903Failure] = []
    for i, (code, severity, column, _, message) in enumerate(checks):
        rows_failing = sorted(r["source_row"] for r in found if r[f"check:{i}"])
        failures.extend(Ssda903Failure(code, message, severity, r, column) for r in rows_failing)
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
    kept = cleaned.select(["source_row", *columns])
    if quarantined.num_rows:  # a filter copies every column, so only when something goes
        kept = kept.filter(pc.invert(pc.is_in(kept["source_row"], quarantined["source_row"])))
    return Ssda903Reading(path, spec, encoding, kept, quarantined, failures, extra, raw.num_rows)
