"""Render the analysis report (HTML) and export its tables (CSV and XLSX).

Only disclosure-checked outputs are used: suppressed cells appear as the GSS symbol ``[c]``,
a model that failed (or whose output failed control) is shown as failed, never as a number.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from steward.disclosure import to_display
from steward.report.plots import forest_plot, observed_expected_plot

if TYPE_CHECKING:
    from steward.analyse import AnalysisRun
    from steward.workspace import Workspace

_TEMPLATE = jinja2.Environment(
    loader=jinja2.PackageLoader("steward.report", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(classes="t", border=0, na_rep="[c]", escape=True)


def _model_rows(run: AnalysisRun) -> list[dict[str, Any]]:
    rows = []
    for m in run.models:
        checked = run.outputs.get(f"model_{m.name}")
        ok = m.converged and checked is not None and checked.status != "fail"
        row: dict[str, Any] = {"name": m.name, "estimator": m.estimator, "n": m.n, "ok": ok,
                               "message": m.message or (checked.summary if checked else "")}  # fmt: skip
        if ok:
            try:
                t = m.term("treatment_group")
                row.update(or_=f"{t.odds_ratio:.3f}", ci=f"{t.ci_low:.3f} to {t.ci_high:.3f}")
            except KeyError:
                row.update(or_="—", ci="—")
            ame = m.extra.get("average_marginal_effect") if m.extra else None
            if isinstance(ame, dict):
                row["rd"] = (f"{ame['risk_difference_pp']:.2f} pp "
                             f"({ame['ci_low_pp']:.2f} to {ame['ci_high_pp']:.2f})")  # fmt: skip
        rows.append(row)
    return rows


def _cell(frame: pd.DataFrame, row: Any, col: Any) -> float | None:
    """A published number of a checked table, or None if absent or withheld."""
    if row not in frame.index or col not in frame.columns:
        return None
    value: Any = frame.loc[row, col]
    return None if pd.isna(value) else float(value)


def _observed_expected(
    run: AnalysisRun,
) -> tuple[list[str], list[float | None], list[float | None]]:
    wedges = [p.name for p in run.study.periods]
    children = run.outputs["children_by_la_wedge"].safe
    entries = run.outputs["care_entries_by_la_wedge"].safe
    observed: list[float | None] = []
    for w in wedges:
        n, e = _cell(children, "All", w), _cell(entries, "All", w)
        observed.append(None if n is None or e is None or not n else 100 * e / n)
    expected: list[float | None] = [None] * len(wedges)
    checked = run.outputs.get("expected_by_wedge")
    if checked is not None:
        col = checked.safe.columns[0]
        for i, w in enumerate(wedges):
            value = _cell(checked.safe, w, col)
            expected[i] = None if value is None else 100 * value
    return wedges, observed, expected


def _atomic_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def export_tables(run: AnalysisRun, folder: Path) -> dict[str, Path]:
    """Every checked table as CSV (suppressed cells as [c]) and all of them in one XLSX."""
    folder.mkdir(parents=True, exist_ok=True)
    shown = {
        name: to_display(checked)
        for name, checked in run.outputs.items()
        if not name.startswith("model_")
    }
    for name, frame in shown.items():
        _atomic_text(folder / f"{name}.csv", frame.to_csv())
    xlsx = folder / "tables.xlsx"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".xlsx")
    os.close(fd)
    with pd.ExcelWriter(tmp, engine="xlsxwriter") as writer:
        for name, frame in shown.items():
            frame.to_excel(writer, sheet_name=name[:31])
    os.replace(tmp, xlsx)
    return {"tables_xlsx": xlsx, "tables_csv": folder}


def write_report(run: AnalysisRun, workspace: Workspace) -> dict[str, Path]:
    """Write ``reports/report.html`` and the exported tables; returns their paths."""
    wedges, observed, expected = _observed_expected(run)
    primary = run.primary
    primary_line = None
    if primary.converged and f"model_{primary.name}" in run.outputs:
        t = primary.term("treatment_group")
        primary_line = {"or_": t.odds_ratio, "lo": t.ci_low, "hi": t.ci_high, "n": primary.n,
                        "re_var": primary.re_variance, "warnings": primary.warnings}  # fmt: skip
    tables = {
        name: {"html": _table_html(to_display(c)), "status": c.status, "summary": c.summary}
        for name, c in run.outputs.items()
        if not name.startswith("model_")
    }
    quality = workspace.reports / "quality" / "quality.html"
    text = _TEMPLATE.get_template("report.html.j2").render(
        study=run.study,
        tables=tables,
        models=_model_rows(run),
        primary=primary_line,
        primary_failed=None if primary.converged else html.escape(primary.message),
        forest=forest_plot(run.models),
        observed_expected=observed_expected_plot(wedges, observed, expected),
        secondary_skipped=run.cohort.secondary_skipped,
        quality_link=os.path.relpath(quality, workspace.reports) if quality.exists() else None,
    )
    workspace.reports.mkdir(parents=True, exist_ok=True)
    report = workspace.reports / "report.html"
    _atomic_text(report, text)
    return {"report": report, **export_tables(run, workspace.outputs / "tables")}
