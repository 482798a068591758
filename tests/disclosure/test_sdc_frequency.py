from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steward.disclosure import SdcRules, check_frequency_table, crosstab, to_display
from steward.errors import DisclosureError, UserError


def table(rows: list[list[float]], *, index: str = "la", columns: str = "outcome") -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        index=pd.Index([f"r{i}" for i in range(len(rows))], name=index),
        columns=pd.Index([f"c{j}" for j in range(len(rows[0]))], name=columns),
    )
    return df


BIG = 100


@pytest.mark.parametrize(("count", "fires"), [(9, True), (10, False), (1, True), (11, False)])
def test_threshold_fires_below_ten_only(count: int, fires: bool) -> None:
    checked = check_frequency_table(
        table([[count, BIG, BIG], [BIG, BIG, BIG], [BIG, BIG, BIG]]), name="t"
    )
    assert (("r0", "c0") in checked.cells_with("threshold")) is fires
    assert checked.status == ("review" if fires else "pass")


def test_threshold_is_configurable() -> None:
    rules = SdcRules(safe_threshold=5)
    checked = check_frequency_table(table([[5, BIG], [BIG, BIG]]), rules=rules, name="t")
    assert checked.status == "pass"


def test_zero_is_disclosive_by_default_and_not_when_switched_off() -> None:
    counts = table([[0, BIG, BIG], [BIG, BIG, BIG], [BIG, BIG, BIG]])
    default = check_frequency_table(counts, name="t")
    assert default.cells_with("zero") == [("r0", "c0")]
    assert default.cells_with("threshold") == []
    structural = check_frequency_table(counts, rules=SdcRules(zeros_are_disclosive=False), name="t")
    assert structural.status == "pass"
    assert to_display(structural).loc["r0", "c0"] == "0"


def test_secondary_suppression_protects_a_single_small_cell() -> None:
    counts = table([[3, 20, 30], [25, 40, 50], [15, 35, 45]])
    checked = check_frequency_table(counts, name="t")
    assert checked.cells_with("threshold") == [("r0", "c0")]
    # row r0: next-smallest is 20; column c0: 15; then row r2 needs a partner: 35
    assert sorted(checked.cells_with("secondary")) == [("r0", "c1"), ("r2", "c0"), ("r2", "c1")]
    shown = to_display(checked)
    assert shown.loc["r0", "c0"] == "[c]"
    assert shown.loc["All", "All"] == str(counts.to_numpy().sum())
    body = checked.suppressed().iloc[:3, :4]
    # no row or column of the table with its total has exactly one withheld cell
    assert all(n != 1 for n in body.sum(axis=1))
    assert all(n != 1 for n in checked.suppressed().iloc[:, :3].sum(axis=0))


def test_small_margin_is_suppressed_and_protected() -> None:
    counts = table([[4, 4], [BIG, BIG]])
    checked = check_frequency_table(counts, name="t")
    rules = checked.cell_rules
    assert rules.loc["r0", "All"] == "threshold"  # row total 8 < 10
    # the row total can be rebuilt from the grand total and the other row: a partner is withheld
    assert rules.loc["r1", "All"] == "secondary"


def test_no_margins_means_no_secondary_within_the_table() -> None:
    checked = check_frequency_table(table([[3, 20], [25, 40]]), name="t", margins=False)
    assert checked.cells_with("secondary") == []
    assert list(checked.safe.columns) == ["c0", "c1"]


def test_rounding_happens_after_suppression_on_unrounded_counts() -> None:
    rules = SdcRules(rounding_base=5)
    counts = table([[8, 52, 63], [12, 44, 71], [31, 32, 33]])
    checked = check_frequency_table(counts, rules=rules, name="t")
    # 8 would round to 10, but suppression is decided on the unrounded count
    assert checked.cells_with("threshold") == [("r0", "c0")]
    assert ("r1", "c0") not in checked.cells_with("threshold")
    assert checked.safe.loc["r0", "c2"] == 65  # 63 -> 65
    assert checked.safe.loc["r1", "c2"] == 70  # 71 -> 70
    assert checked.safe.loc["r2", "c2"] == 35  # 33 -> 35
    assert checked.safe.loc["All", "c0"] == 50  # 51 -> 50
    assert checked.safe.loc["All", "c1"] == 130  # 128 -> 130
    assert checked.safe.loc["All", "All"] == 345  # 346 rounded from the unrounded total
    published = checked.safe.to_numpy()
    assert np.all(np.isnan(published) | (published % 5 == 0))
    assert checked.properties["rounding_base"] == 5


def test_input_margins_are_checked_and_recomputed() -> None:
    counts = table([[20, 30], [40, 50]])
    with_margins = pd.crosstab(
        pd.Series(["a"] * 50 + ["b"] * 90, name="la"),
        pd.Series(["x"] * 20 + ["y"] * 30 + ["x"] * 40 + ["y"] * 50, name="outcome"),
        margins=True,
    )
    checked = check_frequency_table(with_margins, name="t")
    assert checked.safe.loc["All", "All"] == 140
    assert checked.status == "pass"
    wrong = counts.copy()
    wrong["All"] = [50, 91]
    with pytest.raises(DisclosureError, match="add up"):
        check_frequency_table(wrong, name="t")


def test_one_way_table() -> None:
    counts = pd.Series([3, 40, 50], index=pd.Index(["a", "b", "c"], name="la"), name="count")
    checked = check_frequency_table(counts, name="one")
    assert checked.cells_with("threshold") == [("a", "count")]
    assert checked.cells_with("secondary") == [("b", "count")]
    assert list(checked.safe.index) == ["a", "b", "c", "All"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (-1, "negative"),
        (2.5, "not a whole number"),
        (np.nan, "not a number"),
        ("many", "not a number"),
    ],
)
def test_bad_counts_name_the_cell(bad: object, message: str) -> None:
    counts = table([[20, 30], [40, 50]]).astype(object)
    counts.iloc[1, 0] = bad
    with pytest.raises(DisclosureError, match=message) as info:
        check_frequency_table(counts, name="t")
    assert info.value.where.sheet == "t"
    assert info.value.where.row == 2
    assert info.value.where.column == "r1 / c0"
    assert info.value.fix


def test_empty_table_is_refused() -> None:
    with pytest.raises(DisclosureError, match="no cells"):
        check_frequency_table(pd.DataFrame(), name="empty")


def test_table_every_cell_of_which_is_small_fails() -> None:
    checked = check_frequency_table(table([[1, 2], [3, 4]]), name="tiny")
    assert checked.status == "fail"
    assert (to_display(checked).iloc[:2, :2] == "[c]").all().all()


def test_crosstab_counts_microdata_and_records_missing_rows() -> None:
    df = pd.DataFrame(
        {"la": ["a"] * 30 + ["b"] * 30 + [None], "sex": (["f"] * 15 + ["m"] * 15) * 2 + ["f"]}
    )
    checked = crosstab(df, "la", "sex")
    assert checked.safe.loc["All", "All"] == 60
    assert checked.status == "pass"
    assert "1 rows with a missing category" in checked.comments[0]
    with pytest.raises(UserError, match="no column 'age'"):
        crosstab(df, "age", "sex")


def test_acro_crosstab_year_by_grant_type_suppresses_exactly_six_cells(
    acro_data: pd.DataFrame,
) -> None:
    """ACRO's test_crosstab_threshold: 6 cells (every R/G count, 8 per year) at threshold 10."""
    checked = crosstab(acro_data, "year", "grant_type")
    threshold_cells = checked.cells_with("threshold")
    assert len(threshold_cells) == 6
    assert {col for _, col in threshold_cells} == {"R/G"}
    assert checked.cells_with("zero") == []
    # ACRO's summary line reads "MinimumThresholdCheck: fail - 6 cells may need suppressing"
    assert "threshold: 6 cells suppressed" in checked.summary
    # ACRO stops there; the R/G column total (48) is published, so one more cell per year must
    # go or each R/G count is that year's total minus the others: the next-smallest, G (15).
    assert sorted(checked.cells_with("secondary")) == [(y, "G") for y in range(2010, 2016)]
    assert checked.status == "review"
    shown = to_display(checked)
    assert (shown.loc[2010:2015, ["G", "R/G"]] == "[c]").all().all()
    assert shown.loc["All", "R/G"] == "48"
