"""The vectorised cleaning gives exactly what the SQL cleaning it replaced gave.

The reference below is that SQL (DuckDB over the CSV as Arrow read it), with the same checks,
quarantine and failures. Files are crafted so that every check fires and every odd form of
value appears: impossible dates, dates in other forms, non-integers, blank and whitespace-only
values, lowercase codes, odd postcodes, text beyond ASCII, Windows-1252 files, ends before
starts and optional columns left out.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from steward.returns.ssda903.reader import Ssda903Failure, _read_csv, read_ssda903
from steward.returns.ssda903.spec import TABLES, Ssda903Table, identify

Check = tuple[str, str, str, str, str]  # code, severity, column, condition, message


def _reference_sql(spec: Ssda903Table, present: set[str]) -> tuple[str, list[Check], list[str]]:
    raws, values, checks = [], [], []
    for col in spec.columns:
        sent = f'trim("{col.name}")' if col.name in present else "NULL::VARCHAR"
        raws.append(f"nullif({sent}, '') AS \"raw:{col.name}\"")
        raw, cleaned = f'"raw:{col.name}"', f'"{col.name}"'
        if col.type == "date":
            value = f"try_strptime({raw}, '%d/%m/%Y')::DATE"
            checks.append(("903D", "blocking" if col.required else "warning", col.name,
                           f"{raw} IS NOT NULL AND {cleaned} IS NULL",
                           f"{col.name} is not a date in dd/mm/YYYY form"))  # fmt: skip
        elif col.type == "int":
            value = f"try_cast({raw} AS BIGINT)"
            checks.append(("903I", "warning", col.name, f"{raw} IS NOT NULL AND {cleaned} IS NULL",
                           f"{col.name} is not a whole number"))  # fmt: skip
        elif col.type == "flag":
            value = f"CASE WHEN {raw} IN ('1','Y','y') THEN TRUE WHEN {raw} IN ('0','N','n') THEN FALSE END"
        elif col.type == "code":
            value = f"upper({raw})"
            codes = ", ".join(f"'{c}'" for c in col.codes)
            checks.append(("903C", "warning", col.name,
                           f"{cleaned} IS NOT NULL AND {cleaned} NOT IN ({codes})",
                           f"{col.name} is not in the code list"))  # fmt: skip
        elif col.type == "postcode":
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
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw_quoted = ", ".join(f'"raw:{c}"' for c in columns)
    flags = "".join(f', coalesce({c[3]}, false) AS "check:{i}"' for i, c in enumerate(checks))
    query = (
        f"SELECT source_row, {quoted}{flags} FROM (SELECT source_row, {raw_quoted}, "
        f"{', '.join(values)} FROM (SELECT source_row, {', '.join(raws)} FROM raw_rows))"
    )
    return query, checks, columns


def _reference(path: Path) -> tuple[pa.Table, pa.Table, list[Ssda903Failure]]:
    """Kept rows, quarantine and failures as the SQL cleaning made them."""
    raw, _ = _read_csv(path)
    spec, _, _ = identify(raw.column_names)
    assert spec is not None
    rows = raw.append_column("source_row", pa.array(range(2, raw.num_rows + 2), pa.int64()))
    query, checks, columns = _reference_sql(spec, set(raw.column_names))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.register("raw_rows", rows)
    cleaned = con.sql(query).to_arrow_table()
    found = cleaned.select(["source_row", *(f"check:{i}" for i in range(len(checks)))]).to_pylist()
    failures = [
        Ssda903Failure(code, message, severity, r["source_row"], column)
        for i, (code, severity, column, _, message) in enumerate(checks)
        for r in found
        if r[f"check:{i}"]
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
    kept = cleaned.select(["source_row", *columns])
    kept = kept.filter(pc.invert(pc.is_in(kept["source_row"], quarantined["source_row"])))
    return kept, quarantined, failures


def _assert_same(path: Path) -> None:
    reading = read_ssda903(path)
    kept, quarantined, failures = _reference(path)
    assert reading.data.schema.equals(kept.schema, check_metadata=True)
    assert reading.data.equals(kept)
    assert reading.quarantined.equals(quarantined)
    assert reading.failures == failures


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(",".join(r) for r in rows).encode(encoding) + b"\n")
    return path


SPACES = [" ", "\u00a0", "\u2003", "\u3000", "\t", "\r"]  # trim takes the first four only
DATES = ["01/02/2020", "1/2/2020", "01/2/2020", "1/02/20", "31/02/2020", "29/02/2020",
         "29/02/2019", "29/02/1900", "29/02/2000", "29/02/0000", "31/12/9999", "01/02/0000",
         "2020-01-01", "01/02/2020x", "01/02/20201", "01/02/10000", "001/02/2020",
         "01/02/+2020", "+1/02/2020", "00/01/2020", "01/00/2020", "01/13/2020", "32/01/2020",
         "01/02/2020 12:00", "01-02-2020", "01/02/ 2020", "01/ 2/2020", "\uff11/02/2020",
         "01/02/2020\t", "\t01/02/2020", "31/04/2021", "30/04/2021", "15/03/1750", "٠١/02/2020",
         "01/02/2020 x", "31/1/2024", "9/11/2023", "28/02/2100", "29/02/2100", "29/02/2400"]  # fmt: skip
INTS = ["1", "+1", "-0", "007", "1.5", "2.5", "1e2", "1_000", "0x10", "-12", "34",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-", "1.", ".5",
        "1,000", "١", "abc", "999999999999999999", "-999999999999999999", "1 000"]  # fmt: skip
TEXT = ["", "abc", "José", "Zoë", "straße", "ﬁ", "ǆ", "ɤ", "ꭋ", "İ", "ı", "µ", "ÿ", "σς"]
POSTCODES = ["NR1 3QU", "nr13qu", "NR13QU", " W1A 1AA", "W1A1AA", "EC1A 1BB", "EC1A1BBX",
             "AB12", "A1 1AA", "A11AA", "ab12 3cd", "N R 1 3 Q U", "NR1\t3QU", "ñr1 3qu",
             "ß1 1AA", "ǆ11AA", "SW1A 1AA"]  # fmt: skip


def _pool(column_type: str, codes: tuple[str, ...]) -> list[str]:
    if column_type == "date":
        return DATES
    if column_type == "int":
        return INTS
    if column_type == "flag":
        return ["1", "0", "Y", "y", "N", "n", "yes", "2", "T"]
    if column_type == "code":
        return [*codes, *(c.lower() for c in codes), "XX", "s", "c2", "wbri", "ǆ", "ß", "ɤ"]
    if column_type == "postcode":
        return POSTCODES
    return ["302C0000730", "A1", "José", "12345", "a,b"]


def _value(rng: random.Random, column_type: str, codes: tuple[str, ...]) -> str:
    value = rng.choice(_pool(column_type, codes))
    if rng.random() < 0.15:
        value = rng.choice(TEXT) if rng.random() < 0.5 else ""
    if rng.random() < 0.25:
        value = rng.choice(SPACES) + value + rng.choice(SPACES)
    if '"' in value or "," in value or "\r" in value:
        value = '"' + value.replace('"', '""') + '"'
    return value


@pytest.mark.parametrize(
    ("spec", "seed"),
    [pytest.param(t, s, id=f"{t.name}-{s}") for t, s in itertools.product(TABLES, range(3))],
)
def test_random_files_clean_as_the_sql_did(tmp_path: Path, spec: Ssda903Table, seed: int) -> None:
    rng = random.Random(seed)
    columns = list(spec.columns)
    if seed == 1:  # optional columns left out
        columns = [c for c in columns if c.required or rng.random() < 0.5]
    rows = [[c.name.lower() if seed == 2 else c.name for c in columns]]
    rows += [[_value(rng, c.type, c.codes) for c in columns] for _ in range(400)]
    _assert_same(_csv(tmp_path / "table.csv", rows))


@pytest.mark.parametrize("spec", TABLES, ids=lambda t: t.name)
def test_windows_1252_files_clean_as_the_sql_did(tmp_path: Path, spec: Ssda903Table) -> None:
    rng = random.Random(7)
    pool = ["José", "Zoë", "café", "Œuvre", "naïve", "€5", "£"]
    rows = [[c.name for c in spec.columns]]
    for _ in range(200):
        rows.append([
            v if (v := _value(rng, c.type, c.codes)).isascii() and rng.random() < 0.7
            else rng.choice(pool) + "\u00a0"
            for c in spec.columns
        ])  # fmt: skip
    path = _csv(tmp_path / "table.csv", rows, "cp1252")
    assert read_ssda903(path).encoding == "cp1252"
    _assert_same(path)


def test_every_date_form_parses_as_the_sql_did(tmp_path: Path) -> None:
    """One- and two-digit days and months (0-99) in years around every leap rule."""
    numbers = [str(i) for i in range(10)] + [f"{i:02d}" for i in range(100)]
    years = ["0000", "0001", "0004", "0100", "0400", "1600", "1900", "1999", "2000", "2019",
             "2020", "2023", "2024", "2100", "9999"]  # fmt: skip
    dates = [f"{d}/{m}/{y}" for d in numbers for m in numbers[:25] for y in years]
    rows = [["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]]
    rows += [["1", "01/01/2010", d, "PN1"] for d in dates]
    _assert_same(_csv(tmp_path / "reviews.csv", rows))


def test_every_check_fires_in_a_crafted_file(tmp_path: Path) -> None:
    header = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
    path = tmp_path / "episodes.csv"
    path.write_text(
        header + "\n"
        "1,01/04/2020,S,C2,N1,U1,PR1,01/03/2020,E8,,NR1 3QU,NR2 4AB,1\n"  # DEC before DECOM
        "2,31/02/2020,s,c2,n1,u1,pr1,,,,nr13qu,,2\n"  # no such date; lowercase codes
        "3,2020-01-01,S,XX,N1,U1,PR1,1/5/2020,X1,,W1A1AA,AB12,3\n"  # ISO date; unknown code
        " ,  ,\u00a0, , , , , , , , , ,\n"  # whitespace only: every required field missing
        "5,1/4/2020,S,C2,N1,U1,PR1,01/04/2020\t,E8,,NR1\t3QU, SW1A 1AA ,5\n"
        "6,01/04/2020,S,C2,N1,U1,PR1,31/03/2020x,E8,,,,6\n",
        encoding="utf-8",
    )
    _assert_same(path)
    codes = {f.code for f in read_ssda903(path).failures}
    assert codes == {"903D", "903C", "903R", "903E"}
    missing = _csv(tmp_path / "missing.csv", [
        ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
        ["1", "01/01/2010", "m", "05/01/2024", "04/01/2024"],  # ends before it starts
        ["2", "1/1/2010", "A", "05/01/2024", "05/01/2024"],
        ["3", "01/01/2010", "X", "", "04/01/2024"],
    ])  # fmt: skip
    _assert_same(missing)
    assert {f.code for f in read_ssda903(missing).failures} == {"903M", "903C", "903R"}


@pytest.mark.parametrize("name", ["header", "episodes", "uasc", "reviews", "missing"])
def test_national_synthetic_tables_clean_as_the_sql_did(national_la: Path, name: str) -> None:
    _assert_same(next(national_la.glob(f"*_{name}_mar2024.csv")))
