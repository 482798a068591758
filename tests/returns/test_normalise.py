"""Normalisation of each kind of mess to canonical values, column at a time."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from steward.returns.layout import DR2_REFERRALS, DR3_CARE_EPISODES, DR3_CIN_CLOSURES
from steward.returns.normalise import (
    clean_text,
    ethnicity_groups,
    normalise_column,
    parse_bools,
    parse_codes,
    parse_dates,
    parse_floats,
    parse_ints,
    parse_months,
)

D = dt.date
NOV20 = D(2020, 11, 1)


def _values(array: pa.Array) -> list[object]:
    return array.to_pylist()


def test_dates_from_serials_iso_text_and_day_month_year() -> None:
    text = pa.array(
        ["44138", "44138.0", "2020-11-03", "2020-11-03 00:00:00", "03/11/2020", "3/11/2020",
         "03-11-2020", "03.11.2020", "2020-11-03T00:00:00"]
    )  # fmt: skip
    assert _values(parse_dates(text)) == [D(2020, 11, 3)] * 9


@pytest.mark.parametrize("bad", ["31/02/2020", "2020-13-01", "29/02/2021", "soon", "0", "3/11/20"])
def test_impossible_or_unreadable_dates_are_null(bad: str) -> None:
    assert _values(parse_dates(pa.array([bad]))) == [None]


def test_leap_day_is_a_date() -> None:
    assert _values(parse_dates(pa.array(["29/02/2020", "2000-02-29"]))) == [
        D(2020, 2, 29),
        D(2000, 2, 29),
    ]


def test_months_become_the_first_of_the_month() -> None:
    text = pa.array(["2012-05", "05/2012", "5/2012", "2012-05-17", "17/05/2012", "41046"])
    assert _values(parse_months(text)) == [D(2012, 5, 1)] * 6
    assert _values(parse_months(pa.array(["2012-13", "13/2012"]))) == [None, None]


def test_flags_yes_no_in_every_spelling() -> None:
    text = pa.array(["Yes", "no", "Y", "n", "TRUE", "false", "1", "0", "maybe", None])
    assert _values(parse_bools(text)) == [True, False, True, False, True, False, True, False,
                                          None, None]  # fmt: skip


def test_ints_and_floats() -> None:
    assert _values(parse_ints(pa.array(["3", "3.0", " 4", "3.5", "two", "-1"]))) == [
        3, 3, None, None, None, -1,
    ]  # fmt: skip
    assert _values(parse_floats(pa.array(["0.25", "25%", ".5", "1e3", "x"]))) == [
        0.25, 0.25, 0.5, 1000.0, None,
    ]  # fmt: skip


def test_gender_codes_fold_to_m_f_u() -> None:
    text = pa.array(["Male", "Female", "M", "f", "1", "2", "0", "9", "Not recorded", "X"])
    assert _values(parse_codes(text, "gender", NOV20)) == [
        "M", "F", "M", "F", "M", "F", "U", "U", "U", None,
    ]  # fmt: skip


def test_ethnicity_codes_and_descriptions() -> None:
    text = pa.array(["WBRI", "White British", "White - British", "white: british", "Black African",
                     "Asian - Pakistani", "Gypsy/Roma", "Refused", "Martian", None])  # fmt: skip
    codes = parse_codes(text, "ethnicity", NOV20)
    assert _values(codes) == ["WBRI", "WBRI", "WBRI", "WBRI", "BAFR", "APKN", "WROM", "REFU",
                              None, None]  # fmt: skip
    assert _values(ethnicity_groups(codes)) == [
        "White British or Irish", "White British or Irish", "White British or Irish",
        "White British or Irish", "Black", "Asian", "Other White",
        "Missing, refused or not obtained", "Missing, refused or not obtained",
        "Missing, refused or not obtained",
    ]  # fmt: skip


def test_code_lists_are_versioned_by_collection_year() -> None:
    rc9 = pa.array(["RC9"])
    assert _values(parse_codes(rc9, "closure_reason", D(2021, 6, 1))) == [None]  # 2021-22
    assert _values(parse_codes(rc9, "closure_reason", D(2023, 1, 1))) == ["RC9"]  # 2022-23
    k3 = pa.array(["K3"])
    assert _values(parse_codes(k3, "placement", D(2024, 3, 1))) == [None]
    assert _values(parse_codes(k3, "placement", D(2024, 4, 1))) == ["K3"]
    assert DR3_CIN_CLOSURES.field("closure_reason").code_list == "closure_reason"
    assert DR3_CARE_EPISODES.field("placement_type").code_list == "placement"


def test_blank_cells_are_missing_not_problems() -> None:
    assert _values(clean_text(pa.array(["  ", "", " x ", None]))) == [None, None, "x", None]
    result = normalise_column(pa.array(["", "  ", "03/11/2020", "nope"]),
                              DR2_REFERRALS.field("referral_date"), NOV20)  # fmt: skip
    assert _values(result.values) == [None, None, D(2020, 11, 3), None]
    assert _values(result.problems) == [False, False, False, True]


def test_identifiers_stay_text_with_leading_zeros() -> None:
    result = normalise_column(pa.array(["000123", " 0042 ", "789"]),
                              DR2_REFERRALS.field("child_id"), NOV20)  # fmt: skip
    assert result.values.type == pa.string()
    assert _values(result.values) == ["000123", "0042", "789"]


def test_every_ethnicity_code_has_a_group() -> None:
    from steward.returns.codes import ETHNICITY_2019, ETHNICITY_GROUPS

    assert set(ETHNICITY_GROUPS) == set(ETHNICITY_2019.codes)
    assert (
        ETHNICITY_GROUPS["CHNE"] == "Other" and ETHNICITY_GROUPS["WIRI"] == "White British or Irish"
    )
