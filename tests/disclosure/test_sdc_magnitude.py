from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from steward.disclosure import SdcRules, check_magnitude_table, to_display
from steward.disclosure.magnitude import fired_rules
from steward.errors import DisclosureError, UserError


def cell(*values: float) -> np.ndarray:
    return np.array(values, dtype=float)


def test_threshold_on_contributors_means_need_ten() -> None:
    assert "threshold" in fired_rules(cell(*[5.0] * 9), SdcRules())
    assert "threshold" not in fired_rules(cell(*[5.0] * 10), SdcRules())


def test_dominance_fires_above_k_only() -> None:
    rest = [12.5] * 8  # 100 over eight small contributors
    assert "dominance" not in fired_rules(cell(450, 450, *rest), SdcRules())  # exactly 90%
    assert "dominance" in fired_rules(cell(451, 450, *[12.375] * 8), SdcRules())  # 90.1%


def test_p_ratio_fires_below_p_only() -> None:
    # a lenient dominance rule isolates the p% rule
    rules = SdcRules(safe_nk_k=0.99)
    assert fired_rules(cell(100, 50, *[1.25] * 8), rules) == []  # rest = 10% of largest
    assert fired_rules(cell(100, 50, *[1.2] * 8), rules) == ["p-ratio"]  # 9.6%


def test_zero_total_cannot_be_shown_safe_when_zeros_are_disclosive() -> None:
    zeros = cell(*[0.0] * 12)
    assert fired_rules(zeros, SdcRules()) == ["p-ratio"]
    assert fired_rules(zeros, SdcRules(zeros_are_disclosive=False)) == []


def microdata() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for la in ["a", "b", "c"]:
        for band in ["low", "high"]:
            for _ in range(15):
                rows.append({"la": la, "band": band, "cost": float(rng.integers(100, 200))})
    df = pd.DataFrame(rows)
    # one provider dominates cell (a, high)
    df.loc[(df.la == "a") & (df.band == "high"), "cost"] = [50_000.0] + [100.0] * 14
    return df


def test_sum_table_dominance_and_secondary_suppression() -> None:
    checked = check_magnitude_table(microdata(), index="la", columns="band", value="cost")
    # the dominant provider also dominates its LA's total, which is checked like any cell
    assert checked.cells_with("dominance") == [("a", "high"), ("a", "All")]
    assert checked.cells_with("p-ratio") == [("a", "high"), ("a", "All")]
    # row a already has two withheld cells; column high needs a partner (the smallest: b)
    assert ("b", "high") in checked.cells_with("secondary")
    assert checked.grid.exposed() == []
    assert checked.status == "review"
    assert to_display(checked).loc["a", "high"] == "[c]"


def test_mean_table_shows_means_and_is_not_secondary_suppressed() -> None:
    checked = check_magnitude_table(
        microdata(), index="la", columns="band", value="cost", aggfunc="mean"
    )
    assert checked.cells_with("secondary") == []
    assert checked.safe.loc["b", "low"] == pytest.approx(
        microdata().query("la == 'b' and band == 'low'").cost.mean()
    )


def test_negative_values_send_the_table_to_review() -> None:
    df = microdata()
    df.loc[0, "cost"] = -5.0
    checked = check_magnitude_table(df, index="la", columns="band", value="cost")
    assert checked.status == "review"
    assert any("negative" in c for c in checked.comments)


def test_bad_magnitude_requests() -> None:
    df = microdata()
    with pytest.raises(UserError, match="no column 'price'"):
        check_magnitude_table(df, index="la", columns="band", value="price")
    with pytest.raises(DisclosureError, match="not numeric"):
        check_magnitude_table(df, index="la", columns="cost", value="band")
    with pytest.raises(DisclosureError, match="not supported"):
        check_magnitude_table(df, index="la", columns="band", value="cost", aggfunc="max")  # type: ignore[arg-type]
    with pytest.raises(DisclosureError, match="no cells"):
        check_magnitude_table(df.iloc[0:0], index="la", columns="band", value="cost")


def test_acro_mean_crosstab_dominance_and_p_ratio(acro_data: pd.DataFrame) -> None:
    """ACRO's test_crosstab_multiple: crosstab(year, grant_type, values=inc_grants, mean) gives
    NKCheck 1 cell, PPercentCheck 2 cells, threshold 6 cells.

    The NK cell is 2010 R/G (contributions 36.6m, 8.1m, 0.9m, 0.9m); the p% cells are 2010 R/G
    and 2010 N (five contributors, all zero). On the threshold we count 7: Steward counts
    contributors with a value, and 2010 N has 59 rows but only 5 non-missing values. ACRO's
    summary counts 6 there, but the same cell is withheld by its p% rule, so the cells ACRO and
    Steward withhold are identical.
    """
    checked = check_magnitude_table(
        acro_data, index="year", columns="grant_type", value="inc_grants", aggfunc="mean"
    )
    assert checked.cells_with("dominance") == [(2010, "R/G")]
    assert sorted(checked.cells_with("p-ratio")) == [(2010, "N"), (2010, "R/G")]
    threshold = checked.cells_with("threshold")
    assert len(threshold) == 7
    assert set(threshold) - {(y, "R/G") for y in range(2010, 2016)} == {(2010, "N")}
    acro_withheld = {(y, "R/G") for y in range(2010, 2016)} | {(2010, "N")}
    withheld = checked.suppressed()
    assert {
        (r, c) for r in withheld.index for c in withheld.columns if withheld.at[r, c]
    } == acro_withheld
