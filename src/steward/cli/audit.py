"""``steward audit``: verify the hash-chained audit log, export and check signed checkpoints."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from steward.cli.common import WorkspaceOption, console, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from steward.workspace import Workspace

app = typer.Typer(
    name="audit",
    help="The audit log: verify its hash chain, show entries, export signed checkpoints.",
    no_args_is_help=True,
)
out = Console(soft_wrap=True)


def _open(workspace: Path) -> tuple[Workspace, Engine]:
    from steward.governance.db import open_database
    from steward.workspace import open_workspace

    ws = open_workspace(workspace)
    return ws, open_database(ws.database_url)


def _operator() -> str:
    # The command line runs as whoever holds the workspace; their OS login names the actor.
    return f"cli:{getpass.getuser()}"[:120]


@app.command()
def verify(workspace: WorkspaceOption = Path(".")) -> None:
    """Walk the whole chain; report the first edited, removed, reordered or inserted entry."""
    from steward.governance.audit import verify as verify_chain
    from steward.governance.db import session_scope

    with user_errors():
        _, engine = _open(workspace)
        with session_scope(engine) as session:
            report = verify_chain(session)
        engine.dispose()
    if report.problem is None:
        out.print(
            f"[green]Audit log intact[/]: {report.entries} entries, head seq {report.head_seq}, "
            f"head hash {report.head_hash}",
            highlight=False,
        )
        return
    console.print(f"[bold red]Audit log tampered:[/] {report.problem.kind} at seq "
                  f"{report.problem.seq}", highlight=False)  # fmt: skip
    console.print(f"[bold]Detail:[/] {report.problem.message}", highlight=False)
    console.print(
        "[bold]Fix:[/] Nothing was repaired. Keep the database as it is for investigation, "
        "check it against your latest checkpoint (steward audit check-checkpoint FILE) and "
        "tell the DPO.",
        highlight=False,
    )
    raise typer.Exit(code=1)


@app.command()
def checkpoint(
    workspace: WorkspaceOption = Path("."),
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Checkpoint file to write (default: outputs/audit-checkpoints/ in the workspace).",
        ),
    ] = None,
) -> None:
    """Sign the current head of the log (Ed25519) and write it to a file to keep elsewhere."""
    from steward.governance.audit import (
        AuditAction,
        AuditLog,
        export_checkpoint,
        load_signing_key,
        public_key_hex,
    )
    from steward.governance.db import session_scope

    with user_errors():
        ws, engine = _open(workspace)
        key = load_signing_key(ws.keys, create=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        with session_scope(engine) as session:
            path = out_path or ws.outputs / "audit-checkpoints" / f"checkpoint-{stamp}.json"
            signed = export_checkpoint(session, path, key)
        AuditLog(engine).record(
            _operator(),
            AuditAction.CHECKPOINT_EXPORTED,
            "audit_checkpoint",
            f"seq-{signed.head_seq}",
            details={"head_hash": signed.head_hash},
        )
        engine.dispose()
    out.print(f"Checkpoint of seq {signed.head_seq} written to {path}", highlight=False)
    out.print(f"Public key (to check it later): {public_key_hex(key)}", highlight=False)


@app.command("check-checkpoint")
def check_checkpoint(
    file: Annotated[Path, typer.Argument(help="A checkpoint file written by 'audit checkpoint'.")],
    workspace: WorkspaceOption = Path("."),
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="Public key (hex) to check the signature with (default: this workspace's).",
        ),
    ] = None,
) -> None:
    """Check a checkpoint's signature and that the log still holds the prefix it signed."""
    from steward.governance.audit import load_signing_key, public_key_from_hex, verify_checkpoint
    from steward.governance.db import session_scope

    with user_errors():
        ws, engine = _open(workspace)
        key = (
            public_key_from_hex(public_key)
            if public_key
            else load_signing_key(ws.keys).public_key()
        )
        with session_scope(engine) as session:
            report = verify_checkpoint(session, file, key)
        engine.dispose()
    if report.ok:
        out.print(f"[green]Checkpoint holds[/]: {report}", highlight=False)
        return
    console.print(f"[bold red]Checkpoint check failed:[/] {report}", highlight=False)
    console.print(
        "[bold]Fix:[/] Nothing was repaired. Keep the database as it is and tell the DPO; "
        "entries covered by the checkpoint were changed or removed (or the key is wrong).",
        highlight=False,
    )
    raise typer.Exit(code=1)


@app.command()
def show(
    workspace: WorkspaceOption = Path("."),
    last: Annotated[int, typer.Option("--last", "-n", min=1, help="How many entries.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show the newest entries (actors, actions, ids and pseudonyms only)."""
    from steward.governance.audit import last_entries
    from steward.governance.audit.chain import utc_iso
    from steward.governance.db import session_scope

    with user_errors():
        _, engine = _open(workspace)
        with session_scope(engine) as session:
            entries = last_entries(session, last)
        engine.dispose()
    if as_json:
        for e in entries:
            record = {
                "seq": e.seq, "at": utc_iso(e.at), "actor": e.actor, "action": e.action,
                "object_type": e.object_type, "object_id": e.object_id,
                "pseudonyms": e.pseudonyms, "details": e.details, "entry_hash": e.entry_hash,
            }  # fmt: skip
            out.print(json.dumps(record, sort_keys=True), markup=False, highlight=False)
        return
    table = Table()
    for column in ("seq", "at (UTC)", "action"):
        table.add_column(column, no_wrap=True)
    for column in ("actor", "object", "pseudonyms", "details"):
        # Fold rather than cut: an id must be readable whole, even in a narrow terminal.
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            str(e.seq),
            utc_iso(e.at)[:19].replace("T", " "),
            e.action,
            e.actor,
            f"{e.object_type}:{e.object_id}",
            str(len(e.pseudonyms)),
            json.dumps(e.details, sort_keys=True),
        )
    out.print(table)
