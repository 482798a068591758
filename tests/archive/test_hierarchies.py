"""The archive's hierarchies cover every value the dataset can hold, missing ones included."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from steward.archive import hierarchies
from steward.archive.hierarchies import MISSING, build, level_order
from steward.archive.variables import plain
from steward.archive.writers import DTA_TIMESTAMP, write_dta


def test_age_in_months_to_years_bands_and_suppression() -> None:
    h = build("age_months", "age", ["-3", "0", "11", "12", "59", "60", "191", "200", MISSING])
    assert [h.generalise(v, 1) for v in ("-3", "0", "12", "191")] == ["unborn", "0", "1", "15"]
    assert [h.generalise(v, 2) for v in ("-3", "11", "12", "59", "60", "191", "200")] == [
        "under 1", "under 1", "1-4", "1-4", "5-9", "10-15", "16+",
    ]  # fmt: skip
    assert h.generalise(MISSING, 2) == MISSING and h.generalise("60", 3) == "*"
    # Ages keep their order, so Stata codes follow age.
    assert level_order(h, 2)[:3] == ["under 1", "1-4", "5-9"]


def test_dates_ethnicity_and_local_authority() -> None:
    dates = build("date", "d", ["2021-02-28", "2019-04-01", MISSING])
    assert [dates.generalise("2021-02-28", level) for level in range(5)] == [
        "2021-02-28", "2021-02", "2021-Q1", "2021", "*",
    ]  # fmt: skip
    eth = build("ethnicity", "e", ["WBRI", "REFU", "NOBT", MISSING])
    assert eth.generalise("WBRI", 1) == "White" and eth.generalise("CHNE", 1) == "Other"
    assert {eth.generalise(v, 1) for v in ("REFU", "NOBT", MISSING)} == {"Not known"}
    la = build("local_authority", "la", ["354", "926"])
    assert la.generalise("354", 1) == "North West" and la.generalise("926", 2) == "England"


@pytest.mark.parametrize("kind", sorted(hierarchies.BUILDERS))
def test_every_kind_covers_missing_values(kind: str) -> None:
    values = {"age_months": ["5"], "date": ["2020-01-01"], "local_authority": ["354"]}.get(
        kind, ["x"]
    )
    h = build(kind, "c", [*values, MISSING])
    column = pd.Series([*values, MISSING], dtype=object)
    if kind == "local_authority":
        column = pd.Series(values, dtype=object)  # an LA is never missing
    assert (h.positions(column) >= 0).all()
    assert h.height == len(hierarchies.LEVEL_NAMES[kind])


def test_dta_time_stamp_is_fixed(tmp_path: Path) -> None:
    table = pd.DataFrame({"archive_id": ["A1", "A2"]})
    variables = [plain("archive_id", "Archive record id", "text", None, table["archive_id"])]
    write_dta(table, variables, tmp_path / "one.dta", "test")
    write_dta(table, variables, tmp_path / "two.dta", "test")
    one = (tmp_path / "one.dta").read_bytes()
    assert one == (tmp_path / "two.dta").read_bytes()
    assert b"<timestamp>\x11" + DTA_TIMESTAMP + b"</timestamp>" in one[:300]
