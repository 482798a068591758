"""``steward returns check FILE...``: read and validate returns, write the quality report.

Nothing is stored: this is what a local authority data team (or the evaluator, before an
ingest) runs to see how a return will be read and which rows would be quarantined.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from steward.cli.common import console, show_error, user_errors
from steward.errors import StewardError, ValidationError

app = typer.Typer(
    help="Check local authority returns before they are ingested.", no_args_is_help=True
)


@app.callback()
def returns() -> None:
    """Check local authority returns before they are ingested."""


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Return files (.xlsx or .csv).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the quality report (HTML and CSV).")
    ] = Path("quality-report"),
    show_decisions: Annotated[
        bool, typer.Option("--decisions", help="List every decision taken while reading.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with an error if any row would be quarantined.")
    ] = False,
) -> None:
    """Read, detect, normalise and validate each file; write one quality report for all."""
    from steward.returns import read_return, validate, write_quality_report

    validated = []
    failed = 0
    for path in files:
        try:
            validated.append(validate(read_return(path)))
        except StewardError as exc:  # one bad file is reported, the others still checked
            failed += 1
            show_error(exc)
    summary = Table("File", "LA", "Month", "Sheet", "Table", "Rows", "Valid", "Quarantined",
                    "Warnings", title="Returns checked")  # fmt: skip
    for v in validated:
        for t in v.tables:
            warnings = sum(f.count for f in t.failures if f.severity == "warning")
            summary.add_row(v.path.name, v.la_code, f"{v.return_month:%Y-%m}", t.sheet,
                            t.table.name, str(t.rows_in), str(t.valid.num_rows),
                            str(t.quarantined.num_rows), str(warnings))  # fmt: skip
        if show_decisions:
            for line in v.decisions:
                console.print(f"  {line}", highlight=False, markup=False)
    console.print(summary)
    with user_errors():
        if validated:
            paths = write_quality_report(validated, out)
            console.print(f"Quality report: {paths.html} (CSV beside it)", highlight=False)
        if strict:
            for v in validated:
                v.raise_if_blocking()
        if failed:
            raise ValidationError(
                what=f"{failed} of {len(files)} file(s) could not be read",
                fix="See the errors above; correct or re-send those files.",
            )
