"""Hierarchies from files and from code, and the errors bad ones give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from steward.anonymise import (
    AnonymisationError,
    Hierarchy,
    HierarchyError,
    KAnonymity,
    anonymise,
    ethnicity,
    local_authority,
)
from steward.errors import InputFileError

from .conftest import ADULT, adult_hierarchy


def test_adult_hierarchy_file_heights_follow_arx() -> None:
    heights = {
        name: adult_hierarchy(name).height
        for name in ["age", "education", "marital-status", "race", "sex", "workclass"]
    }
    assert heights == {
        "age": 5,
        "education": 4,
        "marital-status": 3,
        "race": 2,
        "sex": 2,
        "workclass": 3,
    }
    assert adult_hierarchy("age").generalise("39", 2) == "30-39"


def test_intervals_nest_and_end_in_star() -> None:
    h = Hierarchy.intervals("months", range(0, 30), [12, 24])
    assert h.generalise("13", 1) == "12-23"
    assert h.generalise("13", 2) == "0-23"
    assert h.generalise("13", 3) == "*"
    with pytest.raises(HierarchyError, match="not a multiple"):
        Hierarchy.intervals("months", range(10), [4, 6])


def test_age_in_months_to_years_to_bands() -> None:
    h = Hierarchy.age_in_months("age_months", 12 * 18)
    assert [h.generalise("61", lv) for lv in range(4)] == ["61", "5", "5-9", "*"]
    assert h.generalise("0", 2) == "0-0"
    assert h.generalise(str(17 * 12), 2) == "16+"


def test_dates_day_month_quarter_year() -> None:
    h = Hierarchy.dates("referral", [dt.date(2021, 5, 17), "2020-12-01"])
    assert [h.generalise("2021-05-17", lv) for lv in range(5)] == [
        "2021-05-17",
        "2021-05",
        "2021-Q2",
        "2021",
        "*",
    ]
    with pytest.raises(HierarchyError, match="not a date"):
        Hierarchy.dates("referral", ["17/05/2021"])


def test_ethnicity_codes_to_groups_and_local_authority_to_region() -> None:
    h = ethnicity()
    assert len(h.rows) == 18
    assert len(set(h.level(1))) == 5
    assert h.generalise("BAFR", 1) == "Black"
    assert h.generalise("BAFR", 2) == "*"
    la = local_authority()
    assert la.generalise("354", 1) == "North West"
    assert la.generalise("926", 2) == "England"


def test_ordered_categories_and_redaction() -> None:
    h = Hierarchy.ordered("band", ["a", "b", "c", "d", "e"], [2, 4])
    assert h.generalise("c", 1) == "c–d"
    assert h.generalise("e", 1) == "e"
    assert h.generalise("b", 2) == "a–d"
    r = Hierarchy.redaction("postcode_district", ["OL11", "OL1", "M1"])
    assert r.generalise("OL11", 1) == "OL1*"
    assert r.generalise("OL11", 4) == "****"
    assert r.height == 5


def test_rows_of_different_depth_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a;A;*\nb;B\n")
    with pytest.raises(HierarchyError) as error:
        Hierarchy.from_csv(path)
    assert error.value.where.row == 2
    assert "same number" in error.value.fix


def test_label_with_two_parents_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a;X;1;*\nb;X;2;*\n")
    with pytest.raises(HierarchyError, match="generalises to both"):
        Hierarchy.from_csv(path)


def test_duplicate_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a;*\na;*\n")
    with pytest.raises(HierarchyError, match="twice"):
        Hierarchy.from_csv(path)
    with pytest.raises(InputFileError, match="does not exist"):
        Hierarchy.from_csv(tmp_path / "missing.csv")


def test_value_not_covered_names_column_row_and_value() -> None:
    data = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str, nrows=20)
    data.loc[6, "race"] = "Martian"
    with pytest.raises(HierarchyError) as error:
        anonymise(
            data,
            {"race": adult_hierarchy("race"), "sex": adult_hierarchy("sex")},
            models=[KAnonymity(2)],
            source="adult.csv",
        )
    assert "'Martian'" in error.value.what
    assert error.value.where.column == "race"
    assert error.value.where.row == 8  # header on row 1, record 7 on row 8
    assert error.value.where.file == "adult.csv"


def test_missing_value_is_not_covered() -> None:
    data = pd.DataFrame({"sex": ["Male", None, "Female"]})
    with pytest.raises(HierarchyError, match="does not cover"):
        anonymise(data, {"sex": adult_hierarchy("sex")}, models=[KAnonymity(1)])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": [KAnonymity(50)]}, "larger than the table"),
        ({"models": [KAnonymity(0)]}, "at least 1"),
        ({"models": []}, "No privacy model"),
        ({"models": [KAnonymity(2)], "suppression_limit": 1.5}, "between 0 and 1"),
        ({"models": [KAnonymity(2)], "sensitive": "nope"}, "no column 'nope'"),
        ({"models": [KAnonymity(2)], "sensitive": "sex"}, "both a quasi-identifier"),
    ],
)
def test_bad_requests_are_refused_before_any_work(kwargs: dict[str, object], message: str) -> None:
    data = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str, nrows=20)
    with pytest.raises(AnonymisationError, match=message):
        anonymise(data, {"sex": adult_hierarchy("sex")}, **kwargs)  # type: ignore[arg-type]


def test_unknown_metric_is_refused() -> None:
    data = pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str, nrows=20)
    with pytest.raises(Exception, match="Unknown utility measure"):
        anonymise(data, {"sex": adult_hierarchy("sex")}, models=[KAnonymity(2)], metric="xyz")


def test_positions_match_by_text_whatever_objects_hold_the_values() -> None:
    hierarchy = Hierarchy.from_rows("colour", [["red", "*"], ["blue", "*"], ["nan", "*"]])
    # Equal values in distinct string objects, the same object repeated, a value the hierarchy
    # lacks, missing values (never matched, not even by the text 'nan'), and a number.
    red_again = "".join(["r", "e", "d"])
    assert red_again is not "red"  # noqa: F632 - distinct objects on purpose
    blue = "blue"
    column = pd.Series(["red", red_again, blue, blue, "green", None, float("nan"), 7], dtype=object)
    assert hierarchy.positions(column).tolist() == [0, 0, 1, 1, -1, -1, -1, -1]
    # Not a pandas column, and a non-object column, give the same answer.
    assert hierarchy.positions(["blue", "red", None]).tolist() == [1, 0, -1]
    numbers = Hierarchy.from_rows("n", [["7", "*"], ["8", "*"]])
    assert numbers.positions(pd.Series([8, 7, 9])).tolist() == [1, 0, -1]
    assert numbers.positions(pd.Series([8, 7, 8], dtype=object)).tolist() == [1, 0, 1]
