"""The linkage report: match rates per LA, source and year, unmatched by reason, conflicts.

Counts only, every table through output disclosure control (``check_frequency_table``: counts
below the threshold and zeros suppressed, then secondary suppression so no withheld count can be
worked out from the totals). A match rate is shown only where both the matched count and its
row total are published. Written as one CSV per table plus an HTML page.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from steward.disclosure import CheckedOutput, SdcRules, check_frequency_table, to_display
from steward.errors import DisclosureError
from steward.linkage.deterministic import (
    CIN_REASONS,
    NPD_REASONS,
    S903_REASONS,
    LinkageResult,
)
from steward.linkage.probabilistic import MATCH_WEIGHT_THRESHOLD, ProbabilisticResult
from steward.returns.npd.spec import year_label
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES

SOURCES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # source -> (status column, label, reasons)
    "cin_census": ("cin_status", "CIN census", CIN_REASONS),
    "ssda903": ("s903_status", "SSDA903 (looked-after children)", S903_REASONS),
    "npd": ("npd_status", "National Pupil Database", NPD_REASONS),
}
CONFLICTS = {"birth_year_month": "birth year-month", "sex": "sex", "upn": "UPN pseudonym"}
_LA_NAMES = {la.code: la.name for la in NWD_LOCAL_AUTHORITIES}


@dataclass
class ReportTable:
    """One checked table of the report and the text shown for it."""

    name: str
    title: str
    checked: CheckedOutput
    display: pd.DataFrame


@dataclass
class LinkageReport:
    tables: list[ReportTable]
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # The probabilistic model's parameters (not counts of children), when it was run.
    match_weights: pd.DataFrame | None = None

    def table(self, name: str) -> ReportTable:
        return next(t for t in self.tables if t.name == name)


def _la(code: str) -> str:
    return _LA_NAMES.get(code, code)


def _year(value: object) -> str:
    return "year unknown" if value is None or pd.isna(value) else year_label(int(value))  # type: ignore[call-overload]


def build_report(result: LinkageResult, rules: SdcRules | None = None) -> LinkageReport:
    """Every table of the report, disclosure-checked."""
    rules = rules or SdcRules()
    report = LinkageReport([], list(result.notes))
    children = result.children
    for source, (column, label, reasons) in SOURCES.items():
        if source == "npd" and not result.npd_linked:
            continue
        expected = children[children[column].notna()]
        if expected.empty:
            report.notes.append(f"{label}: no child is expected in this source; no table.")
            continue
        rows = expected["la_code"].map(_la) + " " + expected["first_referral_year"].map(_year)
        linked = np.where(expected[column] == "matched", "matched", "unmatched")
        counts = pd.crosstab(
            pd.Series(rows.to_numpy(), name="LA and year of first referral"),
            pd.Series(linked, name="linked"),
        )
        counts = counts.reindex(columns=["matched", "unmatched"], fill_value=0)
        counts = counts.loc[:, counts.sum() > 0]  # e.g. no one unmatched anywhere
        checked = _check(counts, f"linkage_{source}", rules)
        report.tables.append(
            ReportTable(
                f"linkage_{source}", f"{label}: children linked", checked, _with_rate(checked)
            )
        )
        unmatched = expected[expected[column] != "matched"]
        if unmatched.empty:
            continue
        by_reason = pd.crosstab(
            pd.Series(unmatched["la_code"].map(_la).to_numpy(), name="LA"),
            pd.Series(unmatched[column].to_numpy(), name="reason"),
        ).reindex(columns=[r for r in reasons if r in set(unmatched[column])])
        checked = _check(by_reason, f"unmatched_{source}", rules)
        report.tables.append(
            ReportTable(
                f"unmatched_{source}",
                f"{label}: children not linked, by reason",
                checked,
                to_display(checked),
            )
        )
    conflicts = result.conflicts
    if not conflicts[list(CONFLICTS)].any().any():
        report.notes.append("No child's sources disagree on birth year-month, sex or UPN.")
    else:
        counts = (
            conflicts.assign(LA=conflicts["la_code"].map(_la))
            .groupby("LA")[list(CONFLICTS)]
            .sum()
            .astype("int64")
            .rename(columns=CONFLICTS)
        )
        # An attribute no source disagrees on anywhere is left out, as are absent reasons above:
        # a column of zeros describes no one, and would suppress every cell beside it.
        counts = counts.loc[:, counts.sum() > 0]
        counts.columns.name = "conflicting attribute"
        checked = _check(counts, "conflicts", rules)
        report.tables.append(
            ReportTable(
                "conflicts",
                "Children whose sources disagree, by attribute",
                checked,
                to_display(checked),
            )
        )
    return report


def add_probabilistic(
    report: LinkageReport, result: ProbabilisticResult, rules: SdcRules | None = None
) -> None:
    """Add the probabilistic run: candidates per DR child by LA (checked) and the match weights."""
    rules = rules or SdcRules()
    report.match_weights = result.weights
    report.notes.append(
        "Probabilistic linkage was run on request (birth year-month, sex, postcode district "
        f"within LA; match weight threshold {MATCH_WEIGHT_THRESHOLD:g}). Its candidate pairs are "
        "kept apart from the deterministic linkage table and need review before any use."
    )
    if result.left == 0:
        report.notes.append("Probabilistic linkage: every DR child has a statutory record.")
        return
    per_child = result.pairs.groupby(["la_code", "dr_child_pid"]).size()
    lefts = result.left_children
    found = lefts.merge(per_child.rename("n").reset_index(), how="left",
                        left_on=["la_code", "child_pid"], right_on=["la_code", "dr_child_pid"])  # fmt: skip
    band = np.select([found["n"].isna(), found["n"] == 1], ["no candidate", "one candidate"],
                     "several candidates")  # fmt: skip
    counts = pd.crosstab(pd.Series(found["la_code"].map(_la).to_numpy(), name="LA"),
                         pd.Series(band, name="candidates"))  # fmt: skip
    counts = counts.reindex(columns=["one candidate", "several candidates", "no candidate"])
    counts = counts.loc[:, counts.fillna(0).sum() > 0].fillna(0).astype("int64")
    checked = _check(counts, "probabilistic_candidates", rules)
    report.tables.append(
        ReportTable("probabilistic_candidates",
                    "Probabilistic: DR children without a statutory record, by candidates found",
                    checked, to_display(checked))
    )  # fmt: skip


def _check(counts: pd.DataFrame, name: str, rules: SdcRules) -> CheckedOutput:
    try:
        return check_frequency_table(counts, rules=rules, name=name, command="steward linkage")
    except DisclosureError:
        raise
    except ValueError as exc:  # pragma: no cover - an empty or malformed table is a bug
        raise DisclosureError(what=f"{name} cannot be checked: {exc}", fix="Report this.") from exc


def _with_rate(checked: CheckedOutput) -> pd.DataFrame:
    """The display table plus a match rate where the matched count and the total are public."""
    shown = to_display(checked)
    safe, suppressed = checked.safe, checked.suppressed()
    if "All" not in safe.columns:
        return shown
    if "matched" not in safe.columns:  # no child linked anywhere: every rate is 0
        return shown.assign(**{"match rate (%)": "0.0"})
    matched = safe["matched"].to_numpy(dtype=float)
    total = safe["All"].to_numpy(dtype=float)
    hidden = (suppressed["matched"] | suppressed["All"]).to_numpy()
    rates = [
        "[c]" if h or not t > 0 else f"{100 * m / t:.1f}"
        for m, t, h in zip(matched, total, hidden, strict=True)
    ]
    return shown.assign(**{"match rate (%)": rates})


def write_report(report: LinkageReport, folder: Path) -> list[Path]:
    """One CSV per table and ``linkage_report.html`` in ``folder`` (written atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for table in report.tables:
        files.append(_atomic(folder / f"{table.name}.csv", table.display.to_csv()))
    if report.match_weights is not None:
        files.append(
            _atomic(folder / "match_weights.csv", report.match_weights.to_csv(index=False))
        )
    files.append(_atomic(folder / "linkage_report.html", render_html(report)))
    report.files = files
    return files


def render_html(report: LinkageReport) -> str:
    """The report as one self-contained HTML page."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Linkage report</title><style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .6em;"
        "text-align:right}th{background:#eee}</style></head><body>",
        "<h1>Linkage report</h1>",
        "<p>Counts of children, disclosure-checked: [c] marks a value withheld to protect "
        "confidentiality (a small count, a zero, or one that would reveal another).</p>",
    ]
    for note in report.notes:
        parts.append(f"<p><strong>Note:</strong> {html.escape(note)}</p>")
    for table in report.tables:
        parts.append(f"<h2>{html.escape(table.title)}</h2>")
        parts.append(table.display.to_html(escape=True, border=0))
        parts.append(f"<p><small>{html.escape(table.checked.summary)}</small></p>")
    if report.match_weights is not None:
        parts.append("<h2>Probabilistic linkage: match weights of the model</h2>")
        parts.append(report.match_weights.to_html(index=False, escape=True, border=0))
        parts.append(
            "<p><small>match weight = log2(m / u) per comparison level; m set a "
            "priori, u from how often values agree by chance.</small></p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def _atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
