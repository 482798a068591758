"""The large DR2 workbook for the ingest benchmark."""

from __future__ import annotations

from pathlib import Path

import fastexcel

from steward.returns.layout import DR2_REFERRALS
from steward.synth import write_large_dr2
from steward.synth.mess import EXTRA_COLUMN_HEADING


def test_large_dr2_has_the_rows_and_sheets(tmp_path: Path) -> None:
    path = write_large_dr2(tmp_path / "big.xlsx", rows=3000, seed=5)
    reader = fastexcel.read_excel(path)
    assert reader.sheet_names == ["Referrals", "CP", "CLA"]
    referrals = reader.load_sheet("Referrals", header_row=2).to_pandas()
    # Every requested row, plus a few duplicated first referrals planted as mess.
    assert 3000 <= len(referrals) < 3000 * 1.02
    assert EXTRA_COLUMN_HEADING in referrals.columns
    assert len(referrals.columns) == len(DR2_REFERRALS.fields) + 1
    title = reader.load_sheet("Referrals", header_row=None, n_rows=1).to_pandas()
    assert str(title.iloc[0, 0]).startswith("No Wrong Door evaluation")
    cp = reader.load_sheet("CP", header_row=2).to_pandas()
    cla = reader.load_sheet("CLA", header_row=2).to_pandas()
    assert 0 < len(cla) < len(cp) < len(referrals)


def test_large_dr2_tidy_has_canonical_header_on_row_1(tmp_path: Path) -> None:
    path = write_large_dr2(tmp_path / "big.xlsx", rows=500, seed=5, mess=False)
    referrals = fastexcel.read_excel(path).load_sheet("Referrals").to_pandas()
    assert list(referrals.columns) == [f.name for f in DR2_REFERRALS.fields]
    assert len(referrals) == 500


def test_large_dr2_is_deterministic(tmp_path: Path) -> None:
    a = write_large_dr2(tmp_path / "a.xlsx", rows=400, seed=3)
    b = write_large_dr2(tmp_path / "b.xlsx", rows=400, seed=3)
    assert a.read_bytes() == b.read_bytes()
