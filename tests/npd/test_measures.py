"""Derived absence measures: rate, persistent absence thresholds, the explicit 2019/20 gap."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from steward.returns.npd import absence_measures, absence_measures_sql, persistent_threshold


def rows(*spec: tuple[str, int, str, int, int]) -> pd.DataFrame:
    """(pmr, year, term, possible, overall); authorised = overall, unauthorised = 0."""
    return pd.DataFrame(
        [
            {"pmr": p, "academic_year": y, "term": t, "sessions_possible": s,
             "authorised_absence": o, "unauthorised_absence": 0, "overall_absence": o}
            for p, y, t, s, o in spec
        ]
    )  # fmt: skip


ABSENCE = rows(
    ("A", 2018, "autumn", 140, 7), ("A", 2018, "spring", 120, 6), ("A", 2018, "summer", 140, 13),
    ("A", 2020, "autumn", 100, 5),
    ("B", 2014, "autumn", 100, 14),  # 14% in 2014/15: below that year's 15% threshold
    ("B", 2015, "autumn", 100, 10),  # exactly 10% in 2015/16: persistent
    ("C", 2021, "autumn", 0, 0),  # no possible sessions: no rate
)  # fmt: skip


def test_thresholds_by_year() -> None:
    assert [persistent_threshold(y) for y in (2008, 2010, 2014, 2015, 2023)] == [
        0.20, 0.15, 0.15, 0.10, 0.10,
    ]  # fmt: skip


def test_rates_and_persistent_absence() -> None:
    m = absence_measures(ABSENCE).set_index(["pmr", "academic_year"])
    assert m.loc[("A", 2018), "sessions_possible"] == 400
    assert m.loc[("A", 2018), "absence_rate"] == pytest.approx(26 / 400)
    assert not m.loc[("A", 2018), "persistent_absence"]
    assert not m.loc[("B", 2014), "persistent_absence"]
    assert m.loc[("B", 2015), "persistent_absence"]
    assert np.isnan(m.loc[("C", 2021), "absence_rate"])
    assert pd.isna(m.loc[("C", 2021), "persistent_absence"])


def test_2019_20_is_explicitly_not_collected() -> None:
    m = absence_measures(ABSENCE).set_index(["pmr", "academic_year"])
    gap = m.loc[("A", 2019)]
    assert not gap["absence_collected"]
    assert np.isnan(gap["absence_rate"]) and pd.isna(gap["persistent_absence"])
    # Only pupils with data on both sides of the gap get the row.
    assert ("B", 2019) not in m.index and ("C", 2019) not in m.index
    # Even a (wrongly) delivered 2019/20 row is not turned into a measure.
    with_bad = pd.concat([ABSENCE, rows(("A", 2019, "autumn", 140, 0))])
    assert (
        not absence_measures(with_bad)
        .set_index(["pmr", "academic_year"])
        .loc[("A", 2019), "absence_collected"]
    )


def test_sql_agrees_with_the_reference() -> None:
    con = duckdb.connect()
    con.register("npd_absence_current", ABSENCE)
    sql = con.sql(absence_measures_sql()).df()
    ref = absence_measures(ABSENCE)
    assert list(sql["pmr"]) == list(ref["pmr"])
    assert list(sql["academic_year"]) == list(ref["academic_year"])
    assert list(sql["absence_collected"]) == list(ref["absence_collected"])
    np.testing.assert_allclose(sql["absence_rate"].astype(float), ref["absence_rate"].astype(float))
    assert [None if pd.isna(v) else bool(v) for v in sql["persistent_absence"]] == [
        None if pd.isna(v) else bool(v) for v in ref["persistent_absence"]
    ]
