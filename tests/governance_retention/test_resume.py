"""An interrupted retention run resumes without deleting anything twice or skipping anything:
faults injected between the steps of a deletion, and a real SIGKILL of a running process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from steward.governance.access import User
from steward.governance.db import session_scope
from steward.governance.retention import LANDING_FILE, LedgerRow, plan, run
from steward.landing import Landing
from steward.workspace import Workspace

from .helpers import DUE_DAY, certificates, ledger, store_rows


class Interrupted(Exception):
    pass


def _fail_at(stage: str, count: int):  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def progress(at: str, row: LedgerRow) -> None:
        if at == stage:
            seen.append(row.key)
            if len(seen) == count:
                raise Interrupted(row.key)

    return progress


def _due_keys(engine: Engine, workspace: Workspace, dpo: User) -> set[str]:
    with session_scope(engine) as session:
        return {r.key for r in plan(session, dpo, DUE_DAY, workspace) if r.status == "due"}


def _assert_all_deleted_once(engine: Engine, workspace: Workspace, due: set[str]) -> None:
    rows = ledger(engine)
    assert {k for k, r in rows.items() if r.status == "deleted"} == due
    certified = certificates(engine)
    assert set(certified) == due and set(certified.values()) == {1}
    assert not store_rows(workspace)
    landing = Landing.for_workspace(workspace)
    assert not any(landing.exists(r.object_id) for r in rows.values() if r.kind == LANDING_FILE)


@pytest.mark.slow
def test_faults_between_steps_are_finished_on_the_rerun(
    engine: Engine, workspace: Workspace, dpo: User
) -> None:
    due = _due_keys(engine, workspace, dpo)
    # Marked 'deleting', then the process fails before the deleter runs.
    with session_scope(engine) as session, pytest.raises(Interrupted) as first:
        run(session, workspace, dpo, DUE_DAY, progress=_fail_at("deleting", 3))
    rows = ledger(engine)
    assert rows[str(first.value)].status == "deleting"
    assert sum(r.status == "deleted" for r in rows.values()) == 2
    # Deleted and certified, then the process fails before reporting it.
    with session_scope(engine) as session, pytest.raises(Interrupted) as second:
        run(session, workspace, dpo, DUE_DAY, progress=_fail_at("deleted", 5))
    assert ledger(engine)[str(second.value)].status == "deleted"
    with session_scope(engine) as session:
        last = run(session, workspace, dpo, DUE_DAY)
    assert last.resumed == 0 and len(last.certificates) == len(due) - 2 - 5
    _assert_all_deleted_once(engine, workspace, due)
    resumed = [c for c in certificates_details(engine) if c["resumed"]]
    assert len(resumed) == 1  # the one left 'deleting' by the first fault, finished by the second


def certificates_details(engine: Engine) -> list[dict[str, object]]:
    from sqlalchemy import select

    from steward.governance.audit import AuditEntry

    with session_scope(engine) as session:
        return list(session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "deletion")))  # fmt: skip


CHILD = textwrap.dedent(
    """
    import datetime as dt, sys
    from pathlib import Path
    from sqlalchemy import select
    from steward.governance.access import User
    from steward.governance.db import make_engine, session_scope
    from steward.governance.retention import run
    from steward.workspace import open_workspace

    workspace = open_workspace(Path(sys.argv[1]))
    engine = make_engine(sys.argv[2])
    with session_scope(engine) as session:
        actor = session.scalar(select(User).where(User.username == sys.argv[3]))
        run(session, workspace, actor, dt.date.fromisoformat(sys.argv[4]),
            progress=lambda stage, row: print(stage, row.key, flush=True))
    print("finished", flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_mid_run_resumes_without_double_deletion(
    engine: Engine, db_url: URL, workspace: Workspace, dpo: User, tmp_path: Path
) -> None:
    due = _due_keys(engine, workspace, dpo)
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    url = db_url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, str(script), str(workspace.root), url, dpo.username,
         DUE_DAY.isoformat()],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    deleted = 0
    for line in child.stdout:
        deleted += line.startswith("deleted ")
        if deleted == 8:
            # Killed wherever it happens to be: in the next object's deletion or between steps.
            os.kill(child.pid, signal.SIGKILL)
            break
    assert child.wait(timeout=120) == -signal.SIGKILL
    rows = ledger(engine)
    done = sum(r.status == "deleted" for r in rows.values())
    assert 8 <= done < len(due)
    assert sum(r.status == "deleting" for r in rows.values()) <= 1
    with session_scope(engine) as session:
        report = run(session, workspace, dpo, DUE_DAY)
    assert len(report.certificates) == len(due) - done
    _assert_all_deleted_once(engine, workspace, due)
