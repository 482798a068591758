"""The quality report sent back to a local authority: HTML for people, CSV for spreadsheets.

It carries counts, missingness, decisions and rule failures with spreadsheet row numbers; it
never carries a value from a record (no child ids, no dates): a data team finds the row by its
number in their own file. The HTML is one self-contained file rendered with autoescaping.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pyarrow as pa
import pyarrow.compute as pc

from steward.returns.validate import ValidatedReturn, ValidatedTable

ROWS_SHOWN_IN_HTML = 50


@dataclass(frozen=True)
class QualityReportPaths:
    html: Path
    summary_csv: Path
    missingness_csv: Path
    failures_csv: Path


@dataclass(frozen=True)
class TableSummary:
    file: str
    la_code: str
    return_month: str
    return_type: str
    table: str
    sheet: str
    rows: int
    valid: int
    quarantined: int
    unique_children: int
    dropped_columns: str
    missing_columns: str


def _all_rows(t: ValidatedTable) -> pa.Table:
    columns = [c for c in t.valid.column_names]
    return pa.concat_tables([t.valid, t.quarantined.select(columns)])


def _unique_children(rows: pa.Table) -> int:
    if "child_id" not in rows.column_names:
        return 0
    return int(pc.count_distinct(rows["child_id"], mode="only_valid").as_py())


def summarise(validated: list[ValidatedReturn]) -> list[TableSummary]:
    """One line per table of each return: counts only."""
    out = []
    for v in validated:
        for t in v.tables:
            out.append(
                TableSummary(
                    file=v.path.name,
                    la_code=v.la_code,
                    return_month=f"{v.return_month:%Y-%m}",
                    return_type=v.return_type,
                    table=t.table.name,
                    sheet=t.sheet,
                    rows=t.rows_in,
                    valid=t.valid.num_rows,
                    quarantined=t.quarantined.num_rows,
                    unique_children=_unique_children(_all_rows(t)),
                    dropped_columns="; ".join(t.dropped_columns),
                    missing_columns="; ".join(t.missing_columns),
                )
            )
    return out


def missingness(validated: list[ValidatedReturn]) -> list[dict[str, object]]:
    """Share of missing values per field, per LA, return month and table (all rows read)."""
    totals: dict[tuple[str, str, str, str], list[int]] = {}
    for v in validated:
        for t in v.tables:
            rows = _all_rows(t)
            for spec in t.table.fields:
                key = (v.la_code, f"{v.return_month:%Y-%m}", t.table.name, spec.name)
                acc = totals.setdefault(key, [0, 0])
                acc[0] += rows.num_rows
                acc[1] += rows[spec.name].null_count
    return [
        {
            "la_code": la,
            "return_month": month,
            "table": table,
            "field": name,
            "rows": n,
            "missing": missing,
            "missing_pct": round(100 * missing / n, 1) if n else 0.0,
        }
        for (la, month, table, name), (n, missing) in sorted(totals.items())
    ]


def failure_lines(validated: list[ValidatedReturn]) -> list[dict[str, object]]:
    """One line per rule broken per column per sheet, with the spreadsheet rows."""
    return [
        {
            "file": v.path.name,
            "la_code": v.la_code,
            "return_month": f"{v.return_month:%Y-%m}",
            "sheet": f.sheet,
            "table": f.table,
            "rule_code": f.rule_code,
            "severity": f.severity,
            "message": f.message,
            "field": f.field,
            "column": f.heading or "(column absent)",
            "count": f.count,
            "rows": " ".join(str(r) for r in f.rows),
        }
        for v in validated
        for f in v.failures
    ]


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_text(rows: list[dict[str, object]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Return quality report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:80rem}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}.blocking{color:#a00;font-weight:bold}.warning{color:#8a5a00}
.num{text-align:right}small{color:#555}
</style></head><body>
<h1>Return quality report</h1>
<p>Generated {{ generated }}. Rows are numbered as your spreadsheet shows them; this report
contains counts and row numbers only, no values from the records.</p>
<h2>Summary</h2>
<table><tr><th>File</th><th>LA</th><th>Month</th><th>Table</th><th>Sheet</th><th>Rows</th>
<th>Valid</th><th>Quarantined</th><th>Unique children</th><th>Columns dropped</th>
<th>Fields absent</th></tr>
{% for s in summary %}<tr><td>{{ s.file }}</td><td>{{ s.la_code }}</td><td>{{ s.return_month }}</td>
<td>{{ s.table }}</td><td>{{ s.sheet }}</td><td class="num">{{ s.rows }}</td>
<td class="num">{{ s.valid }}</td><td class="num">{{ s.quarantined }}</td>
<td class="num">{{ s.unique_children }}</td><td>{{ s.dropped_columns }}</td>
<td>{{ s.missing_columns }}</td></tr>
{% endfor %}</table>
<h2>Rule failures</h2>
{% if failures %}<table><tr><th>File</th><th>Sheet</th><th>Rule</th><th>Severity</th>
<th>Message</th><th>Column</th><th>Count</th><th>Rows</th></tr>
{% for f in failures %}<tr><td>{{ f.file }}</td><td>{{ f.sheet }}</td><td>{{ f.rule_code }}</td>
<td class="{{ f.severity }}">{{ f.severity }}</td><td>{{ f.message }}</td><td>{{ f.column }}</td>
<td class="num">{{ f.count }}</td><td>{{ f.rows_shown }}{% if f.more %} <small>and {{ f.more }}
more (see the CSV)</small>{% endif %}</td></tr>
{% endfor %}</table>{% else %}<p>No rule failures.</p>{% endif %}
<h2>Missing values</h2>
<table><tr><th>LA</th><th>Month</th><th>Table</th><th>Field</th><th>Rows</th><th>Missing</th>
<th>%</th></tr>
{% for m in missing %}<tr><td>{{ m.la_code }}</td><td>{{ m.return_month }}</td><td>{{ m.table }}</td>
<td>{{ m.field }}</td><td class="num">{{ m.rows }}</td><td class="num">{{ m.missing }}</td>
<td class="num">{{ m.missing_pct }}</td></tr>
{% endfor %}</table>
<h2>How each file was read</h2>
{% for v in decisions %}<h3>{{ v.file }}</h3><ul>{% for d in v.lines %}<li>{{ d }}</li>{% endfor %}</ul>
{% endfor %}
</body></html>
"""


def render_html(validated: list[ValidatedReturn]) -> str:
    """The self-contained HTML report (autoescaped)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    failures = []
    for line in failure_lines(validated):
        rows = str(line["rows"]).split()
        failures.append(
            {
                **line,
                "rows_shown": " ".join(rows[:ROWS_SHOWN_IN_HTML]),
                "more": max(0, len(rows) - ROWS_SHOWN_IN_HTML),
            }
        )
    return env.from_string(_TEMPLATE).render(
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        summary=summarise(validated),
        failures=failures,
        missing=missingness(validated),
        decisions=[{"file": v.path.name, "lines": v.decisions} for v in validated],
    )


def write_quality_report(validated: list[ValidatedReturn], out_dir: Path) -> QualityReportPaths:
    """Write the HTML report and its three CSVs into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = QualityReportPaths(
        html=out_dir / "quality.html",
        summary_csv=out_dir / "quality_summary.csv",
        missingness_csv=out_dir / "quality_missingness.csv",
        failures_csv=out_dir / "quality_failures.csv",
    )
    summary = [s.__dict__ for s in summarise(validated)]
    _atomic_write(paths.summary_csv, _csv_text(summary, list(TableSummary.__dataclass_fields__)))
    _atomic_write(
        paths.missingness_csv,
        _csv_text(
            missingness(validated),
            ["la_code", "return_month", "table", "field", "rows", "missing", "missing_pct"],
        ),
    )
    _atomic_write(
        paths.failures_csv,
        _csv_text(
            failure_lines(validated),
            [
                "file",
                "la_code",
                "return_month",
                "sheet",
                "table",
                "rule_code",
                "severity",
                "message",
                "field",
                "column",
                "count",
                "rows",
            ],
        ),
    )
    _atomic_write(paths.html, render_html(validated))
    return paths
