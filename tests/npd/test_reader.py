"""Reading NPD extract tables: layouts, year formats, quarantine reasons, refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from steward.errors import InputFileError, PolicyViolation
from steward.returns.npd import academic_year, is_npd_extract, read_npd, year_label
from steward.returns.npd.extract_text import WHITESPACE

WIDE = (
    "PupilMatchingRefAnonymous,AcademicYear,"
    "SessionsPossible_Autumn,AuthorisedAbsence_Autumn,UnauthorisedAbsence_Autumn,OverallAbsence_Autumn,"
    "SessionsPossible_Spring,AuthorisedAbsence_Spring,UnauthorisedAbsence_Spring,OverallAbsence_Spring,"
    "SessionsPossible_Summer,AuthorisedAbsence_Summer,UnauthorisedAbsence_Summer,OverallAbsence_Summer\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "start"),
    [("2018/19", 2018), ("2018-19", 2018), ("2018/2019", 2018), ("201819", 2018), ("1819", None),
     ("2021", 2021), ("2018/20", None), ("autumn", None), ("", None)],
)  # fmt: skip
def test_academic_year_formats(text: str, start: int | None) -> None:
    assert academic_year(text) == start
    if start is not None:
        assert academic_year(year_label(start)) == start


def test_wide_absence_becomes_one_row_per_term(tmp_path: Path) -> None:
    path = write(tmp_path, "absence_3term.csv", WIDE
                 + "P1,2018/19,140,6,4,10,120,0,0,0,130,2,1,3\n"
                 + "P2,2018/19,140,0,0,0,,,,,130,10,0,10\n")  # fmt: skip
    reading = read_npd(path)
    assert reading.table == "npd_absence"
    rows = reading.data.to_pylist()
    # P2 was not on roll in spring: no row for that term, and no quarantine either.
    assert [(r["pmr"], r["term"]) for r in sorted(rows, key=lambda r: (r["pmr"], r["term"]))] == [
        ("P1", "autumn"), ("P1", "spring"), ("P1", "summer"), ("P2", "autumn"), ("P2", "summer"),
    ]  # fmt: skip
    autumn = next(r for r in rows if r["pmr"] == "P1" and r["term"] == "autumn")
    assert autumn == {"pmr": "P1", "academic_year": 2018, "term": "autumn",
                      "sessions_possible": 140, "authorised_absence": 6,
                      "unauthorised_absence": 4, "overall_absence": 10, "source_row": 2}  # fmt: skip
    assert reading.quarantined.num_rows == 0


def test_year_taken_from_the_ab_suffix(tmp_path: Path) -> None:
    header = WIDE.replace("AcademicYear,", "").strip().split(",")
    suffixed = ",".join([header[0]] + [f"{h}_ab2122" for h in header[1:]])
    path = write(tmp_path, "Absence_2122_3Term.csv",
                 suffixed + "\nP1,140,6,4,10,120,0,0,0,130,2,1,3\n")  # fmt: skip
    reading = read_npd(path)
    assert {r["academic_year"] for r in reading.data.to_pylist()} == {2021}


def test_long_layout_with_term_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, "absence_terms.csv",
        "PupilMatchingRefAnonymous,AcademicYear,Term,SessionsPossible,AuthorisedAbsence,"
        "UnauthorisedAbsence,OverallAbsence\nP1,2021/22,Autumn,140,5,5,10\n"
        "P1,2021/22,Winter,140,5,5,10\n",
    )  # fmt: skip
    reading = read_npd(path)
    assert reading.data.num_rows == 1
    assert reading.quarantined.to_pylist() == [
        {"source_row": 3, "field": "Term", "reason": "Term is not Autumn, Spring or Summer"}
    ]


def test_bad_rows_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "absence.csv", WIDE
                 + ",2018/19,140,6,4,10,,,,,,,,\n"  # no PMR
                 + "P2,2018/19,140,6,4,11,,,,,,,,\n"  # overall != authorised + unauthorised
                 + "P3,2018/19,10,6,6,12,,,,,,,,\n"  # more missed than possible
                 + "P4,2018/19,140,x,4,10,,,,,,,,\n"  # not a number
                 + "P5,2019/20,140,6,4,10,,,,,,,,\n"  # no absence data exists for 2019/20
                 + "P6,2020/21,140,6,4,10,,,,,,,,\n")  # fmt: skip
    reading = read_npd(path)
    assert [r["pmr"] for r in reading.data.to_pylist()] == ["P6"]
    reasons = {r["source_row"]: r["reason"] for r in reading.quarantined.to_pylist()}
    assert reasons[2] == "PupilMatchingRefAnonymous is empty"
    assert reasons[3] == "OverallAbsence is not AuthorisedAbsence + UnauthorisedAbsence"
    assert reasons[4] == "more sessions missed than were possible"
    assert reasons[5] == "AuthorisedAbsence is not a whole number"
    assert "2019/20" in reasons[6] and "COVID" in reasons[6]
    assert reading.rows_in == 6


def test_fsm_flags_and_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "school_census_fsm.csv",
                 "PupilMatchingRefAnonymous,AcademicYear,FSMeligible,EVERFSM_6,EVERFSM_6_P\n"
                 "P1,2021/22,1,0,1\nP2,2021/22,N,Y,Y\nP3,2021/22,maybe,0,0\n")  # fmt: skip
    reading = read_npd(path)
    assert reading.table == "npd_fsm"
    rows = {r["pmr"]: r for r in reading.data.to_pylist()}
    assert rows["P1"]["fsm_eligible"] is True and rows["P1"]["ever_fsm_6"] is False
    assert rows["P2"]["fsm_eligible"] is False and rows["P2"]["ever_fsm_6_p"] is True
    assert rows["P1"]["disadvantaged"] is None  # not in this extract: empty, not False
    assert "P3" not in rows
    assert reading.quarantined.to_pylist()[0]["field"] == "FSMeligible"
    assert any("Disadvantaged" in d for d in reading.decisions)


def test_lookup_keeps_unmatched_and_refuses_raw_upns(tmp_path: Path) -> None:
    pid = "0123456789abcdef0123456789abcdef"
    path = write(tmp_path, "pmr_lookup.csv",
                 f"PupilMatchingRefAnonymous,upn_pid\nP1,{pid}\n,{pid[::-1]}\nP3,not-a-pid\n")  # fmt: skip
    reading = read_npd(path)
    assert reading.table == "npd_pmr_lookup"
    assert [(r["pmr"], r["upn_pid"]) for r in reading.data.to_pylist()] == [
        ("P1", pid), (None, pid[::-1]),
    ]  # fmt: skip
    assert reading.quarantined.num_rows == 1
    raw = write(tmp_path, "raw.csv", "PupilMatchingRefAnonymous,upn_pid\nP1,A801200105001\n")
    with pytest.raises(PolicyViolation) as caught:
        read_npd(raw)
    assert caught.value.where.row == 2 and "raw UPN" in caught.value.what


def test_refusals_name_the_file_and_column(tmp_path: Path) -> None:
    other = write(tmp_path, "other.csv", "a,b\n1,2\n")
    assert not is_npd_extract(other)
    with pytest.raises(InputFileError) as caught:
        read_npd(other)
    assert caught.value.where.file == "other.csv"
    no_year = write(tmp_path, "fsm.csv", "PupilMatchingRefAnonymous,FSMeligible\nP1,1\n")
    assert is_npd_extract(no_year)
    with pytest.raises(InputFileError) as caught:
        read_npd(no_year)
    assert caught.value.where.column == "AcademicYear"


def test_values_are_stripped_of_what_str_strip_removes() -> None:
    assert "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()) == WHITESPACE


def test_terms_stack_in_order_and_identifiers_keep_their_text(tmp_path: Path) -> None:
    # Spaces of any kind around a value go, as str.strip() removes them; leading zeros stay.
    path = write(tmp_path, "absence_3term.csv", WIDE
                 + "\u00a0007\u3000,2018/19,140,6,4,10,,,,,130,2,1,3\n"
                 + "P2,2018/19,140,0,0,0,120, 1 ,0,1,,,,\n")  # fmt: skip
    rows = read_npd(path).data.to_pylist()
    assert [(r["pmr"], r["term"], r["source_row"]) for r in rows] == [
        ("007", "autumn", 2), ("P2", "autumn", 3), ("P2", "spring", 3), ("007", "summer", 2),
    ]  # fmt: skip
    assert rows[2]["authorised_absence"] == 1


def test_counts_written_as_decimals_are_whole_only_when_they_are(tmp_path: Path) -> None:
    path = write(tmp_path, "absence_3term.csv", WIDE
                 + "P1,2018/19,140.0,6,4,10,,,,,,,,\n"
                 + "P2,2018/19,140,6.5,3.5,10,,,,,,,,\n")  # fmt: skip
    reading = read_npd(path)
    assert [(r["pmr"], r["sessions_possible"]) for r in reading.data.to_pylist()] == [("P1", 140)]
    assert reading.quarantined.to_pylist() == [
        {"source_row": 3, "field": "AuthorisedAbsence",
         "reason": "AuthorisedAbsence is not a whole number"}
    ]  # fmt: skip


def test_short_rows_and_repeated_headings_read_as_spreadsheets_do(tmp_path: Path) -> None:
    # A short row's missing fields are blank (so P1 was not on roll in spring or summer); a
    # repeated heading is the second of its name ('AcademicYear.1'), not the year column.
    path = write(tmp_path, "absence_3term.csv", WIDE.replace("\n", ",AcademicYear\n")
                 + "P1,2018/19,140,6,4,10\n"
                 + "P2,2018/19,140,6,4,10,,,,,,,,,2019/20\n")  # fmt: skip
    reading = read_npd(path)
    assert [(r["pmr"], r["academic_year"]) for r in reading.data.to_pylist()] == [
        ("P1", 2018), ("P2", 2018),
    ]  # fmt: skip
    assert reading.quarantined.num_rows == 0 and reading.rows_in == 2


def test_infinite_and_huge_counts_are_quarantined_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "absence_3term.csv", WIDE
                 + "P1,2018/19,140,6,4,10,,,,,,,,\n"
                 + "P2,2018/19,inf,6,4,10,,,,,,,,\n"
                 + "P3,2018/19,1e300,6,4,10,,,,,,,,\n")  # fmt: skip
    reading = read_npd(path)
    assert [r["pmr"] for r in reading.data.to_pylist()] == ["P1"]
    assert {(q["source_row"], q["reason"]) for q in reading.quarantined.to_pylist()} >= {
        (3, "SessionsPossible is not a whole number"),
        (4, "SessionsPossible is not a whole number"),
    }
