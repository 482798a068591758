"""The ingest service end to end: files in, pseudonymised store out, bad files reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from steward.governance.access import User
from steward.ingest import ingest
from steward.synth import generate_returns
from steward.workspace import Workspace, init_workspace

PASSWORD = "correct horse battery staple"
REFERRAL_HEADINGS = [
    "Child ID", "Referral ID or Case ID", "Referral date", "Referral NFA",
    "Year and month of birth of the child", "Gender", "Ethnicity", "Disabled status",
    "Unaccompanied asylum seeker", "Number of previous child protection plans",
]  # fmt: skip


def dr2_workbook(path: Path, children: int, *, la_name: str = "Rochdale") -> list[str]:
    """A small, tidy DR2 workbook with long, distinctive child ids; returns the ids."""
    ids = [f"RDL-CHILD-{i:07d}" for i in range(children)]
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Referrals")
    sheet.write_row(0, 0, [f"No Wrong Door data return 2 - {la_name}"])
    sheet.write_row(2, 0, REFERRAL_HEADINGS)
    for i, child in enumerate(ids):
        sheet.write_row(
            3 + i,
            0,
            [child, f"REF-{i:07d}-X", f"{1 + i % 28:02d}/0{1 + i % 9}/2021", "No", "2007-05",
             "Female" if i % 2 else "Male", "WBRI", "No", "No", i % 4],
        )  # fmt: skip
    book.close()
    return ids


def _logged_in(workspace: Workspace, username: str) -> bool:
    from steward.governance.audit import last_entries
    from steward.governance.audit.workspace import workspace_audit_log
    from steward.governance.db import session_scope

    with session_scope(workspace_audit_log(workspace).engine) as session:
        return any(e.actor == username and e.action == "login" for e in last_entries(session, 500))


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def researcher(workspace: Workspace, account: Callable[..., User]) -> User:
    return account(workspace)


def test_synthetic_returns_ingest_and_reingest_is_a_no_op(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    result = generate_returns(tmp_path / "in", scale="tiny", seed=3)
    summary = ingest(workspace, [tmp_path / "in"], actor=researcher)
    assert not summary.failed, [o.error for o in summary.failed]
    assert len(summary.loaded) == len(result.files)
    assert summary.children > 0
    assert summary.quality_report is not None and summary.quality_report.is_file()
    for outcome in summary.loaded:
        assert outcome.rows > 0
    again = ingest(workspace, [tmp_path / "in"], actor=researcher)
    assert {o.status for o in again.outcomes} == {"already_ingested"}
    assert again.children == summary.children


def test_no_raw_identifier_reaches_the_store(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    path = tmp_path / "rochdale_dr2_nov21.xlsx"
    ids = dr2_workbook(path, 300)
    summary = ingest(workspace, [path], actor=researcher)
    assert summary.loaded and summary.children == 300
    con = duckdb.connect(str(workspace.store_file))
    con.execute("CHECKPOINT")
    texts = set()
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    ).fetchall():
        for (col,) in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND data_type = 'VARCHAR'",
            [table],
        ).fetchall():
            texts.update(
                v for (v,) in con.execute(f'SELECT DISTINCT "{col}" FROM "{table}"').fetchall()
            )
    con.close()
    assert not texts & set(ids)
    raw = workspace.store_file.read_bytes()
    for child in ids:
        assert child.encode() not in raw
    # Nor is any raw id left in plain text anywhere else in the workspace.
    for file in workspace.root.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert not any(child.encode() in data for child in ids[:50]), file


def test_bad_files_are_reported_and_the_rest_ingests(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    good = tmp_path / "rochdale_dr2_nov21.xlsx"
    dr2_workbook(good, 20)
    (tmp_path / "notes.csv").write_text("just,some\nwords,here\n")
    (tmp_path / "truncated.xlsx").write_bytes(good.read_bytes()[:500])
    (tmp_path / "bristol_dr2_nov21.xlsx").write_bytes(good.read_bytes())  # LA not in the study
    summary = ingest(workspace, [tmp_path], actor=researcher)
    verdicts = {o.path.name: o for o in summary.outcomes}
    assert verdicts["rochdale_dr2_nov21.xlsx"].status == "loaded"
    for name in ("notes.csv", "truncated.xlsx"):
        failed = verdicts[name]
        assert failed.status == "failed" and failed.error is not None
        assert failed.error.fix
        assert name in str(failed.error.where) or name in failed.error.what
    assert summary.children == 20


def test_killed_ingest_leaves_store_consistent_and_rerun_completes(
    workspace: Workspace, account: Callable[..., User], tmp_path: Path
) -> None:
    incoming = tmp_path / "in"
    generate_returns(incoming, scale="tiny", seed=5)
    researcher = account(workspace, password=PASSWORD)
    env = {**os.environ}
    cmd = [sys.executable, "-m", "steward.cli.main", "ingest", str(incoming),
           "--workspace", str(workspace.root), "--as", researcher.username]  # fmt: skip
    # A new session has no terminal, so the password prompt reads stdin.
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(f"{PASSWORD}\n".encode())
    proc.stdin.close()
    # Wait until some submissions are in, then kill it mid-batch.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.5)
        if workspace.store_file.exists() and any(workspace.landing.rglob("*")):
            time.sleep(1.5)
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _logged_in(workspace, researcher.username)  # the run was the researcher's
    # Every submission in the ledger has all its rows; nothing half-written.
    summary = ingest(workspace, [incoming], actor=researcher)
    assert not summary.failed
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    per_submission = con.execute(
        "SELECT s.submission_id, count(r.submission_id) FROM submissions s "
        "LEFT JOIN dr2_referrals r USING (submission_id) WHERE s.return_type = 'dr2' "
        "GROUP BY 1"
    ).fetchall()
    con.close()
    assert per_submission and all(n > 0 for _, n in per_submission)
    fresh = init_workspace(tmp_path / "fresh")
    reference = ingest(fresh, [incoming], actor=account(fresh))
    assert reference.children == summary.children
    assert reference.store_rows == summary.store_rows


def test_ingest_is_audited_without_personal_data(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    from steward.governance.audit import last_entries, verify
    from steward.governance.audit.workspace import workspace_audit_log
    from steward.governance.db import session_scope

    path = tmp_path / "rochdale_dr2_nov21.xlsx"
    ids = dr2_workbook(path, 5)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    ingest(workspace, [tmp_path], actor=researcher)
    log = workspace_audit_log(workspace)
    with session_scope(log.engine) as session:
        assert verify(session).ok
        entries = last_entries(session, 50)
    actions = [(e.action, (e.details or {}).get("status")) for e in entries]
    assert ("pseudonymise", None) in actions
    assert ("ingest", "loaded") in actions and ("ingest", "failed") in actions
    for db in workspace.root.glob("governance.db*"):
        data = db.read_bytes()
        assert not any(child.encode() in data for child in ids)


def test_erased_people_are_not_brought_back_by_a_later_return(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    import datetime as dt

    from steward.governance.audit.workspace import workspace_audit_log
    from steward.governance.db import session_scope
    from steward.governance.rights.locate import tombstone_digest
    from steward.governance.rights.models import ErasureTombstone
    from steward.pseudonymise.pseudonym import pseudonym_reference

    first = tmp_path / "a" / "rochdale_dr2_nov21.xlsx"
    first.parent.mkdir()
    ids = dr2_workbook(first, 10)
    erased = pseudonym_reference(workspace.keys.load("pseudonym"), "354", ids[3])
    assert erased is not None
    engine = workspace_audit_log(workspace).engine
    with session_scope(engine) as session:
        session.add(ErasureTombstone(digest=tombstone_digest(erased), request_reference="RR-1",
                                     erased_at=dt.datetime.now(dt.UTC)))  # fmt: skip
    summary = ingest(workspace, [first], actor=researcher)
    assert summary.children == 9
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    found = con.execute(
        "SELECT count(*) FROM dr2_referrals WHERE child_pid = ?", [erased]
    ).fetchall()
    con.close()
    assert found == [(0,)]
