"""The ``steward`` command: sub-commands live in their own modules and are registered here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import console, user_errors

app = typer.Typer(
    name="steward",
    help="Steward: evaluate children's social care programmes with the privacy notice in code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to make into a workspace.")] = Path("."),
) -> None:
    """Create a workspace: steward.toml, landing/, store/, quarantine/, outputs/, reports/."""
    from steward.workspace import init_workspace

    with user_errors():
        ws = init_workspace(directory)
    console.print(
        f"Workspace ready at [bold]{ws.root}[/]; its keys are kept apart in {ws.keys.folder}"
    )


def _register() -> None:
    from steward.cli import (
        analyse,
        anonymise,
        archive,
        audit,
        consent,
        demo,
        disclosure,
        ingest,
        linkage,
        policy,
        retention,
        returns,
        rights,
        serve,
        synth,
        users,
    )

    app.command(name="demo")(demo.demo)
    app.command(name="synth")(synth.synth)
    app.command(name="ingest")(ingest.ingest)
    app.command(name="analyse")(analyse.analyse)
    app.command(name="anonymise")(anonymise.anonymise)
    app.command(name="serve")(serve.serve)
    app.add_typer(returns.app, name="returns")
    app.add_typer(policy.app, name="policy")
    app.add_typer(disclosure.app, name="disclosure")
    app.add_typer(archive.app, name="archive")
    app.add_typer(audit.app, name="audit")
    app.add_typer(users.app, name="users")
    app.add_typer(rights.app, name="rights")
    app.add_typer(consent.app, name="consent")
    app.add_typer(retention.app, name="retention")
    app.add_typer(linkage.app, name="linkage")


_register()
if __name__ == "__main__":
    app()
