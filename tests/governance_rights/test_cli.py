"""``steward rights`` and ``steward consent`` through the Typer runner, on a real workspace."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from steward.cli.consent import app as consent_app
from steward.cli.rights import app as rights_app
from steward.governance.access import User
from steward.governance.access.authentication import hash_password
from steward.governance.db import make_engine, open_database, session_scope
from steward.workspace import Workspace

from .conftest import Child

PASSWORD = "correct horse battery staple"
runner = CliRunner()


@pytest.fixture(autouse=True)
def light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with small cost parameters, so logging in stays fast."""
    from argon2 import PasswordHasher

    from steward.governance.access import authentication

    monkeypatch.setattr(
        authentication, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def dpo_account(workspace: Workspace) -> str:
    engine = open_database(workspace.database_url)
    with session_scope(engine) as session:
        session.add(
            User(username="dana", role="dpo", password_hash=hash_password(PASSWORD),
                 la_code=None, accreditation_expires=None, active=True,
                 created_at=dt.datetime.now(dt.UTC))
        )  # fmt: skip
    engine.dispose()
    return "dana"


def _run(app: object, args: list[str], workspace: Workspace, *prompts: str) -> str:
    result = runner.invoke(
        app,  # type: ignore[arg-type]
        [*args, "--workspace", str(workspace.root)],
        input="\n".join([PASSWORD, *prompts]) + "\n",
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_request_from_log_to_access_pack(
    workspace: Workspace, dpo_account: str, children: list[Child]
) -> None:
    child = children[0]
    as_ = ["--as", dpo_account]
    out = _run(rights_app, ["log", "--right", "access", "--channel", "email",
                            "--received", "2026-10-01", *as_],
               workspace, "Kim Fictional", "kim@example.org")  # fmt: skip
    assert "RR-2026-0001" in out
    _run(rights_app, ["verify-identity", "RR-2026-0001", "--evidence", "ID-9 passport seen",
                      "--on", "2026-10-03", *as_], workspace)  # fmt: skip
    out = _run(rights_app, ["locate", "RR-2026-0001", "--la-code", child.la_code, *as_],
               workspace, child.la_child_id)  # fmt: skip
    assert "found in the data" in out
    pack = workspace.root.parent / "pack"
    out = _run(rights_app, ["access-pack", "RR-2026-0001", "--out", str(pack), *as_], workspace)
    assert (pack / "manifest.json").is_file() and (pack / "dr2_referrals.csv").is_file()
    out = _run(rights_app, ["show", "RR-2026-0001", *as_], workspace)
    assert "access_pack_built" in out and "Kim" not in out
    _run(rights_app, ["close", "RR-2026-0001", "--outcome", "completed", "--on", "2026-10-20",
                      *as_], workspace)  # fmt: skip
    stats_file = workspace.root.parent / "stats.json"
    _run(rights_app, ["stats", "--out", str(stats_file), *as_], workspace)
    stats = json.loads(stats_file.read_text())
    assert stats["closed_on_time"] == 1 and "Kim" not in stats_file.read_text()
    engine = make_engine(workspace.database_url)
    with engine.connect() as conn:
        dumped = str(list(conn.exec_driver_sql("SELECT * FROM audit_entries")))
    engine.dispose()
    assert child.la_child_id not in dumped and "Kim" not in dumped


def test_user_error_is_shown_without_traceback(workspace: Workspace, dpo_account: str) -> None:
    result = runner.invoke(
        rights_app,
        ["pause", "RR-2026-0099", "--reason", "fee", "--as", dpo_account,
         "--workspace", str(workspace.root)],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "no rights request 'RR-2026-0099'" in result.output
    assert "Fix:" in result.output and "Traceback" not in result.output


def test_consent_commands(workspace: Workspace, dpo_account: str) -> None:
    as_ = ["--as", dpo_account]
    wording = workspace.root.parent / "interview.txt"
    wording.write_text("I agree to be interviewed (fictional wording).")
    _run(consent_app, ["add-text", "--activity", "interview", "--text", str(wording), *as_],
         workspace)  # fmt: skip
    out = _run(consent_app, ["register", "--kind", "professional", *as_], workspace,
               "Jo Fictional", "jo@example.org")  # fmt: skip
    assert "P-00001" in out
    _run(consent_app, ["give", "P-00001", "--activity", "interview", *as_], workspace)
    recording = workspace.root.parent / "rec.bin"
    recording.write_bytes(b"fictional audio")
    _run(consent_app, ["store", "P-00001", "--activity", "interview", "--kind", "recording",
                       "--file", str(recording), *as_], workspace)  # fmt: skip
    out = _run(consent_app, ["withdraw", "P-00001", "--activity", "interview", *as_], workspace)
    assert "1 item(s) deleted" in out
    out = _run(consent_app, ["list", *as_], workspace)
    assert "P-00001" in out and "Jo" not in out
