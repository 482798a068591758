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
