"""Shared pieces of the anonymisation tests: the Adult fixture and a brute-force reference."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from steward.anonymise import Hierarchy

ADULT = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "anonymisation" / "adult"
ADULT_QIS = [
    "age",
    "education",
    "marital-status",
    "native-country",
    "race",
    "salary-class",
    "sex",
    "workclass",
]


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    return pd.read_csv(ADULT / "adult.csv", sep=";", dtype=str, keep_default_na=False)


def adult_hierarchy(column: str) -> Hierarchy:
    return Hierarchy.from_csv(ADULT / f"adult_hierarchy_{column}.csv", sep=";", name=column)


@pytest.fixture(scope="session")
def adult_hierarchies() -> dict[str, Hierarchy]:
    return {column: adult_hierarchy(column) for column in ADULT_QIS}
