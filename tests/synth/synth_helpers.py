"""Reading synthetic workbooks back in the synth tests."""

from __future__ import annotations

from pathlib import Path

import fastexcel
import pandas as pd

from steward.synth import SynthResult


def read_tidy(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a tidy workbook (header on row 1) as a DataFrame."""
    reader = fastexcel.read_excel(path)
    return {name: reader.load_sheet(name).to_pandas() for name in reader.sheet_names}


def latest(result: SynthResult, slug: str, return_type: str) -> Path:
    """The last file of one LA and return type (files are written in submission order)."""
    return [p for p in result.files if p.name.startswith(f"{slug}_{return_type}_")][-1]


def of(result: SynthResult, slug: str, return_type: str) -> list[Path]:
    """All files of one LA and return type, in submission order."""
    return [p for p in result.files if p.name.startswith(f"{slug}_{return_type}_")]


def as_dates(values: pd.Series) -> pd.Series:
    """Dates however an LA wrote them: date cells, bare Excel serials or dd/mm/yyyy text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_datetime(values, unit="D", origin="1899-12-30")
    return pd.to_datetime(values, format="%d/%m/%Y")


def as_months(values: pd.Series) -> pd.Series:
    """Months written as YYYY-MM, MM/YYYY or a date cell, as the 1st of the month."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.to_period("M").dt.to_timestamp()
    fmt = "%Y-%m" if values.dropna().str.fullmatch(r"\d{4}-\d{2}").all() else "%m/%Y"
    return pd.to_datetime(values, format=fmt)
