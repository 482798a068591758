"""Fixtures of the disclosure tests: ACRO's own test data (charity grants by year)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ACRO_DATA = (
    Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "sdc" / "acro_test_data.dta"
)


@pytest.fixture(scope="session")
def acro_data() -> pd.DataFrame:
    """ACRO's test_data.dta, read the way ACRO's tests read it."""
    return pd.read_stata(ACRO_DATA)
