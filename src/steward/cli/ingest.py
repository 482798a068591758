"""``steward ingest --as USER PATH...``: read, validate, pseudonymise and store returns.

The user (password prompted) needs ``returns.submit``: a researcher for any LA, an LA data
provider for their own LA only (another LA's file is refused, the rest still load).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from steward.cli.common import (
    AsOption,
    EngineOption,
    WorkspaceOption,
    console,
    engine_override,
    progress,
    sign_in_to,
    user_errors,
)


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Return files (.xlsx, .csv) or folders of them.")
    ],
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
    engine: EngineOption = None,
) -> None:
    """Ingest returns into the workspace; every file gets a verdict and the quality report is written."""
    from steward.ingest import FileOutcome, expand_paths
    from steward.ingest import ingest as run_ingest
    from steward.workspace import open_workspace

    with user_errors():
        ws = open_workspace(workspace, **engine_override(engine))
        actor = sign_in_to(ws, as_user)
        files = expand_paths(paths)
        with progress() as bar:
            task = bar.add_task("Ingesting returns", total=len(files))

            def advance(outcome: FileOutcome) -> None:
                bar.advance(task)

            summary = run_ingest(ws, files, actor=actor, on_file=advance)
    render_summary(summary)
    if summary.failed or summary.refused:
        raise typer.Exit(code=1)


def render_summary(summary: object) -> None:
    """Print one line per file and the totals."""
    from steward.ingest import IngestSummary

    assert isinstance(summary, IngestSummary)
    table = Table(title="Ingest", show_lines=False)
    for col in ("file", "verdict", "LA", "return", "month", "rows", "quarantined"):
        table.add_column(col)
    for o in summary.outcomes:
        verdict = {
            "loaded": "[green]loaded",
            "already_ingested": "[dim]already ingested",
            "refused": "[red]refused",
        }.get(o.status, "[red]failed")
        table.add_row(
            o.path.name,
            verdict,
            o.la_code or "",
            o.return_type or "",
            o.return_month.strftime("%Y-%m") if o.return_month else "",
            str(o.rows),
            str(o.quarantined),
        )
    console.print(table)
    for o in summary.failed + summary.refused:
        assert o.error is not None
        console.print(f"[bold red]{o.path.name}:[/] {o.error.what}", highlight=False)
        if str(o.error.where):
            console.print(f"  where: {o.error.where}", highlight=False)
        console.print(f"  fix: {o.error.fix}", highlight=False)
        if o.quarantined_file:
            console.print(
                f"  kept in the quarantine, encrypted (object {o.quarantined_file[:12]})",
                highlight=False,
            )
    console.print(
        f"{len(summary.outcomes)} files ({len(summary.loaded)} loaded, {len(summary.failed)} failed"
        + (f", {len(summary.refused)} refused" if summary.refused else "")
        + "), "
        f"{summary.rows:,} rows read, {summary.quarantined:,} records quarantined, "
        f"{summary.children:,} children in the store."
    )
    if summary.quality_report:
        console.print(f"Quality report: [bold]{summary.quality_report}[/]")
