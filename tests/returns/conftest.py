"""Small messy returns built with xlsxwriter, as local authorities send them (fictional data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

Cell = str | int | float | bool | dt.date | None


@dataclass
class Sheet:
    name: str
    headings: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    title: Sequence[str] = ()  # lines of the title block above the header
    header_row: int = 3  # 1-based row of the header
    first_column: int = 0


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` to an xlsx; strings stay strings, numbers numbers, dates real dates."""
    wb = xlsxwriter.Workbook(str(path))
    date_format = wb.add_format({"num_format": "dd/mm/yyyy"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        for i, line in enumerate(sheet.title):
            ws.write_string(i, sheet.first_column, line)
        top = sheet.header_row - 1
        for j, heading in enumerate(sheet.headings):
            ws.write_string(top, sheet.first_column + j, heading)
        for i, row in enumerate(sheet.rows, start=top + 1):
            for j, value in enumerate(row, start=sheet.first_column):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_boolean(i, j, value)
                elif isinstance(value, int | float):
                    ws.write_number(i, j, value)
                elif isinstance(value, dt.date):
                    ws.write_datetime(
                        i, j, dt.datetime(value.year, value.month, value.day), date_format
                    )
                else:
                    ws.write_string(i, j, value)
    wb.close()
    return path


REFERRAL_HEADINGS = (
    "Child ID",
    "Referral ID or Case ID",
    "Referral date",
    "Referral no further action",
    "Year and month of birth of the child",
    "Gender",
    "Ethnicity",
    "Disabled status",
    "Unaccompanied asylum seeker",
    "Free school meal eligibility (ever FSM)",
    "Pupil premium eligibility for reception, year 1 and year 2",
    "Number of previous child protection plans",
)

CP_HEADINGS = (
    "Child ID",
    "Referral ID or Case ID",
    "CP Plan Start Date",
    "Year and month of birth of the child",
    "Gender",
    "Ethnicity",
)

CLA_HEADINGS = (
    "Child ID",
    "Referral ID or Case ID",
    "Date period of care commenced",
    "Year and month of birth of the child",
    "Gender",
    "Ethnicity",
)


def referral_rows() -> list[list[Cell]]:
    """Four clean referrals in the shapes the LAs use."""
    return [
        ["000123", "R1", "03/11/2020", "No", "2012-05", "Male", "White British", "N", "N", "Y", "N", 0],
        ["000456", "R2", 44140, "Yes", "05/2010", "F", "WBRI", "No", "No", "No", "Yes", "1"],
        ["789", "R3", "2020-11-20", "0", "2015-02-14", "1", "Asian - Pakistani", "1", "0", "1", "0", 2],
        ["000999", "R4", dt.date(2020, 11, 25), "false", "2008-12", "2", "Refused", "true", "false", "false", "true", 0],
    ]  # fmt: skip


def title(la: str = "Rochdale", month: str = "November 2020") -> list[str]:
    return [f"{la} Borough Council - No Wrong Door DR2 return", f"Period: {month}"]


@dataclass
class Returns:
    folder: Path
    made: list[Path] = field(default_factory=list)

    def dr2(
        self,
        name: str = "rochdale_dr2_nov20.xlsx",
        *,
        referrals: Sequence[Sequence[Cell]] | None = None,
        referral_headings: Sequence[str] = REFERRAL_HEADINGS,
        extra_sheets: Sequence[Sheet] = (),
        **sheet_kw: Any,
    ) -> Path:
        sheets = [
            Sheet(
                "Referrals",
                referral_headings,
                referral_rows() if referrals is None else referrals,
                title=title(),
                **sheet_kw,
            ),
            *extra_sheets,
        ]
        return write_workbook(self.folder / name, sheets)


@pytest.fixture
def returns(tmp_path: Path) -> Returns:
    return Returns(tmp_path)


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str, sheets: Sequence[Sheet]) -> Path:
        return write_workbook(tmp_path / name, sheets)

    return make
