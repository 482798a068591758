"""Reading returns: detection from content, fuzzy headings, LA and month, clear refusals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from steward.errors import InputFileError
from steward.returns import read_return
from steward.returns.detect import normalise_heading, parse_month

from .conftest import CLA_HEADINGS, CP_HEADINGS, REFERRAL_HEADINGS, Returns, Sheet, referral_rows

D = dt.date
MakeWorkbook = Callable[[str, list[Sheet]], Path]


def test_clean_return_is_read_with_every_decision_reported(returns: Returns) -> None:
    reading = read_return(returns.dr2())
    assert (reading.la_code, reading.return_type, reading.return_month) == (
        "354",
        "dr2",
        D(2020, 11, 1),
    )
    [table] = reading.tables
    assert (table.table.name, table.sheet, table.header_row) == ("dr2_referrals", "Referrals", 3)
    data = table.data
    assert data["source_row"].to_pylist() == [4, 5, 6, 7]
    assert data["child_id"].to_pylist() == ["000123", "000456", "789", "000999"]
    assert data["referral_date"].to_pylist() == [D(2020, 11, 3), D(2020, 11, 5), D(2020, 11, 20),
                                                 D(2020, 11, 25)]  # fmt: skip
    assert data["birth_month"].to_pylist() == [D(2012, 5, 1), D(2010, 5, 1), D(2015, 2, 1),
                                               D(2008, 12, 1)]  # fmt: skip
    assert data["gender"].to_pylist() == ["M", "F", "M", "F"]
    assert data["ethnicity"].to_pylist() == ["WBRI", "WBRI", "APKN", "REFU"]
    assert data["referral_nfa"].to_pylist() == [False, True, False, False]
    assert data["previous_cpp"].to_pylist() == [0, 1, 2, 0]
    assert data.schema.field("referral_date").type == pa.date32()
    assert data.schema.field("disabled").type == pa.bool_()
    text = "\n".join(reading.decisions)
    assert "local authority Rochdale (354) from the file name" in text
    assert "column 'Referral date' -> referral_date (exact heading)" in text
    assert len(reading.submission_id) == 64


def test_identifiers_with_leading_zeros_typed_as_numbers_elsewhere(
    make_workbook: MakeWorkbook,
) -> None:
    rows = [["000123", "R1", "03/11/2020", "2012-05", "M"], [456, 7, "04/11/2020", "2012-05", "F"]]
    headings = ["Child ID", "Case ID", "Referral date", "Year and month of birth", "Gender"]
    path = make_workbook("warrington_dr2_nov20.xlsx", [Sheet("Referrals", headings, rows)])
    data = read_return(path).tables[0].data
    assert data["child_id"].to_pylist() == ["000123", "456"]
    assert data["referral_id"].to_pylist() == ["R1", "7"]


def test_tables_are_detected_by_content_not_sheet_name_or_order(
    make_workbook: MakeWorkbook,
) -> None:
    cp_rows = [["000123", "R1", "10/11/2020", "2012-05", "M", "WBRI"]]
    cla_rows = [["000456", "R2", 44150, "05/2010", "F", "WBRI"]]
    sheets = [
        Sheet("Sheet3", CLA_HEADINGS, cla_rows, header_row=1),
        Sheet("Notes", ["Please read", "Contact"], [["free text", "someone"]], header_row=1),
        Sheet("Sheet1", CP_HEADINGS, cp_rows, header_row=5, title=["Norfolk", "", "Nov 2020"]),
        Sheet("CLA", REFERRAL_HEADINGS, referral_rows(), header_row=2),  # misleading name
    ]
    reading = read_return(make_workbook("norfolk_dr2_nov20.xlsx", sheets))
    found = {t.sheet: (t.table.name, t.header_row) for t in reading.tables}
    assert found == {
        "Sheet3": ("dr2_cla", 1),
        "Sheet1": ("dr2_cp", 5),
        "CLA": ("dr2_referrals", 2),
    }
    assert "sheet 'Notes': no table of the returns recognised; ignored" in reading.decisions
    cla = next(t for t in reading.tables if t.sheet == "Sheet3").data
    assert cla["cla_start_date"].to_pylist() == [D(2020, 11, 15)]


def test_fuzzy_and_variant_headings_are_matched_and_reported(make_workbook: MakeWorkbook) -> None:
    headings = ["CHILD  id", "Referral ID / Case ID", "Referal Date", "Year & month of birth of child",
                "gender", "Ethnicity ", "Social worker notes"]  # fmt: skip
    rows = [["0001", "R1", "03/11/2020", "2012-05", "M", "WBRI", "called mum; seemed fine"]]
    path = make_workbook("leicester_dr2_nov20.xlsx", [Sheet("Data", headings, rows)])
    reading = read_return(path)
    [table] = reading.tables
    assert table.table.name == "dr2_referrals"
    assert table.data["referral_date"].to_pylist() == [D(2020, 11, 3)]
    assert table.data["birth_month"].to_pylist() == [D(2012, 5, 1)]
    assert table.dropped_columns == ["Social worker notes"]
    assert "Social worker notes" not in " ".join(table.data.column_names)
    assert "called mum" not in str(table.data.to_pydict())
    text = "\n".join(reading.decisions)
    assert "'Referal Date' -> referral_date (fuzzy match" in text
    assert "'Year & month of birth of child' -> birth_month" in text
    assert "column 'Social worker notes' is not part of dr2_referrals; dropped, not stored" in text


def test_missing_optional_columns_are_null_and_reported(make_workbook: MakeWorkbook) -> None:
    headings = ["Child ID", "Case ID", "Referral date", "Year and month of birth", "Gender"]
    path = make_workbook(
        "redcar_dr2_nov20.xlsx", [Sheet("R", headings, [["1", "R1", "03/11/2020", "2012-05", "M"]])]
    )
    [table] = read_return(path).tables
    assert "fsm_ever" in table.missing_columns and "ethnicity" in table.missing_columns
    assert table.data["fsm_ever"].to_pylist() == [None]
    assert table.data.schema.field("fsm_ever").type == pa.bool_()
    assert table.data["ethnicity_group"].to_pylist() == ["Missing, refused or not obtained"]


def test_blank_rows_between_records_are_skipped_and_counted(make_workbook: MakeWorkbook) -> None:
    rows = [referral_rows()[0], [None] * 5, ["   "] + [None] * 4, referral_rows()[1]]
    path = make_workbook("rochdale_dr2_nov20.xlsx", [Sheet("R", REFERRAL_HEADINGS, rows)])
    reading = read_return(path)
    assert reading.tables[0].data["source_row"].to_pylist() == [4, 7]
    assert "sheet 'R': 2 blank rows skipped" in reading.decisions


def test_la_and_month_from_the_title_block(make_workbook: MakeWorkbook) -> None:
    sheet = Sheet("R", REFERRAL_HEADINGS, referral_rows(),
                  title=["Warrington Borough Council", "DR2 return for November 2020"])  # fmt: skip
    reading = read_return(make_workbook("return.xlsx", [sheet]))
    assert (reading.la_code, reading.return_month) == ("877", D(2020, 11, 1))
    assert "local authority Warrington (877) from the title block" in reading.decisions


def test_la_not_in_the_study_is_refused(returns: Returns) -> None:
    path = returns.dr2("bolton_dr2_nov20.xlsx")
    with pytest.raises(InputFileError) as caught:
        read_return(path)
    assert caught.value.where.file == "bolton_dr2_nov20.xlsx"
    assert "'bolton'" in caught.value.what and "not in the study" in caught.value.what
    assert "rename" in caught.value.fix.lower() and "add the LA" in caught.value.fix


def test_unknown_la_without_a_name_pattern_is_refused(make_workbook: MakeWorkbook) -> None:
    sheet = Sheet("R", REFERRAL_HEADINGS, referral_rows(), title=["Bolton Council", "Nov 2020"])
    with pytest.raises(InputFileError, match="cannot tell which local authority"):
        read_return(make_workbook("return.xlsx", [sheet]))


def test_month_unknown_is_refused(make_workbook: MakeWorkbook) -> None:
    sheet = Sheet("R", REFERRAL_HEADINGS, referral_rows(), title=["Rochdale"])
    with pytest.raises(InputFileError, match="which month"):
        read_return(make_workbook("rochdale_dr2.xlsx", [sheet]))


def test_workbook_with_no_recognisable_table_lists_what_was_expected(
    make_workbook: MakeWorkbook,
) -> None:
    sheets = [Sheet("Sheet1", ["Name", "Address", "Favourite colour"], [["a", "b", "c"]])]
    with pytest.raises(InputFileError) as caught:
        read_return(make_workbook("rochdale_dr2_nov20.xlsx", sheets))
    assert caught.value.where.file == "rochdale_dr2_nov20.xlsx"
    assert "no sheet that looks like a table" in caught.value.what
    assert "dr2_referrals" in caught.value.fix and "'Referral date'" in caught.value.fix


def test_csv_return_is_read_like_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "norfolk_dr2_nov20.csv"
    lines = ["Child ID;Case ID;Referral date;Year and month of birth;Gender;Ethnicity",
             "000123;R1;03/11/2020;2012-05;M;White – British",
             "", "000124;R2;2020-11-04;05/2011;F;WBRI"]  # fmt: skip
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    reading = read_return(path)
    [table] = reading.tables
    assert table.header_row == 1
    assert table.data["child_id"].to_pylist() == ["000123", "000124"]
    assert table.data["ethnicity"].to_pylist() == ["WBRI", "WBRI"]
    assert table.data["source_row"].to_pylist() == [2, 4]  # line 3 is blank


def test_ragged_csv_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "norfolk_dr2_nov20.csv"
    path.write_text("Child ID,Case ID,Referral date\n1,R1,03/11/2020\n2,R2,03/11/2020,extra,more\n")
    with pytest.raises(InputFileError, match="not a rectangular CSV") as caught:
        read_return(path)
    assert caught.value.where.file == path.name


@pytest.mark.parametrize(
    ("text", "month"),
    [("rochdale_dr2_nov20", D(2020, 11, 1)), ("November 2020", D(2020, 11, 1)),
     ("dr3_2021-03", D(2021, 3, 1)), ("Period: 06/2022", D(2022, 6, 1)), ("no month", None)],
)  # fmt: skip
def test_month_parsing(text: str, month: dt.date | None) -> None:
    assert parse_month(text) == month


def test_heading_normalisation() -> None:
    assert normalise_heading("  Year & Month_of-birth ") == "year and month of birth"


def test_file_name_and_title_naming_different_las_is_refused(make_workbook: MakeWorkbook) -> None:
    sheet = Sheet(
        "R", REFERRAL_HEADINGS, referral_rows(), title=["Norfolk County Council", "Nov 2020"]
    )
    with pytest.raises(
        InputFileError, match="named for Rochdale but its title block names Norfolk"
    ):
        read_return(make_workbook("rochdale_dr2_nov20.xlsx", [sheet]))


def test_la_and_month_from_a_free_form_file_name(make_workbook: MakeWorkbook) -> None:
    sheet = Sheet("R", REFERRAL_HEADINGS, referral_rows(), title=[])
    reading = read_return(make_workbook("DR2 Redcar and Cleveland November 2020.xlsx", [sheet]))
    assert (reading.la_code, reading.return_month) == ("807", D(2020, 11, 1))
    assert "local authority Redcar and Cleveland (807) from the file name" in reading.decisions
