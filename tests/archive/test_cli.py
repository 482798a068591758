"""``steward archive build`` and ``steward archive lineage`` through the CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from steward.archive import load_profile
from steward.cli.archive import app
from steward.governance.access import User
from steward.workspace import Workspace

from .test_refusals import _profile_file

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def test_build_then_lineage(
    workspace: Workspace, account: Callable[..., User], tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    builder = account(workspace, "bea.builder", password=PASSWORD)
    result = runner.invoke(
        app,
        ["build", "--workspace", str(workspace.root), "--out", str(out), "--seed", "5",
         "--as", builder.username],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Archive package written" in result.output
    assert PASSWORD not in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    pid = con.execute("SELECT min(child_pid) FROM archive_lineage").fetchone()[0]
    con.close()
    shown = runner.invoke(app, ["lineage", pid, "--workspace", str(workspace.root)])
    assert shown.exit_code == 0, shown.output
    assert "already anonymised and archived on" in shown.output
    assert manifest["archive_version"] in shown.output
    missing = runner.invoke(app, ["lineage", "0" * 32, "--workspace", str(workspace.root)])
    assert missing.exit_code == 0 and "Not archived" in missing.output
    intact = runner.invoke(app, ["verify", str(out)])
    assert intact.exit_code == 0 and "Intact" in intact.output
    csv = out / "data" / "referrals.csv"
    csv.write_bytes(csv.read_bytes().replace(b"\n", b"\r\n", 1))
    (out / "notes.txt").write_text("added later")
    tampered = runner.invoke(app, ["verify", str(out)])
    assert tampered.exit_code == 1
    assert "referrals.csv has changed" in tampered.output
    assert "notes.txt is not listed" in tampered.output
    not_a_package = runner.invoke(app, ["verify", str(tmp_path)])
    assert not_a_package.exit_code == 6 and "manifest.json" in not_a_package.output


def test_a_bad_profile_is_a_message_not_a_traceback(
    workspace: Workspace, account: Callable[..., User], tmp_path: Path
) -> None:
    columns = [*load_profile().columns, "shoe_size"]
    profile = _profile_file(tmp_path, columns=columns)
    builder = account(workspace, "bea.builder", password=PASSWORD)
    result = runner.invoke(
        app,
        ["build", "-w", str(workspace.root), "--out", str(tmp_path / "pkg"),
         "--profile", str(profile), "--as", builder.username],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "'shoe_size'" in result.output and "Where:" in result.output
    assert f"columns[{len(columns) - 1}]" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "pkg").exists()
