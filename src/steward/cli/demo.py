"""``steward demo``: a whole run on synthetic returns, from nothing to a populated workspace.

The demo acts as a researcher account it creates in its own workspace (``demo-researcher``,
random password kept nowhere), so it runs without a prompt while ingest and analysis still
check that account's permissions. It refuses a workspace that has accounts of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import console, progress, user_errors


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the demo workspace (created if needed).")
    ] = Path("steward-demo"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic returns.")] = 1,
    scale: Annotated[
        str, typer.Option("--scale", help="Size of the synthetic returns: tiny, small or large.")
    ] = "small",
) -> None:
    """Make a workspace, generate synthetic returns for the five LAs, ingest them, report."""
    from steward.cli.ingest import render_summary
    from steward.governance.access import demo_researcher
    from steward.governance.db import open_database, session_scope
    from steward.ingest import FileOutcome
    from steward.ingest import ingest as run_ingest
    from steward.synth import generate_returns
    from steward.workspace import init_workspace

    with user_errors():
        ws = init_workspace(directory)
        console.print(f"Workspace: [bold]{ws.root}[/]")
        engine = open_database(ws.database_url)
        try:
            with session_scope(engine) as session:
                actor = demo_researcher(session)
        finally:
            engine.dispose()
        console.print(f"Acting as the demo's own researcher account: [bold]{actor.username}[/]")
        incoming = ws.root / "incoming"
        with console.status("Generating synthetic returns for the five No Wrong Door LAs"):
            result = generate_returns(incoming, scale=scale, seed=seed)  # type: ignore[arg-type]
        console.print(f"Synthetic returns: {len(result.files)} files in {incoming}")
        with progress() as bar:
            task = bar.add_task("Ingesting returns", total=len(result.files))

            def advance(outcome: FileOutcome) -> None:
                bar.advance(task)

            summary = run_ingest(ws, [incoming], on_file=advance, actor=actor)
    render_summary(summary)
    from steward.analyse import analyse as run_analysis
    from steward.cli.analyse import render_analysis

    with (
        user_errors(),
        console.status("Building the cohort, fitting the models, checking every output"),
    ):
        run = run_analysis(ws, actor=actor)
    render_analysis(run)
