"""Shared pieces of the CLI: the workspace and ``--as`` options, signing in, the console and how
errors are shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from steward.errors import StewardError, UserError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from steward.governance.access import User
    from steward.workspace import Workspace

console = Console(stderr=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder (default: the current folder).",
        show_default=False,
    ),
]

AsOption = Annotated[
    str, typer.Option("--as", help="Your account (password is prompted).", show_default=False)
]

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Compute engine for this run: duckdb or spark (default: engine in steward.toml).",
        show_default=False,
    ),
]


def engine_override(engine: str | None) -> dict[str, str]:
    """Settings overrides for ``--engine``; an unknown engine is a ``ConfigError`` naming it."""
    import difflib
    from typing import get_args

    from steward.config import Engine
    from steward.errors import ConfigError, Location

    if engine is None:
        return {}
    known = get_args(Engine)
    if engine not in known:
        close = difflib.get_close_matches(engine, known, n=1)
        raise ConfigError(
            what=f"unknown engine {engine!r}",
            fix=f"Use --engine {' or --engine '.join(known)}"
            + (f" (did you mean {close[0]!r}?)." if close else "."),
            where=Location(column="--engine"),
        )
    return {"engine": engine}


def sign_in(engine: Engine, username: str) -> User:
    """Prompt for ``username``'s password and log them in (the login is audited, the password
    never leaves this function)."""
    from steward.governance.access import authenticate
    from steward.governance.db import session_scope

    password = typer.prompt(f"Password for {username}", hide_input=True)
    with session_scope(engine) as session:
        return authenticate(session, username, password)


def sign_in_to(workspace: Workspace, username: str) -> User:
    """:func:`sign_in` against ``workspace``'s governance database."""
    from steward.governance.db import open_database

    engine = open_database(workspace.database_url)
    try:
        return sign_in(engine, username)
    finally:
        engine.dispose()


def show_error(error: StewardError) -> None:
    """Print a user error as what / where / how to fix."""
    if isinstance(error, UserError):
        console.print(f"[bold red]Error:[/] {error.what}", highlight=False)
        if str(error.where):
            console.print(f"[bold]Where:[/] {error.where}", highlight=False)
        console.print(f"[bold]Fix:[/] {error.fix}", highlight=False)
    else:
        console.print(f"[bold red]Error:[/] {error}", highlight=False)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a StewardError into a printed message and its exit code; no traceback."""
    try:
        yield
    except StewardError as exc:
        show_error(exc)
        raise typer.Exit(code=exc.exit_code) from None


def progress() -> Progress:
    """The progress display every long step uses: bar, counts, elapsed and remaining time."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
