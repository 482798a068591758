"""``steward linkage``: load the NPD extract (SRS only) and link sources into the linkage report.

Examples::

    steward linkage load-npd srs/npd --workspace ws --as rita.researcher
    steward linkage report --workspace ws --as rita.researcher
    steward linkage report --probabilistic --workspace ws --as rita.researcher

Both act as a named user (``--as``; the password is prompted): loading the NPD extract needs an
in-date accreditation, the report needs ``store.query`` (and the accreditation where it links
the NPD).

Registered by the main app as ``app.add_typer(linkage.app, name="linkage")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import (
    AsOption,
    EngineOption,
    WorkspaceOption,
    console,
    engine_override,
    sign_in_to,
    user_errors,
)

app = typer.Typer(help="NPD extract loading and linkage across sources.", no_args_is_help=True)


@app.command("load-npd")
def load_npd(
    paths: Annotated[list[Path], typer.Argument(help="NPD CSV files or folders of them.")],
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Load NPD extract tables (absence, FSM, PMR lookup); refused outside srs_research."""
    from steward.returns.npd.ingest import load_npd_extract
    from steward.workspace import open_workspace

    with user_errors():
        ws = open_workspace(workspace)
        outcomes = load_npd_extract(ws, paths, actor=sign_in_to(ws, as_user))
    failed = 0
    for o in outcomes:
        if o.status == "failed" and o.error is not None:
            failed += 1
            console.print(f"[red]failed[/] {o.path.name}: {o.error.what}", highlight=False)
        else:
            console.print(f"{o.status} {o.path.name}: {o.rows} rows, {o.quarantined} "
                          "quarantined", highlight=False)  # fmt: skip
    if failed:
        raise typer.Exit(code=1)


@app.command()
def report(
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
    probabilistic: Annotated[
        bool,
        typer.Option("--probabilistic", help="Also link on quasi-identifiers (needs Splink)."),
    ] = False,
    engine: EngineOption = None,
) -> None:
    """Link the store's sources and write the disclosure-checked linkage report."""
    from steward.linkage import run_linkage
    from steward.workspace import open_workspace

    with user_errors():
        ws = open_workspace(workspace, **engine_override(engine))
        run = run_linkage(ws, actor=sign_in_to(ws, as_user), probabilistic=probabilistic)
    for note in run.report.notes:
        console.print(f"[yellow]{note}[/]", highlight=False)
    for table in run.report.tables:
        console.print(table.checked.summary, highlight=False)
    html = ws.reports / "linkage" / "linkage_report.html"
    console.print(f"[bold green]Linkage report written:[/] {html}\nlinkage table: {run.table}")
