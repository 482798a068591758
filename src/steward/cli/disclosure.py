"""``steward disclosure``: the output checker's commands on an output-request pack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward.errors import StewardError, UserError

app = typer.Typer(
    name="disclosure",
    help="Review output-request packs: list outputs, approve or reject them.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

PackArgument = Annotated[Path, typer.Argument(help="Folder of the pack (holds results.json).")]


def _fail(error: StewardError) -> None:
    if isinstance(error, UserError):
        errors.print(f"[bold red]Error:[/] {error.what}")
        if str(error.where):
            errors.print(f"[bold]Where:[/] {error.where}")
        errors.print(f"[bold]Fix:[/] {error.fix}")
    else:
        errors.print(f"[bold red]Error:[/] {error}")
    raise typer.Exit(code=error.exit_code)


@app.command()
def show(pack: PackArgument) -> None:
    """List the outputs of a pack with their status, checks and decision."""
    from steward.disclosure.pack import OutputRequestPack

    try:
        loaded = OutputRequestPack.load(pack)
    except StewardError as exc:
        _fail(exc)
    table = Table(title=f"Output request: {loaded.release_name}")
    for column in ("Output", "Status", "Checks", "Decision"):
        table.add_column(column)
    for uid, record in loaded.records.items():
        review = record.get("review") or {}
        decision = review.get("decision", "pending")
        if review:
            decision = f"{decision} ({review['checker']})"
        table.add_row(uid, record["status"], record["summary"], decision)
    console.print(table)


@app.command()
def approve(
    pack: PackArgument,
    output_id: Annotated[str, typer.Argument(help="Output id, e.g. output_0.")],
    checker: Annotated[str, typer.Option("--checker", help="Name of the output checker.")],
    comment: Annotated[str, typer.Option("--comment", help="Why it may leave.")] = "",
) -> None:
    """Approve one output of a pack for release."""
    _decide(pack, output_id, checker, comment, approve=True)


@app.command()
def reject(
    pack: PackArgument,
    output_id: Annotated[str, typer.Argument(help="Output id, e.g. output_0.")],
    checker: Annotated[str, typer.Option("--checker", help="Name of the output checker.")],
    comment: Annotated[str, typer.Option("--comment", help="Why it may not leave.")],
) -> None:
    """Reject one output of a pack, with the reason."""
    _decide(pack, output_id, checker, comment, approve=False)


def _decide(pack: Path, output_id: str, checker: str, comment: str, *, approve: bool) -> None:
    from steward.disclosure.pack import OutputRequestPack

    try:
        loaded = OutputRequestPack.load(pack)
        if approve:
            loaded.approve(output_id, checker, comment)
        else:
            loaded.reject(output_id, checker, comment)
        loaded.write()
    except StewardError as exc:
        _fail(exc)
    verb = "approved" if approve else "rejected"
    console.print(f"{output_id} {verb} by {checker}; recorded in {pack / 'results.json'}")
