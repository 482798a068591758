"""One LA's SSDA903 tables for a year at national volumes, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.synth.national import write_national


@pytest.fixture(scope="session")
def national_la(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the first LA's 2023-24 returns (CIN census and the SSDA903 tables)."""
    out = tmp_path_factory.mktemp("national_903")
    write_national(out, seed=3, las=1, years=(2024,), workers=1)
    (folder,) = [p for p in out.iterdir() if p.is_dir() and p.name not in ("npd", "npd_truth")]
    return folder
