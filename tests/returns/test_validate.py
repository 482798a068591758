"""Validation: each rule on tiny returns; every row read is valid or quarantined, never lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.errors import ValidationError
from steward.returns import read_return, validate
from steward.returns.layout import DR2_REFERRALS
from steward.returns.rules import RULES, rules_for

from .conftest import (
    CLA_HEADINGS,
    CP_HEADINGS,
    REFERRAL_HEADINGS,
    Cell,
    Sheet,
    referral_rows,
    title,
)

MakeWorkbook = Callable[[str, list[Sheet]], Path]
GOOD = referral_rows()[0]  # a clean referral: child 000123, R1, 03/11/2020, born 2012-05


def _with(**changes: Cell) -> list[Cell]:
    row = list(GOOD)
    for name, value in changes.items():
        row[[f.name for f in DR2_REFERRALS.fields].index(name)] = value
    return row


def _validated(make_workbook: MakeWorkbook, rows: list[list[Cell]], *extra: Sheet):  # type: ignore[no-untyped-def]
    sheets = [Sheet("Referrals", REFERRAL_HEADINGS, rows, title=title()), *extra]
    return validate(read_return(make_workbook("rochdale_dr2_nov20.xlsx", sheets)))


def _codes(validated, sheet: str = "Referrals") -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[int]] = {}
    for f in validated.failures:
        if f.sheet == sheet:
            out.setdefault(f.rule_code, []).extend(f.rows)
    return out


def test_clean_return_has_no_failures(make_workbook: MakeWorkbook) -> None:
    v = _validated(make_workbook, referral_rows())
    assert v.failures == []
    assert v.tables[0].valid.num_rows == 4 and v.tables[0].quarantined.num_rows == 0
    v.raise_if_blocking()


def test_each_rule_fires_on_its_row(make_workbook: MakeWorkbook) -> None:
    rows = [
        GOOD,  # row 4
        _with(child_id=None, referral_id="R5"),  # 5: RQ01 required missing
        _with(child_id="c6", referral_date="31/02/2020"),  # 6: RQ02 unreadable required date
        _with(child_id="c7", disabled="perhaps", previous_cpp="two"),  # 7: VL01 twice
        _with(child_id="c8", gender="X", ethnicity="Martian"),  # 8: CD01 twice
        _with(child_id="c9", referral_date="01/02/2014", birth_month="2010-01"),  # 9: DT01
        _with(child_id="c10", birth_month="2020-12"),  # 10: DT02 born after referral (Nov 20)
        _with(child_id="c11", birth_month="1990-01"),  # 11: DT03 older than 25
        GOOD,  # 12: DU01 exact duplicate
        _with(referral_id="R1A"),  # 13: DU02 same child, same day, other referral id
        _with(child_id="c14", birth_month="2020-11"),  # 14: born in the referral month: fine
    ]
    v = _validated(make_workbook, rows)
    codes = _codes(v)
    assert codes == {
        "RQ01": [5], "RQ02": [6], "VL01": [7, 7], "CD01": [8, 8], "DT01": [9], "DT02": [10],
        "DT03": [11], "DU01": [12], "DU02": [13],
    }  # fmt: skip
    table = v.tables[0]
    quarantined = dict(zip(table.quarantined["source_row"].to_pylist(),
                           table.quarantined["rule_code"].to_pylist(), strict=True))  # fmt: skip
    assert quarantined == {5: "RQ01", 6: "RQ02", 12: "DU01", 13: "DU02"}
    # Born after the referral is a warning: the cohort's eligibility rules exclude such rows.
    assert table.valid["source_row"].to_pylist() == [4, 7, 8, 9, 10, 11, 14]
    # Unreadable and unknown values are kept as missing on a valid row.
    row7 = table.valid.filter(table.valid["source_row"].to_numpy() == 7)
    assert row7["disabled"].to_pylist() == [None] and row7["previous_cpp"].to_pylist() == [None]


def test_failures_name_sheet_row_and_column_and_keep_no_identifier_values(
    make_workbook: MakeWorkbook,
) -> None:
    v = _validated(make_workbook, [GOOD, _with(child_id="c6", referral_date="31/02/2020")])
    [failure] = v.failures
    assert (failure.sheet, failure.rows, failure.heading, failure.severity) == (
        "Referrals", (5,), "Referral date", "blocking"
    )  # fmt: skip
    assert failure.examples == ("31/02/2020",)  # in memory only, for the interactive message
    assert "31/02/2020" not in repr(failure)
    with pytest.raises(ValidationError) as caught:
        v.raise_if_blocking()
    where = caught.value.where
    assert (where.file, where.sheet, where.row, where.column) == (
        "rochdale_dr2_nov20.xlsx", "Referrals", 5, "Referral date"
    )  # fmt: skip


def test_a_row_breaking_two_blocking_rules_is_quarantined_once(make_workbook: MakeWorkbook) -> None:
    v = _validated(make_workbook, [_with(child_id=None, referral_date="soon")])
    table = v.tables[0]
    assert table.quarantined.num_rows == 1 and table.reconciles
    assert table.quarantined["rule_code"].to_pylist() == ["RQ01; RQ02"]


def test_missing_required_column_quarantines_every_row(make_workbook: MakeWorkbook) -> None:
    headings = [h for h in REFERRAL_HEADINGS if h != "Gender"]
    rows = [[c for i, c in enumerate(r) if i != 5] for r in referral_rows()]
    sheets = [Sheet("Referrals", headings, rows)]
    v = validate(read_return(make_workbook("rochdale_dr2_nov20.xlsx", sheets)))
    [failure] = v.failures
    assert (failure.rule_code, failure.field, failure.heading) == ("RQ01", "gender", None)
    assert v.tables[0].valid.num_rows == 0 and v.tables[0].quarantined.num_rows == 4


def test_plan_and_care_starting_before_their_referral_are_warned(
    make_workbook: MakeWorkbook,
) -> None:
    cp = [["000123", "R1", "01/11/2020", "2012-05", "M", "WBRI"],  # before 03/11: row 4
          ["000123", "R1", "10/11/2020", "2012-05", "M", "WBRI"],
          ["000456", "R9", "01/01/2020", "2010-05", "F", "WBRI"]]  # no such referral  # fmt: skip
    cla = [["000456", "R2", "2020-11-01", "2010-05", "F", "WBRI"]]  # before 05/11: row 2
    v = _validated(make_workbook, referral_rows(), Sheet("CP", CP_HEADINGS, cp),
                   Sheet("CLA", CLA_HEADINGS, cla, header_row=1))  # fmt: skip
    assert _codes(v, "CP") == {"DT04": [4]}
    assert _codes(v, "CLA") == {"DT05": [2]}
    assert all(t.quarantined.num_rows == 0 for t in v.tables)


def test_period_of_care_ending_before_it_starts_is_blocking(make_workbook: MakeWorkbook) -> None:
    headings = ["Child ID", "Period of care start date", "Date left care"]
    rows = [
        ["1", "01/01/2021", "01/06/2021"],
        ["2", "01/01/2021", "31/12/2020"],
        ["3", "01/01/2021", None],
    ]
    v = validate(
        read_return(make_workbook("leicester_dr3_mar21.xlsx", [Sheet("POC", headings, rows)]))
    )
    assert v.return_type == "dr3"
    assert _codes(v, "POC") == {"DT06": [5]}
    assert v.tables[0].quarantined["source_row"].to_pylist() == [5]


def test_rules_are_registered_once_with_code_message_and_severity() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert {"RQ01", "RQ02", "VL01", "CD01", "DT01", "DT02", "DT03", "DT04", "DT05", "DT06",
            "DU01", "DU02"} <= set(codes)  # fmt: skip
    assert all(r.message and r.severity in ("blocking", "warning") for r in RULES)
    assert {r.code for r in rules_for(dt.date(2020, 11, 1))} == set(codes)


_CELL = st.one_of(
    st.none(),
    st.sampled_from(["", "000123", "R1", "03/11/2020", "31/02/2020", "2012-05", "2021-01", "M",
                     "X", "Yes", "maybe", "1", "two", "WBRI", "Martian", "1990-01"]),
    st.integers(min_value=0, max_value=60000),
)  # fmt: skip


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_CELL, min_size=12, max_size=12), min_size=1, max_size=25))
def test_counts_reconcile_for_any_mess(make_workbook: MakeWorkbook, rows: list[list[Cell]]) -> None:
    rows = [[*r[:1], "R1", *r[2:]] for r in rows]  # keep each row non-blank
    sheets = [Sheet("Referrals", REFERRAL_HEADINGS, rows, title=title())]
    reading = read_return(make_workbook("rochdale_dr2_nov20.xlsx", sheets))
    v = validate(reading)
    table = v.tables[0]
    assert table.rows_in == len(rows) == reading.tables[0].rows
    assert table.valid.num_rows + table.quarantined.num_rows == len(rows)
    assert table.reconciles
    read_rows = set(reading.tables[0].data["source_row"].to_pylist())
    assert (
        set(table.valid["source_row"].to_pylist())
        | set(table.quarantined["source_row"].to_pylist())
        == read_rows
    )


def test_key_codes_match_equal_keys_across_columns() -> None:
    import pyarrow as pa

    from steward.returns.rules import key_codes

    a = pa.array(["x", "x", "y", None, "x"])
    b = pa.array(["1", "2", "1", "1", "1"])
    c = pa.array([1, 1, 1, 1, 1])
    codes, complete = key_codes([a, b, c])
    assert complete.tolist() == [True, True, True, False, True]
    assert codes[0] == codes[4] and len({codes[0], codes[1], codes[2]}) == 3
