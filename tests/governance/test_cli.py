"""The ``audit`` and ``users`` commands, through Typer's runner, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from steward.cli.audit import app as audit_app
from steward.cli.users import app as users_app
from steward.governance.audit import AUDIT_SIGNING_KEY, AuditEntry
from steward.governance.db import make_engine
from steward.workspace import init_workspace, open_workspace

from .conftest import PASSWORD

runner = CliRunner()


@pytest.fixture
def workspace(db_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A workspace whose governance database is SQLite in the workspace (the default) or the
    test's PostgreSQL schema (through STEWARD_DATABASE_URL)."""
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    if db_url.get_backend_name() == "postgresql":
        monkeypatch.setenv("STEWARD_DATABASE_URL", db_url.render_as_string(hide_password=False))
    root = tmp_path / "ws"
    init_workspace(root)
    yield root


def run(app, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


def flat(result) -> str:  # type: ignore[no-untyped-def]
    """The output with line wrapping undone (Rich wraps to the runner's 80 columns)."""
    return " ".join(result.output.split())


def _bootstrap(ws: Path) -> None:
    result = run(
        users_app,
        "add",
        "admin1",
        "--role",
        "admin",
        "-w",
        str(ws),
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output


def test_users_add_list_and_token(workspace: Path) -> None:
    ws = str(workspace)
    first = run(users_app, "add", "analyst1", "--role", "researcher", "-w", ws, input="x\n")
    assert first.exit_code != 0 and "first account must be an admin" in flat(first)
    _bootstrap(workspace)
    assert PASSWORD not in run(users_app, "add", "x1", "--role", "dpo", "-w", ws).output
    needs_admin = run(users_app, "add", "dpo1", "--role", "dpo", "-w", ws)
    assert needs_admin.exit_code == 2 and "--as" in flat(needs_admin)
    added = run(
        users_app, "add", "rochdale1", "--role", "la_provider", "--la-code", "354",
        "--as", "admin1", "-w", ws, input=f"{PASSWORD}\n{PASSWORD}2\n{PASSWORD}2\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert f"{PASSWORD}2" not in added.output  # prompted with the input hidden
    wrong = run(users_app, "list", "--as", "admin1", "-w", ws, input="not the password\n")
    assert wrong.exit_code == 9 and "not accepted" in flat(wrong)
    listing = run(users_app, "list", "--as", "admin1", "-w", ws, input=f"{PASSWORD}\n")
    assert listing.exit_code == 0, listing.output
    assert "rochdale1" in flat(listing) and "E08000005" in flat(listing)
    not_admin = run(users_app, "list", "--as", "rochdale1", "-w", ws, input=f"{PASSWORD}2\n")
    assert not_admin.exit_code == 9 and "users.manage" in flat(not_admin)
    token = run(users_app, "token", "rochdale1", "--days", "7", "-w", ws, input=f"{PASSWORD}2\n")
    assert token.exit_code == 0, token.output
    secret = token.stdout.strip().splitlines()[-1]
    assert secret.startswith("stw_")

    from steward.governance.access import authenticate_token
    from steward.governance.db import session_scope

    engine = make_engine(open_workspace(workspace).database_url)
    try:
        with session_scope(engine) as session:
            assert authenticate_token(session, secret).username == "rochdale1"
    finally:
        engine.dispose()
    shown = run(audit_app, "show", "--last", "50", "--json", "-w", ws)
    actions = [json.loads(line)["action"] for line in shown.stdout.splitlines()]
    assert actions.count("user_added") == 2 and "token_issued" in actions
    assert "login_failed" in actions
    assert secret not in shown.stdout and PASSWORD not in shown.stdout


def test_audit_verify_checkpoint_and_tampering(workspace: Path, tmp_path: Path) -> None:
    ws = str(workspace)
    _bootstrap(workspace)
    ok = run(audit_app, "verify", "-w", ws)
    assert ok.exit_code == 0 and "intact" in flat(ok) and "1 entries" in flat(ok)
    cp = tmp_path / "elsewhere" / "cp.json"
    made = run(audit_app, "checkpoint", "--out", str(cp), "-w", ws)
    assert made.exit_code == 0, made.output
    assert cp.is_file() and json.loads(cp.read_text())["head_seq"] == 1
    keys = open_workspace(workspace).keys
    assert keys.path(AUDIT_SIGNING_KEY).is_file()
    assert not any(workspace.rglob(f"{AUDIT_SIGNING_KEY}.key"))
    held = run(audit_app, "check-checkpoint", str(cp), "-w", ws)
    assert held.exit_code == 0 and "holds" in flat(held)
    table = run(audit_app, "show", "-n", "5", "-w", ws)
    assert table.exit_code == 0 and "seq" in flat(table) and "at (UTC)" in flat(table)
    shown = run(audit_app, "show", "-n", "1", "--json", "-w", ws)
    assert json.loads(shown.stdout)["action"] == "checkpoint_exported"

    engine = make_engine(open_workspace(workspace).database_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor="mallory"))
    finally:
        engine.dispose()
    bad = run(audit_app, "verify", "-w", ws)
    assert bad.exit_code == 1
    assert "edited at seq 1" in flat(bad) and "Nothing was repaired" in flat(bad)
    again = run(audit_app, "verify", "-w", ws)
    assert again.exit_code == 1  # still reported: verify never repairs
    failed = run(audit_app, "check-checkpoint", str(cp), "-w", ws)
    assert failed.exit_code == 1 and "seq 1" in flat(failed)
    refused = run(audit_app, "checkpoint", "--out", str(tmp_path / "cp2.json"), "-w", ws)
    assert refused.exit_code == 8 and not (tmp_path / "cp2.json").exists()


def test_not_a_workspace(tmp_path: Path) -> None:
    result = run(audit_app, "verify", "-w", str(tmp_path))
    assert result.exit_code == 4 and "not a Steward workspace" in flat(result)
