"""Reading a return a batch of rows at a time gives exactly what one batch gives.

Tables are detected from each sheet's first rows and normalised batch by batch; the batch size
must change nothing: not the typed tables, not the decisions (blank rows, unnamed columns far
below the header), not the validation (duplicates across batches, row numbers in reasons).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from steward.returns import read_return, sheets, validate
from steward.returns.validate import rows_between
from steward.synth import generate_returns, write_large_dr2

from .conftest import REFERRAL_HEADINGS, Cell, Sheet, referral_rows, title, write_workbook

ONE_BATCH = 1_000_000


def _everything(path: Path, batch_rows: int) -> dict[str, Any]:
    """All a reading and its validation hold, in comparable form."""
    reading = read_return(path, batch_rows=batch_rows)
    tables = [
        (t.table.name, t.sheet, t.header_row, t.data, t.dropped_columns, t.missing_columns,
         t.headings, t.problems, t.examples, t.blank_rows)
        for t in reading.tables
    ]  # fmt: skip
    validated = validate(reading)
    checked = [
        (t.rows_in, t.valid, t.quarantined, [(f, f.examples) for f in t.failures])
        for t in validated.tables
    ]
    return {
        "tables": tables,
        "checked": checked,
        "decisions": validated.decisions,
        "la": reading.la_code,
        "month": reading.return_month,
    }


def _messy(path: Path) -> Path:
    """A referrals sheet whose oddities fall on both sides of small batch boundaries."""
    rows: list[list[Cell]] = []
    for i in range(40):
        row = list(referral_rows()[i % 4])
        row[0] = f"{i % 13:06d}"  # children repeat
        row[1] = f"R{i % 17}"
        rows.append(row)
    rows[36] = list(rows[2])  # an exact duplicate of a row some batches before
    rows[5][2] = "31/02/2020"  # an impossible date: reported with its text as an example
    rows[9][5] = "Martian"  # an unknown code
    rows[20] = [None] * len(rows[20])  # blank rows between records
    rows[21] = [None] * len(rows[21])
    rows[33][0] = None  # a required value missing
    rows[30] = [*rows[30], None, "note"]  # an unnamed column, filled only far below the header
    sheet = Sheet("Referrals", REFERRAL_HEADINGS, rows, title=title(), first_column=1)
    path = write_workbook(path, [sheet])
    return path


@pytest.mark.parametrize("batch_rows", [1, 7, 16])
def test_batch_size_never_changes_a_messy_return(tmp_path: Path, batch_rows: int) -> None:
    path = _messy(tmp_path / "rochdale_dr2_nov20.xlsx")
    whole = _everything(path, ONE_BATCH)
    assert _everything(path, batch_rows) == whole
    decisions = " ".join(whole["decisions"])
    assert "2 blank rows skipped" in decisions
    assert "(unnamed column 13)" in decisions  # its only value is on row 34, past the head
    codes = {f.rule_code for t in whole["checked"] for f, _ in t[3]}
    assert {"RQ01", "RQ02", "CD01", "DU01"} <= codes
    rq02 = next(f for t in whole["checked"] for f, _ in t[3] if f.rule_code == "RQ02")
    assert rq02.rows == (9,) and rq02.examples == ("31/02/2020",)


def test_batches_give_what_the_whole_sheet_reader_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _messy(tmp_path / "rochdale_dr2_nov20.xlsx")
    streamed = _everything(path, 7)
    monkeypatch.setattr(sheets, "XLSX_ENGINE", "fastexcel")
    assert _everything(path, 7) == streamed


def test_batch_size_never_changes_synthetic_returns(tmp_path: Path) -> None:
    generate_returns(tmp_path, scale="tiny", seed=2)
    files = sorted(tmp_path.rglob("*.xlsx"))
    for path in files[:: max(1, len(files) // 4)]:
        assert _everything(path, 7) == _everything(path, ONE_BATCH), path.name


def test_batch_size_never_changes_a_large_return(tmp_path: Path) -> None:
    path = write_large_dr2(tmp_path / "rochdale_dr2_dec24.xlsx", rows=3000, seed=4)
    whole = _everything(path, ONE_BATCH)
    assert _everything(path, 97) == whole
    assert any(t[2].num_rows for t in whole["checked"])  # some rows were quarantined


def test_valid_rows_stay_in_place_or_are_filtered_alike() -> None:
    data = pa.table({"x": list(range(10_000))})
    few = rows_between(data, pa.array([3, 4, 9_999]).to_numpy())
    assert few["x"].to_pylist() == [x for x in range(10_000) if x not in (3, 4, 9_999)]
    many = rows_between(data, pa.array(range(0, 10_000, 2)).to_numpy())
    assert many["x"].to_pylist() == list(range(1, 10_000, 2))
    assert rows_between(data, pa.array([], pa.int64()).to_numpy()) is data
