"""``steward retention`` through Typer's runner, with the governance database in the workspace
(SQLite, the default) or on PostgreSQL (through STEWARD_DATABASE_URL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from steward.cli.retention import app
from steward.governance.db import open_database
from steward.workspace import Workspace, open_workspace

from .conftest import PASSWORD, make_user
from .helpers import DUE_DAY, HELD_LA, certificates, store_rows

runner = CliRunner()


@pytest.fixture
def root(db_url: URL, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    if db_url.get_backend_name() == "postgresql":
        monkeypatch.setenv("STEWARD_DATABASE_URL", db_url.render_as_string(hide_password=False))
    engine = open_database(open_workspace(workspace.root).database_url)
    make_user(engine, "dana.dpo", "dpo", password=PASSWORD)
    make_user(engine, "rob.researcher", "researcher", password=PASSWORD)
    engine.dispose()
    yield workspace.root


def flat(output: str) -> str:
    return " ".join(output.split())


def cli(*args: str, input: str = f"{PASSWORD}\n"):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


@pytest.mark.slow
def test_plan_hold_run_release(root: Path) -> None:
    ws = ["-w", str(root)]
    planned = cli("plan", "--as", "rob.researcher", "--today", "2027-01-04", *ws)
    assert planned.exit_code == 0, planned.output
    assert "2031-06-30" in planned.output and "0 due, 0 held" in flat(planned.output)

    refused = cli("hold", "--la", HELD_LA, "--reason", "LH-1", "--as", "rob.researcher", *ws)
    assert refused.exit_code != 0 and "may not retention.run" in flat(refused.output)
    held = cli("hold", "--la", HELD_LA, "--reason", "litigation LH-1", "--as", "dana.dpo", *ws)
    assert held.exit_code == 0, held.output

    declined = cli("run", "--as", "dana.dpo", "--today", DUE_DAY.isoformat(), *ws,
                   input=f"{PASSWORD}\nn\n")  # fmt: skip
    assert declined.exit_code == 1 and not certificates(_engine(root))
    ran = cli("run", "--as", "dana.dpo", "--today", DUE_DAY.isoformat(), *ws,
              input=f"{PASSWORD}\ny\n")  # fmt: skip
    assert ran.exit_code == 0, ran.output
    assert {la for _, la in store_rows(open_workspace(root))} == {HELD_LA}

    after = cli("plan", "--as", "dana.dpo", "--today", DUE_DAY.isoformat(), *ws)
    # Everything left is the held LA's, listed with the reason for the hold.
    assert "litigation" in after.output
    assert re.search(r"0 due, (\d+) held, \1 objects stored", flat(after.output))
    key = f"store_partition:dr2_referrals:{HELD_LA}"
    released = cli("release", key, "--reason", "case closed", "--as", "dana.dpo",
                   "--today", DUE_DAY.isoformat(), *ws)  # fmt: skip
    assert released.exit_code == 0 and "now due" in flat(released.output)
    again = cli("run", "--yes", "--as", "dana.dpo", "--today", DUE_DAY.isoformat(), *ws)
    assert again.exit_code == 0 and "Deleted 1 objects" in flat(again.output)
    assert ("dr2_referrals", HELD_LA) not in store_rows(open_workspace(root))


def test_bad_input_is_a_clear_error(root: Path) -> None:
    ws = ["-w", str(root)]
    bad_day = cli("plan", "--as", "dana.dpo", "--today", "31/07/2031", *ws)
    assert bad_day.exit_code != 0 and "is not a date" in flat(bad_day.output)
    unknown = cli("hold", "landing_file:abc", "--reason", "x", "--as", "dana.dpo", *ws)
    assert unknown.exit_code != 0 and "has no object" in flat(unknown.output)
    both = cli("hold", "--reason", "x", "--as", "dana.dpo", *ws)
    assert both.exit_code != 0 and "name one object or one LA" in flat(both.output)
    wrong = cli("plan", "--as", "dana.dpo", *ws, input="not the password\n")
    assert isinstance(wrong.exception, SystemExit) and wrong.exit_code != 0
    assert "Error:" in wrong.output


def _engine(root: Path):  # type: ignore[no-untyped-def]
    return open_database(open_workspace(root).database_url)
