"""Ingest with worker processes, and keeping files a group per store transaction, gives exactly
what ingest of one file at a time in one process gives.

The same files go into two workspaces under the same keys, one with ``ingest_workers = 1`` and
one with 2 (or one file per group and many): the outcomes, the store (every table, sorted, but
for load times), the audit trail and the quarantine must be the same, bad and refused files
included. A file refused while its group is kept leaves the rest of the group kept.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import steward.ingest
from steward.governance.access import User
from steward.ingest import IngestSummary, ingest
from steward.landing import Landing, Quarantine
from steward.returns.reader import file_sha256
from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES
from steward.synth.national import write_national
from steward.workspace import Workspace, init_workspace

# Both workspaces hold the same keys, so the same child has the same pseudonym in both.
PSEUDONYM_KEY = "5e" * 32
MASTER_KEY = "a7" * 32
FIRST, SECOND = ENGLISH_LOCAL_AUTHORITIES[:2]


@pytest.fixture(autouse=True)
def shared_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_PSEUDONYM_KEY", PSEUDONYM_KEY)
    monkeypatch.setenv("STEWARD_MASTER_KEY", MASTER_KEY)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national")
    write_national(out, seed=3, las=2, years=(2024,), fraction=0.02, workers=1)
    return out


def store_tables(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every store table's rows, sorted, without the load time."""
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "ORDER BY 1"
        ).fetchall()]  # fmt: skip
        tables = {}
        for name in names:
            columns = [r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
            kept = ", ".join(f'"{c}"' for c in columns if c != "ingested_at")
            tables[name] = con.execute(f'SELECT {kept} FROM "{name}" ORDER BY ALL').fetchall()
        return tables
    finally:
        con.close()


def audit_trail(workspace: Workspace) -> list[tuple[Any, ...]]:
    from steward.governance.audit import last_entries
    from steward.governance.audit.workspace import workspace_audit_log
    from steward.governance.db import session_scope

    log = workspace_audit_log(workspace)
    with session_scope(log.engine) as session:
        entries = last_entries(session, 10_000)
        return [(e.actor, e.action, e.object_type, e.object_id, e.details) for e in entries]


def outcome_rows(summary: IngestSummary) -> list[tuple[Any, ...]]:
    return [
        (o.path.name, o.status, o.submission_id, o.la_code, o.return_type, o.return_month,
         o.rows, o.quarantined, o.decisions, o.quarantined_file is not None,
         None if o.error is None else (type(o.error), o.error.what, o.error.fix, o.error.where))
        for o in summary.outcomes
    ]  # fmt: skip


def files_in(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


Ingested = tuple[IngestSummary, Workspace]


def ingest_both(
    tmp_path: Path, paths: list[Path], make_actor: Callable[[Workspace], User], **settings: Any
) -> Iterator[Ingested]:
    for workers in (1, 2):
        ws = init_workspace(tmp_path / f"workers{workers}", ingest_workers=workers, **settings)
        assert ws.settings.ingest_workers == workers
        yield ingest(ws, paths, actor=make_actor(ws)), ws


def assert_same(serial: Ingested, parallel: Ingested) -> None:
    (one, ws1), (two, ws2) = serial, parallel
    assert outcome_rows(two) == outcome_rows(one)
    assert (two.children, two.store_rows) == (one.children, one.store_rows)
    assert store_tables(ws2) == store_tables(ws1)
    assert audit_trail(ws2) == audit_trail(ws1)
    assert files_in(ws2.quarantine) == files_in(ws1.quarantine)
    assert files_in(ws2.landing) == files_in(ws1.landing)


def test_national_sample_same_with_two_workers(
    tmp_path: Path, national: Path, account: Callable[..., User]
) -> None:
    folders = [national / FIRST.slug, national / SECOND.slug]
    serial, parallel = ingest_both(tmp_path, folders, account, study="national")
    one = serial[0]
    # A CIN census and five SSDA903 tables per LA; an empty table has the same bytes in both
    # LAs, so the second LA's copy is already in the store (also when prepared ahead).
    assert len(one.outcomes) == 12 and len(one.loaded) >= 10
    assert {o.status for o in one.outcomes} == {"loaded", "already_ingested"}
    assert {o.return_type for o in one.loaded} == {"cin", "ssda903"}
    assert one.children > 0
    assert_same(serial, parallel)


def test_tiny_returns_same_with_two_workers(
    tmp_path: Path, tiny_returns: Path, account: Callable[..., User]
) -> None:
    serial, parallel = ingest_both(tmp_path, [tiny_returns], account)
    one = serial[0]
    assert one.loaded and not one.failed and one.quality_report is not None
    assert one.quarantined > 0  # the tiny returns carry rows that break blocking rules
    assert_same(serial, parallel)
    assert parallel[0].quality_report is not None
    # The same report, but for the minute it was written in (the two runs may straddle one).
    stamp = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
    reports = [s[0].quality_report for s in (serial, parallel)]
    written = [stamp.sub(b"", r.read_bytes()) for r in reports if r is not None]
    assert len(written) == 2
    assert written[0] == written[1]


def test_bad_and_refused_files_same_with_two_workers(
    tmp_path: Path, national: Path, account: Callable[..., User]
) -> None:
    batch = tmp_path / "batch"
    shutil.copytree(national / FIRST.slug, batch / FIRST.slug)
    shutil.copytree(national / SECOND.slug, batch / SECOND.slug)
    census = (national / FIRST.slug / "cin_census_2024.xml").read_bytes()
    # The header (and so the LA) reads, the children break off half way.
    (batch / FIRST.slug / "cin_census_2024_cut.xml").write_bytes(census[: len(census) // 2])
    (batch / FIRST.slug / "notes.xml").write_bytes(b"<not a census")

    def provider(ws: Workspace) -> User:
        return account(ws, "lena.provider", "la_provider", la_code=FIRST.code)

    serial, parallel = ingest_both(tmp_path, [batch], provider, study="national")
    one = serial[0]
    by_name = {(o.path.parent.name, o.path.name): o for o in one.outcomes}
    cut = by_name[(FIRST.slug, "cin_census_2024_cut.xml")]
    assert cut.status == "failed" and cut.quarantined_file is not None
    assert by_name[(FIRST.slug, "notes.xml")].status == "failed"
    # The other LA's files are refused, but for its empty tables, byte for byte the first LA's.
    second = [o for o in one.outcomes if o.path.parent.name == SECOND.slug]
    assert [o.status for o in second].count("refused") >= 4
    assert {o.status for o in second} <= {"refused", "already_ingested"}
    assert {o.la_code for o in one.loaded} == {FIRST.code}
    assert_same(serial, parallel)
    # A second run finds everything it kept already there, in either mode.
    for summary, ws in (serial, parallel):
        again = ingest(ws, [batch], actor=provider(ws))
        assert [o.status for o in again.outcomes] == [
            "already_ingested" if o.status == "loaded" else o.status for o in summary.outcomes
        ]


def test_a_bug_in_a_worker_fails_the_run(
    tmp_path: Path, national: Path, account: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    import steward.ingest_statutory

    def broken(path: Path) -> object:
        raise RuntimeError("reader bug")

    # Forked workers inherit the broken reader; a bug is not a bad file and must not be hidden.
    monkeypatch.setattr(steward.ingest_statutory, "read_ssda903", broken)
    ws = init_workspace(tmp_path / "ws", ingest_workers=2, study="national")
    with pytest.raises(RuntimeError, match="reader bug") as caught:
        ingest(ws, [national / FIRST.slug], actor=account(ws))
    # It was raised in a worker: the pool hands back the worker's traceback as the cause.
    assert type(caught.value.__cause__).__name__ == "_RemoteTraceback"


def test_group_size_changes_nothing_that_is_kept(
    tmp_path: Path, tiny_returns: Path, account: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    runs = []
    for group_files in (1, 64):
        monkeypatch.setattr(steward.ingest, "GROUP_FILES", group_files)
        ws = init_workspace(tmp_path / f"group{group_files}", ingest_workers=1)
        runs.append((ingest(ws, [tiny_returns], actor=account(ws)), ws))
    one_by_one, grouped = runs
    assert len(one_by_one[0].loaded) > 3  # a group of several files was really kept at once
    assert_same(one_by_one, grouped)


def test_an_erased_file_in_a_group_is_refused_and_writes_nothing(
    tmp_path: Path, national: Path, account: Callable[..., User]
) -> None:
    batch = tmp_path / "batch"
    shutil.copytree(national / FIRST.slug, batch)
    files = sorted(batch.iterdir())
    erased = files[len(files) // 2]
    ws = init_workspace(tmp_path / "ws", ingest_workers=1, study="national")
    landing = Landing.for_workspace(ws)
    landing.shred(landing.put(erased).sha256)  # as an erasure leaves it

    summary = ingest(ws, [batch], actor=account(ws))
    assert [o.path for o in summary.outcomes] == files  # in file order, groups or not
    refused = summary.outcomes[files.index(erased)]
    assert refused.status == "failed" and refused.quarantined_file is None
    assert refused.error is not None and "erased" in refused.error.what
    others = [o for o in summary.outcomes if o is not refused]
    assert {o.status for o in others} <= {"loaded", "already_ingested"}
    assert len(summary.loaded) >= 3
    con = duckdb.connect(str(ws.store_file), read_only=True)
    try:
        kept = {r[0] for r in con.execute("SELECT submission_id FROM submissions").fetchall()}
    finally:
        con.close()
    assert file_sha256(erased) not in kept
    assert not landing.exists(file_sha256(erased)) and staged_files(ws) == []
    assert {o.submission_id for o in summary.loaded} <= kept
    quarantine = Quarantine.for_workspace(ws)
    for sha in quarantine.list():
        held = quarantine.read(sha)
        assert "file_sha256" not in held.column_names or (
            file_sha256(erased) not in held["file_sha256"].to_pylist()
        )


def staged_files(workspace: Workspace) -> list[Path]:
    return [p for p in workspace.landing.rglob("*") if p.name.startswith(".staged-")]


def test_workers_stage_files_the_run_lands_and_sweeps(
    tmp_path: Path, national: Path, account: Callable[..., User]
) -> None:
    ws = init_workspace(tmp_path / "ws", ingest_workers=2, study="national")
    landing = Landing.for_workspace(ws)
    # What an interrupted run left staged: removed by the next run, never landed.
    leftover_file = tmp_path / "leftover.csv"
    leftover_file.write_bytes(b"child_id\nFICT-0009\n")
    leftover = landing.stage(leftover_file, file_sha256(leftover_file), "0123abcd")
    files = sorted((national / FIRST.slug).iterdir())
    summary = ingest(ws, [national / FIRST.slug], actor=account(ws))
    assert summary.loaded and not leftover.object_file.exists()
    assert staged_files(ws) == []
    assert set(landing.list()) == {file_sha256(p) for p in files}
    for outcome in summary.loaded:
        assert outcome.submission_id is not None
        assert landing.read(outcome.submission_id) == outcome.path.read_bytes()
    # Sent again: nothing is prepared or staged, every file is already in the store.
    again = ingest(ws, [national / FIRST.slug], actor=account(ws))
    assert {o.status for o in again.outcomes} == {"already_ingested"}
    assert staged_files(ws) == []
