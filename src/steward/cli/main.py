"""The ``steward`` command: sub-commands are registered here, each in its own module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steward.errors import StewardError, UserError

app = typer.Typer(
    name="steward",
    help="Steward: evaluate children's social care programmes with the privacy notice in code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace folder (default: the current folder)."),
]


def fail(error: StewardError) -> None:
    """Print a user error as what / where / how to fix, then exit with its code."""
    if isinstance(error, UserError):
        console.print(f"[bold red]Error:[/] {error.what}")
        if str(error.where):
            console.print(f"[bold]Where:[/] {error.where}")
        console.print(f"[bold]Fix:[/] {error.fix}")
    else:
        console.print(f"[bold red]Error:[/] {error}")
    raise typer.Exit(code=error.exit_code)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to make into a workspace.")] = Path("."),
) -> None:
    """Create a workspace: steward.toml, landing/, store/, quarantine/, outputs/, reports/."""
    from steward.workspace import init_workspace

    try:
        ws = init_workspace(directory)
    except StewardError as exc:
        fail(exc)
    console.print(f"Workspace ready at [bold]{ws.root}[/]; keys are kept apart in {ws.keys.folder}")


def main() -> None:  # pragma: no cover - console entry point wrapper
    app(prog_name="steward")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
