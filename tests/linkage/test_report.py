"""The linkage report: counts only, small counts and zeros suppressed, rates only where safe."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from steward.linkage import build_report, write_report
from steward.linkage.deterministic import LinkageResult


def children(la: str, year: int, statuses: dict[str, int], start: int) -> list[dict]:
    rows = []
    for status, n in statuses.items():
        for _ in range(n):
            rows.append({"la_code": la, "child_pid": f"p{start + len(rows)}",
                         "first_referral_year": year, "looked_after": False,
                         "cin_status": "matched", "s903_status": None, "upn_pid": None,
                         "upn_unknown": None, "pmr": None, "npd_status": status})  # fmt: skip
    return rows


def result() -> LinkageResult:
    rows = (
        children("354", 2021, {"matched": 150, "no_pmr": 4}, 0)
        + children("926", 2021, {"matched": 200, "no_upn": 12, "no_pmr": 18}, 1000)
        + children("877", 2021, {"matched": 300, "no_upn": 20, "no_pmr": 20}, 2000)
    )
    frame = pd.DataFrame(rows)
    conflicts = pd.DataFrame({"la_code": frame["la_code"], "child_pid": frame["child_pid"],
                              "birth_year_month": [i < 3 for i in range(len(frame))],
                              "sex": [i >= len(frame) - 11 for i in range(len(frame))],
                              "upn": False})  # fmt: skip
    return LinkageResult(frame, conflicts, npd_linked=True)


def numbers(display: pd.DataFrame, skip: tuple[str, ...] = ()) -> list[float]:
    values = []
    for column in display.columns:
        if column in skip:
            continue
        values += [float(v) for v in display[column] if v not in ("[c]", "")]
    return values


def test_small_counts_and_zeros_are_suppressed() -> None:
    report = build_report(result())
    npd = report.table("linkage_npd").display
    assert npd.loc["Rochdale 2021/22", "unmatched"] == "[c]"  # 4 < 10
    # Rochdale's matched count would give the 4 away from the published total: withheld too.
    assert "[c]" in (npd.loc["Rochdale 2021/22", "matched"], npd.loc["Rochdale 2021/22", "All"])
    assert npd.loc["Rochdale 2021/22", "match rate (%)"] == "[c]"
    # Secondary suppression withholds one more row's cells; the other keeps its rate.
    shown = {r: npd.loc[f"{r} 2021/22", "match rate (%)"] for r in ("Norfolk", "Warrington")}
    assert sorted(shown.values()).count("[c]") == 1
    assert shown["Norfolk"] in ("87.0", "[c]") and shown["Warrington"] in ("88.2", "[c]")
    assert npd.loc["All", "matched"] == "650" and npd.loc["All", "match rate (%)"] == "89.8"
    reasons = report.table("unmatched_npd").display
    big = reasons.loc[["Norfolk", "Warrington"], ["no_upn", "no_pmr"]].to_numpy().ravel()
    published = [v for v in big if v != "[c]"]
    assert published and set(published) <= {"12", "18", "20"}
    assert reasons.loc["Rochdale", "no_pmr"] == "[c]"
    assert reasons.loc["Rochdale", "no_upn"] == "[c]"  # a zero is suppressed too
    assert "not_in_extract" not in reasons.columns  # a reason that occurs nowhere is left out
    conflicts = report.table("conflicts").display
    assert conflicts.loc["Rochdale", "birth year-month"] == "[c]"  # 3 children
    assert "UPN pseudonym" not in conflicts.columns  # no child has conflicting UPNs
    for table in report.tables:
        shown = numbers(table.display, skip=("match rate (%)",))
        assert all(v >= 10 for v in shown), table.name
        # "fail" may only mean "every cell withheld", never a recoverable withheld cell.
        assert not any("recovered" in c for c in table.checked.comments), table.name


def test_written_as_csv_and_html_without_pseudonyms(tmp_path: Path) -> None:
    report = build_report(result())
    files = write_report(report, tmp_path / "reports" / "linkage")
    names = {f.name for f in files}
    assert {"linkage_npd.csv", "unmatched_npd.csv", "conflicts.csv", "linkage_report.html"} <= names
    assert {"linkage_cin_census.csv"} <= names
    html = (tmp_path / "reports" / "linkage" / "linkage_report.html").read_text()
    assert "[c]" in html and "Norfolk 2021/22" in html
    for f in files:
        text = f.read_text()
        assert "p1000" not in text and "p0" not in text.split()  # no child pseudonyms
    csv = pd.read_csv(tmp_path / "reports" / "linkage" / "linkage_npd.csv", index_col=0)
    assert csv.loc["Rochdale 2021/22", "unmatched"] == "[c]"
