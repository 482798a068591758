from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from steward.errors import InputFileError
from steward.returns.ssda903.periods import periods_of_care_sql
from steward.returns.ssda903.reader import read_ssda903

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ssda903"


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("header.csv", "s903_header"),
        ("episodes.csv", "s903_episodes"),
        ("uasc.csv", "s903_uasc"),
        ("reviews.csv", "s903_reviews"),
        ("missing.csv", "s903_missing"),
        ("oc2.csv", "s903_oc2"),
    ],
)
def test_every_fixture_is_recognised_by_its_columns(tmp_path: Path, name: str, table: str) -> None:
    renamed = tmp_path / "upload_1.csv"  # the name says nothing
    shutil.copy(FIXTURES / name, renamed)
    reading = read_ssda903(renamed)
    assert reading.table.name == table
    assert reading.data.num_rows + reading.quarantined.num_rows == reading.rows_in > 0


def test_dates_and_postcodes(tmp_path: Path) -> None:
    reading = read_ssda903(FIXTURES / "episodes.csv")
    first = reading.data.slice(1, 1).to_pylist()[0]
    assert first["DECOM"] == dt.date(2017, 8, 14)
    assert first["HOME_POST"] == "EG19"  # district only, never the full postcode
    assert first["PL_POST"] == "WV27"
    for column in ("HOME_POST", "PL_POST"):
        values = [v for v in reading.data.column(column).to_pylist() if v]
        assert all(" " not in v and len(v) <= 4 for v in values)


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "episodes.csv"
    path.write_bytes(text.encode(encoding))
    return path


EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def test_bad_rows_are_quarantined_with_located_reasons(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        EPISODES
        + "1,01/04/2020,S,C2,N1,U1,PR1,01/03/2020,E8,,NR1 3QU,NR2 4AB,1\n"  # ends before start
        + "2,31/13/2020,S,C2,N1,U1,PR1,,,,,,2\n"  # no such date
        + "3,01/05/2020,S,XX,N1,U1,PR1,,,,,,3\n",  # unknown legal status: a warning only
    )
    reading = read_ssda903(path)
    assert reading.quarantined.column("source_row").to_pylist() == [2, 3]
    assert reading.data.column("CHILD").to_pylist() == ["3"]
    located = {(f.code, f.row, f.column) for f in reading.failures}
    assert ("903E", 2, "DEC") in located
    assert ("903D", 3, "DECOM") in located
    assert ("903C", 4, "LS") in located


def test_missing_required_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "CHILD,DECOM,RNE,PLACE,DEC\n1,01/04/2020,S,U1,\n")
    with pytest.raises(InputFileError, match="LS") as info:
        read_ssda903(path)
    assert info.value.where.column == "LS"


@pytest.mark.parametrize(
    ("encoding", "expected"), [("cp1252", "cp1252"), ("utf-8-sig", "utf-8-sig")]
)
def test_encodings(tmp_path: Path, encoding: str, expected: str) -> None:
    path = _write(
        tmp_path, "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nJosé1,1,01/02/2010,WBRI,,,\n", encoding
    )
    reading = read_ssda903(path)
    assert reading.encoding == expected
    assert reading.data.column("CHILD").to_pylist() == ["José1"]


def test_unreadable_encoding(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"CHILD,SEX,DOB\n\x81\x8d\x8f\x90,1,01/01/2010\n")
    with pytest.raises(InputFileError, match="encoding"):
        read_ssda903(path)


def test_not_a_903_table(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no SSDA903 table"):
        read_ssda903(_write(tmp_path, "NAME,ADDRESS\na,b\n"))


def test_periods_of_care_start_at_rne_s() -> None:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE e AS SELECT * FROM (VALUES
        ('1', DATE '2020-01-01', DATE '2020-02-01', 'S', 'V2'),
        ('1', DATE '2020-02-01', DATE '2020-05-01', 'P', 'V2'),
        ('1', DATE '2021-01-01', NULL, 'S', 'C2'),
        ('2', DATE '2019-06-01', DATE '2020-01-01', 'L', 'C1')
        ) t("CHILD", "DECOM", "DEC", "RNE", "LS")"""
    )
    rows = con.sql(periods_of_care_sql("e")).fetchall()
    assert rows == [
        ("1", 1, dt.date(2020, 1, 1), dt.date(2020, 5, 1), 2, "V2"),
        ("1", 2, dt.date(2021, 1, 1), None, 1, "C2"),
        ("2", 1, dt.date(2019, 6, 1), dt.date(2020, 1, 1), 1, "C1"),
    ]
