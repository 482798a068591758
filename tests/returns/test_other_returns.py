"""DR1 aggregates, DR3 tables and CSV exports read through the same detection and rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from steward.returns import read_return, validate

from .conftest import Sheet

D = dt.date
MakeWorkbook = Callable[[str, list[Sheet]], Path]

DR1_HEADINGS = ("Reporting month", "Number of new referrals", "Open CIN cases", "New CIN plans",
                "Open CPPs", "Child protection plans started", "CLA at month end",
                "Children newly looked after", "CLA rate per 10,000 children",
                "Proportion White British")  # fmt: skip


def test_dr1_monthly_aggregates(make_workbook: MakeWorkbook) -> None:
    rows = [["2020-10", 120, 800, 40, 150, 20, 400, 12, "71.5", "45%"],
            ["11/2020", "131", 805, 38, 149, 22, 402, 9, 71.9, 0.46],
            ["Dec 2020", "n/a", 810, 41, 151, 18, 404, 10, 72.0, None]]  # fmt: skip
    path = make_workbook("warrington_dr1_dec20.xlsx", [Sheet("LA level", DR1_HEADINGS, rows)])
    v = validate(read_return(path))
    assert v.return_type == "dr1"
    table = v.table("dr1_monthly")
    data = read_return(path).tables[0].data
    assert data["month"].to_pylist() == [D(2020, 10, 1), D(2020, 11, 1), None]
    assert data["new_referrals"].to_pylist() == [120, 131, None]
    assert data.schema.field("new_referrals").type == pa.int64()
    assert data["cla_rate_per_10k"].to_pylist() == [71.5, 71.9, 72.0]
    assert data["prop_white_british"].to_pylist() == [0.45, 0.46, None]
    # 'Dec 2020' is not a month the reader accepts, and 'n/a' is not a count: both blocking.
    codes = {(f.rule_code, f.field): f.rows for f in v.failures}
    assert codes[("RQ02", "month")] == (6,)
    assert codes[("RQ02", "new_referrals")] == (6,)
    assert table.valid.num_rows == 2 and table.quarantined.num_rows == 1


def test_dr3_tables_with_codes(make_workbook: MakeWorkbook) -> None:
    episodes = Sheet("Episodes", ["Child ID", "Date episode commenced", "Date episode ceased",
                                  "Legal status", "Placement type"],
                     [["0042", "01/04/2021", "30/06/2021", "C2", "U4"],
                      ["0043", "01/04/2021", "01/03/2021", "V2", "K3"],
                      ["0044", "2021-05-01", None, "XX", "u6"]])  # fmt: skip
    closures = Sheet("Sheet2", ["Child ID", "Referral ID or Case ID", "CIN closure date",
                                "Reason for closure"],
                     [["0042", "R1", "01/06/2021", "RC8"], ["0045", "R2", "02/06/2021", "RC9"]])  # fmt: skip
    neet = Sheet("NEET", ["Child ID", "Year and month of birth", "Date of activity", "Main activity"],
                 [["0046", "2004-02", "01/06/2021", "EDU"], ["0047", "2003-11", "01/06/2021", "Employment"]])  # fmt: skip
    v = validate(read_return(make_workbook("norfolk_dr3_jun21.xlsx", [episodes, closures, neet])))
    assert {t.table.name for t in v.tables} == {"dr3_care_episodes", "dr3_cin_closures", "dr3_neet"}
    ep = v.table("dr3_care_episodes")
    assert ep.valid["legal_status"].to_pylist() == ["C2", None]
    # K3 is a placement only from 2024-25; XX is no legal status: warnings, value kept missing.
    assert ep.valid["placement_type"].to_pylist() == ["U4", "U6"]
    failures = {(f.rule_code, f.field): f.rows for f in v.failures}
    assert failures[("DT07", "episode_end_date")] == (5,)
    assert failures[("CD01", "legal_status")] == (6,)
    # RC9 (referred to early help) enters the closure reasons in 2022-23, after this return.
    assert failures[("CD01", "closure_reason")] == (5,)
    assert v.table("dr3_neet").valid["main_activity"].to_pylist() == ["EDU", "EMP"]


def test_csv_with_bom_and_excel_serial_dates(tmp_path: Path) -> None:
    path = tmp_path / "leicester_dr2_jan22.csv"
    text = ("Child ID,Referral ID or Case ID,Referral date,Year and month of birth,Gender\r\n"
            '000123,R1,44562,2012-05,Female\r\n"000124",R2,"03/01/2022",05/2011,Male\r\n')  # fmt: skip
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    reading = read_return(path)
    [table] = reading.tables
    assert table.data["child_id"].to_pylist() == ["000123", "000124"]
    assert table.data["referral_date"].to_pylist() == [D(2022, 1, 1), D(2022, 1, 3)]
    assert reading.return_month == D(2022, 1, 1) and reading.la_code == "856"
