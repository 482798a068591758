"""``steward retention``: what falls due and when, retention runs, legal holds, the SRS licence end.

Every command acts as a named user (``--as USER``, password prompted) and needs that user's
permission: ``retention.plan`` to see the plan, ``retention.run`` for everything else.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward.cli.common import AsOption, WorkspaceOption, console, progress, sign_in, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from steward.governance.access import User
    from steward.governance.retention import LedgerRow
    from steward.workspace import Workspace

app = typer.Typer(
    name="retention",
    help="Retention: the plan of what falls due, retention runs that delete it, legal holds.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)

TodayOption = Annotated[
    str | None,
    typer.Option("--today", help="Act as of this date, YYYY-MM-DD (default: today)."),
]
ReasonOption = Annotated[
    str,
    typer.Option(
        "--reason", help="Why (kept in the audit log: no personal data).", show_default=False
    ),
]


def _date(text: str | None, option: str) -> dt.date:
    from steward.errors import UserError

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(
            what=f"{option} {text!r} is not a date", fix="Write it as YYYY-MM-DD."
        ) from None


def _open(workspace: Path, as_user: str) -> tuple[Workspace, Engine, User]:
    from steward.governance.db import open_database
    from steward.workspace import open_workspace

    ws = open_workspace(workspace)
    engine = open_database(ws.database_url)
    return ws, engine, sign_in(engine, as_user)


def _due(row: LedgerRow) -> str:
    if row.due_on is not None:
        return row.due_on.isoformat()
    return "licence end not recorded" if row.rule_id == "srs_licence" else "kept indefinitely"


@app.command("plan")
def plan_command(
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
    today: TodayOption = None,
    every: Annotated[
        bool, typer.Option("--all", help="List every object, not only those due or held.")
    ] = False,
) -> None:
    """What falls due and when: objects by due date and rule; due and held objects one by one."""
    from steward.governance.db import session_scope
    from steward.governance.retention import plan

    with user_errors():
        day = _date(today, "--today")
        ws, engine, user = _open(workspace, as_user)
        with session_scope(engine) as session:
            rows = plan(session, user, day, ws)
        engine.dispose()
    summary = Table(
        "due on", "rule", "kind", "status", "objects", title=f"Retention plan as of {day}"
    )
    groups = Counter((_due(r), r.rule_id or "", r.kind, r.status) for r in rows)
    for (due, rule, kind, status), count in groups.items():
        summary.add_row(due, rule, kind, status, str(count))
    out.print(summary)
    listed = [r for r in rows if every or r.status in ("due", "held", "deleting")]
    if listed:
        table = Table("object", "LA", "category", "due on", "status", "hold reason")
        for r in listed:
            table.add_row(
                r.key, r.la_code or "", r.category, _due(r), r.status, r.hold_reason or ""
            )
        out.print(table)
    out.print(
        f"{sum(r.status == 'due' for r in rows)} due, {sum(r.status == 'held' for r in rows)} "
        f"held, {len(rows)} objects stored.",
        highlight=False,
    )


@app.command("run")
def run_command(
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
    today: TodayOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every due object not under a legal hold; each deletion is certified in the audit log.

    Safe to run again after an interruption: it finishes what was begun and deletes nothing twice.
    """
    from steward.governance.db import session_scope
    from steward.governance.retention import plan, run

    with user_errors():
        day = _date(today, "--today")
        ws, engine, user = _open(workspace, as_user)
        with session_scope(engine) as session:
            todo = [r for r in plan(session, user, day, ws) if r.status in ("due", "deleting")]
        if not todo:
            out.print(f"Nothing is due for deletion as of {day}.", highlight=False)
            engine.dispose()
            return
        if not yes and not typer.confirm(
            f"Delete {len(todo)} objects for good (crypto-shredded files cannot be recovered)?"
        ):
            engine.dispose()
            raise typer.Exit(code=1)
        with progress() as bar, session_scope(engine) as session:
            task = bar.add_task("Deleting", total=len(todo))
            report = run(
                session, ws, user, day,
                progress=lambda stage, _row: bar.advance(task) if stage == "deleted" else None,
            )  # fmt: skip
        engine.dispose()
    out.print(
        f"Deleted {len(report.certificates)} objects ({report.resumed} finished from an "
        f"interrupted run); {len(report.held)} held. Certificates are in the audit log.",
        highlight=False,
    )
    if report.blocked:
        console.print(
            f"[bold yellow]Not deleted:[/] {len(report.blocked)} due objects have no deleter: "
            + ", ".join(report.blocked),
            highlight=False,
        )
        console.print(
            "[bold]Fix:[/] Delete them where they are kept and record it, or ask for a deleter "
            "for their kind to be added.",
            highlight=False,
        )
        raise typer.Exit(code=1)


@app.command("hold")
def hold_command(
    as_user: AsOption,
    reason: ReasonOption,
    key: Annotated[
        str | None, typer.Argument(help="Object to hold, as listed by 'plan' (kind:id).")
    ] = None,
    la: Annotated[
        str | None, typer.Option("--la", help="Hold everything held for this LA code instead.")
    ] = None,
    workspace: WorkspaceOption = Path("."),
    today: TodayOption = None,
) -> None:
    """Place a legal hold: the object (or every object of an LA) is not deleted until released."""
    from steward.errors import UserError
    from steward.governance.db import session_scope
    from steward.governance.retention import hold_local_authority, place_hold, sync_ledger

    with user_errors():
        if (key is None) == (la is None):
            raise UserError(what="name one object or one LA to hold", fix="Pass KEY or --la CODE.")
        day = _date(today, "--today")
        ws, engine, user = _open(workspace, as_user)
        with session_scope(engine) as session:
            sync_ledger(session, ws, today=day)
            if la is not None:
                count = len(hold_local_authority(session, user, la, reason, today=day))
            else:
                place_hold(session, user, str(key), reason, today=day)
                count = 1
        engine.dispose()
    out.print(f"Legal hold placed on {count} object(s).", highlight=False)


@app.command("release")
def release_command(
    as_user: AsOption,
    reason: ReasonOption,
    key: Annotated[str, typer.Argument(help="Held object, as listed by 'plan' (kind:id).")],
    workspace: WorkspaceOption = Path("."),
    today: TodayOption = None,
) -> None:
    """Release a legal hold; if the object is past due, the next run deletes it."""
    from steward.governance.db import session_scope
    from steward.governance.retention import release_hold

    with user_errors():
        day = _date(today, "--today")
        _, engine, user = _open(workspace, as_user)
        with session_scope(engine) as session:
            row = release_hold(session, user, key, reason, today=day)
        engine.dispose()
    out.print(f"Legal hold released on {row.key}; it is now {row.status}.", highlight=False)


@app.command("licence")
def licence_command(
    as_user: AsOption,
    ends_on: Annotated[str, typer.Argument(help="Last day of the SRS licence (YYYY-MM-DD).")],
    workspace: WorkspaceOption = Path("."),
    today: TodayOption = None,
) -> None:
    """Record the SRS licence end: NPD extract data becomes due on it."""
    from steward.governance.db import session_scope
    from steward.governance.retention import record_licence_end

    with user_errors():
        day, end = _date(today, "--today"), _date(ends_on, "licence end")
        ws, engine, user = _open(workspace, as_user)
        with session_scope(engine) as session:
            count = record_licence_end(session, user, ws, end, today=day)
        engine.dispose()
    out.print(f"SRS licence end {end} recorded on {count} object(s).", highlight=False)
