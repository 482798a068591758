"""School absence outcomes through the pupil lookup (as inside the secure research service)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from steward.cohort.secondary import build_secondary
from steward.store import ResearchStore
from steward.study.definition import SecondaryOutcome

OUTCOMES = [
    SecondaryOutcome(name="absence", kind="absence_rate", within_months=12),
    SecondaryOutcome(name="persistent", kind="persistent_absence", within_months=12),
]


def _insert(store: ResearchStore, table: str, rows: list[tuple[object, ...]]) -> None:
    marks = ", ".join(["?"] * len(rows[0]))
    for row in rows:
        store.con.execute(f'INSERT INTO "{table}" VALUES ({marks})', list(row))


def test_absence_in_the_academic_year_after_referral(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "store.duckdb") as store:
        store.con.execute(
            "INSERT INTO submissions VALUES ('s1', '926', 'cin', DATE '2022-03-31', 'c.xml', "
            "now()::TIMESTAMP, 3, 0), ('s2', 'DfE-NPD', 'npd', DATE '2023-08-31', 'a.csv', "
            "now()::TIMESTAMP, 9, 0)"
        )
        prov_cin = ("926", dt.date(2022, 3, 31), "s1", "Child")
        _insert(store, "cin_children", [
            (pid, f"u{pid}", None, None, "2008-01", None, "F", None, "WBRI", 2022, *prov_cin, n)
            for n, pid in enumerate(["a", "b", "c"], start=1)
        ])  # fmt: skip
        prov_npd = ("DfE-NPD", dt.date(2023, 8, 31), "s2")
        _insert(store, "npd_pmr_lookup", [
            ("P1", "ua", *prov_npd, "lookup", 1), ("P2", "ub", *prov_npd, "lookup", 2),
        ])  # fmt: skip
        # Child a: referred Oct 2020 (2020/21) -> outcome year 2021/22: 30 of 300 sessions.
        # Child b: referred Feb 2021 (2020/21) -> 2021/22 too: 6 of 300 sessions.
        # Child c: no pupil reference -> missing.
        _insert(store, "npd_absence", [
            ("P1", 2021, term, 100, 5, 5, 10, *prov_npd, "absence", i)
            for i, term in enumerate(("autumn", "spring", "summer"))
        ] + [
            ("P2", 2021, term, 100, 2, 0, 2, *prov_npd, "absence", 10 + i)
            for i, term in enumerate(("autumn", "spring", "summer"))
        ] + [("P1", 2020, "autumn", 100, 50, 50, 100, *prov_npd, "absence", 20)])  # fmt: skip
        index = pd.DataFrame({
            "la_code": ["926"] * 3, "child_pid": ["a", "b", "c"], "referral_pid": ["r1", "r2", "r3"],
            "referral_date": [dt.date(2020, 10, 5), dt.date(2021, 2, 1), dt.date(2021, 1, 1)],
        })  # fmt: skip
        result = build_secondary(store.sql, index, OUTCOMES)
    values = result.values.set_index("child_pid")
    assert result.skipped == {}
    assert values.loc["a", "absence"] == 0.10 and values.loc["a", "persistent"] == 1
    assert abs(values.loc["b", "absence"] - 0.02) < 1e-12 and values.loc["b", "persistent"] == 0
    assert pd.isna(values.loc["c", "absence"])


def test_absence_skipped_without_the_extract(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "store.duckdb") as store:
        index = pd.DataFrame({"la_code": ["926"], "child_pid": ["a"], "referral_pid": ["r"],
                              "referral_date": [dt.date(2021, 1, 1)]})  # fmt: skip
        result = build_secondary(store.sql, index, OUTCOMES)
    assert "secure research service" in result.skipped["absence"]
