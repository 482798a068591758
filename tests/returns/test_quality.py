"""The quality report: counts, missingness, failures with rows, and no values from records."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from steward.cli.returns import app
from steward.returns import read_return, validate, write_quality_report

from .conftest import REFERRAL_HEADINGS, Cell, Sheet, referral_rows, title

MakeWorkbook = Callable[[str, list[Sheet]], Path]

IDS = ("000123", "000456", "000999", "R1", "R2", "R3", "R4")


def _messy(make_workbook: MakeWorkbook, name: str = "rochdale_dr2_nov20.xlsx") -> Path:
    rows: list[list[Cell]] = referral_rows()
    rows.append(["000777", "R7", "31/02/2020", "No", "2012-05", "M", None, "N", "N", "Y", "N", 0])
    rows.append(
        ["<b>x</b>", "R8", "03/11/2020", "No", "2021-01", "M", "Martian", "N", "N", "Y", "N", 0]
    )
    headings = [*REFERRAL_HEADINGS, "Social worker notes <script>"]
    rows = [[*r, "private note"] for r in rows]
    return make_workbook(name, [Sheet("Referrals", headings, rows, title=title())])


def _read(path: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in path.iterdir()}


def test_report_counts_failures_and_missingness(
    make_workbook: MakeWorkbook, tmp_path: Path
) -> None:
    v = validate(read_return(_messy(make_workbook)))
    paths = write_quality_report([v], tmp_path / "report")
    [summary] = list(csv.DictReader(paths.summary_csv.open(encoding="utf-8")))
    assert summary["rows"] == "6" and summary["valid"] == "5" and summary["quarantined"] == "1"
    assert summary["unique_children"] == "6"
    assert summary["dropped_columns"] == "Social worker notes <script>"
    failures = list(csv.DictReader(paths.failures_csv.open(encoding="utf-8")))
    by_code = {(f["rule_code"], f["field"]): f for f in failures}
    assert by_code[("RQ02", "referral_date")]["rows"] == "8"
    assert by_code[("RQ02", "referral_date")]["column"] == "Referral date"
    assert by_code[("DT02", "birth_month")]["rows"] == "9"
    assert by_code[("CD01", "ethnicity")]["severity"] == "warning"
    missing = {(m["table"], m["field"]): m for m in csv.DictReader(paths.missingness_csv.open())}
    # Row 8's date is unreadable and row 7's ethnicity is blank: 1 of 6 each.
    assert missing[("dr2_referrals", "referral_date")]["missing"] == "1"
    assert missing[("dr2_referrals", "ethnicity")]["missing"] == "2"  # blank + Martian
    assert missing[("dr2_referrals", "ethnicity")]["missing_pct"] == "33.3"
    assert missing[("dr2_referrals", "child_id")]["la_code"] == "354"


def test_report_carries_no_identifiers_or_record_values(
    make_workbook: MakeWorkbook, tmp_path: Path
) -> None:
    v = validate(read_return(_messy(make_workbook)))
    paths = write_quality_report([v], tmp_path / "report")
    for name, text in _read(paths.html.parent).items():
        for value in (*IDS, "000777", "31/02/2020", "Martian", "private note", "2012-05"):
            assert value not in text, (name, value)
    html = paths.html.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html  # escaped
    assert "<b>x</b>" not in html
    assert "RQ02" in html and "blocking" in html


def test_cli_check_writes_the_report_and_reports_bad_files(
    make_workbook: MakeWorkbook, tmp_path: Path
) -> None:
    good = _messy(make_workbook)
    bad = tmp_path / "norfolk_dr2_nov20.xlsx"
    bad.write_bytes(b"%PDF-1.4 not a return")
    out = tmp_path / "qr"
    result = CliRunner().invoke(
        app, ["check", str(good), str(bad), "--out", str(out), "--decisions"]
    )
    assert result.exit_code == 7, result.output
    assert "norfolk_dr2_nov20.xlsx is a PDF" in result.output
    assert "1 of 2 file(s) could not be read" in result.output
    assert "Traceback" not in result.output
    assert (out / "quality.html").exists()
    assert "000123" not in result.output


def test_cli_strict_fails_on_quarantined_rows(make_workbook: MakeWorkbook, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["check", str(_messy(make_workbook)), "--strict", "--out", str(tmp_path / "q")]
    )
    assert result.exit_code == 7
    assert "blocking" in result.output
    clean = make_workbook(
        "rochdale_dr2_dec20.xlsx", [Sheet("R", REFERRAL_HEADINGS, referral_rows())]
    )
    ok = CliRunner().invoke(app, ["check", str(clean), "--strict", "--out", str(tmp_path / "q2")])
    assert ok.exit_code == 0, ok.output
