"""``steward users``: add and list accounts, issue API tokens. Passwords are always prompted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward.cli.common import WorkspaceOption, sign_in, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from steward.governance.access import User

app = typer.Typer(
    name="users",
    help="User accounts and API tokens of the governance service.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Admin account doing this (its password is prompted). Not needed to create the "
        "very first account, which must be an admin.",
    ),
]


def _engine(workspace: Path) -> Engine:
    from steward.governance.db import open_database
    from steward.workspace import open_workspace

    return open_database(open_workspace(workspace).database_url)


def _new_password(username: str) -> str:
    return str(
        typer.prompt(f"New password for {username}", hide_input=True, confirmation_prompt=True)
    )


def _acting_admin(engine: Engine, as_user: str | None) -> User | None:
    """The admin doing this, or None while there are no accounts at all (bootstrap)."""
    from steward.errors import UserError
    from steward.governance.access import user_count
    from steward.governance.db import session_scope

    with session_scope(engine) as session:
        empty = user_count(session) == 0
    if empty:
        return None
    if as_user is None:
        raise UserError(
            what="accounts already exist, so an admin must do this",
            fix="Pass --as ADMIN_USERNAME (you will be asked for that admin's password).",
        )
    return sign_in(engine, as_user)


@app.command()
def add(
    username: Annotated[str, typer.Argument(help="New account name (lowercase).")],
    role: Annotated[
        str, typer.Option("--role", help="dpo, researcher, la_provider, archive_user or admin.")
    ],
    workspace: WorkspaceOption = Path("."),
    la_code: Annotated[
        str | None,
        typer.Option(
            "--la-code",
            help="LA data providers: their LA's GSS code (E08000005) or DfE LA number (354).",
        ),
    ] = None,
    accreditation_expires: Annotated[
        str | None,
        typer.Option(
            "--accreditation-expires",
            help="Researchers: last day of their accreditation (YYYY-MM-DD).",
        ),
    ] = None,
    as_user: AsOption = None,
) -> None:
    """Create an account. The first account (bootstrap) must be an admin."""
    from steward.errors import UserError
    from steward.governance.access import add_user, bootstrap_admin
    from steward.governance.db import session_scope

    with user_errors():
        expires = None
        if accreditation_expires:
            try:
                expires = dt.date.fromisoformat(accreditation_expires)
            except ValueError:
                raise UserError(
                    what=f"{accreditation_expires!r} is not a date",
                    fix="Write it as YYYY-MM-DD.",
                ) from None
        engine = _engine(workspace)
        actor = _acting_admin(engine, as_user)
        if actor is None and role != "admin":
            raise UserError(
                what="the first account must be an admin",
                fix=f"Create an admin first: steward users add NAME --role admin; then add "
                f"{username} with --as NAME.",
            )
        password = _new_password(username)
        with session_scope(engine) as session:
            if actor is None:
                user = bootstrap_admin(session, username, password)
            else:
                user = add_user(
                    session,
                    actor,
                    username,
                    password,
                    role,
                    user_la_code=la_code,
                    accreditation_expires=expires,
                )
        engine.dispose()
    out.print(f"Added {user.username} ({user.role})", highlight=False)


@app.command("list")
def list_accounts(workspace: WorkspaceOption = Path("."), as_user: AsOption = None) -> None:
    """List accounts: role, LA, accreditation expiry, active."""
    from steward.errors import UserError
    from steward.governance.access import list_users
    from steward.governance.db import session_scope

    with user_errors():
        if as_user is None:
            raise UserError(what="listing accounts needs an admin", fix="Pass --as ADMIN_USERNAME.")
        engine = _engine(workspace)
        actor = sign_in(engine, as_user)
        with session_scope(engine) as session:
            users = list_users(session, actor)
        engine.dispose()
    table = Table("username", "role", "LA", "accreditation expires", "active")
    for u in users:
        table.add_row(
            u.username,
            u.role,
            u.la_code or "",
            u.accreditation_expires.isoformat() if u.accreditation_expires else "",
            "yes" if u.active else "no",
        )
    out.print(table)


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="Your account; its password is prompted.")],
    workspace: WorkspaceOption = Path("."),
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="Lifetime in days.")] = 90,
) -> None:
    """Issue an API token for your own account. It is shown once and never stored in clear."""
    from steward.governance.access import issue_token
    from steward.governance.db import session_scope

    with user_errors():
        engine = _engine(workspace)
        user = sign_in(engine, username)
        with session_scope(engine) as session:
            secret = issue_token(session, user, lifetime=dt.timedelta(days=days))
        engine.dispose()
    typer.echo(secret)
    typer.echo(f"Keep this token now: it will not be shown again (valid {days} days).", err=True)
