"""Loading the research store: atomic, idempotent, pseudonymised only, no raw ids in the file."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from fictional_returns import pseudonymised_submission, raw_child_ids, raw_table, submission_id
from store_crash_data import SID_A, SID_B, submission_b

from steward.errors import PolicyViolation, ValidationError
from steward.pseudonymise.pseudonym import hmac_pads
from steward.returns.layout import DR2_REFERRALS, TABLES
from steward.store import ResearchStore, SubmissionRecord
from steward.workspace import init_workspace

KEY = bytes(range(32))
LA = "E08000005"
MONTH = dt.date(2024, 3, 1)


def record(sid: str, la: str = LA, month: dt.date = MONTH) -> SubmissionRecord:
    return SubmissionRecord(sid, la, "dr2", month, "return.xlsx", quarantined=2)


def test_load_writes_all_tables_and_ledger(tmp_path: Path) -> None:
    sid = submission_id("one")
    tables = pseudonymised_submission(KEY, LA, MONTH, sid)
    with ResearchStore(tmp_path / "r.duckdb") as store:
        result = store.load(record(sid), tables)
        assert result.loaded and result.rows == {t.name: 120 for t in TABLES}
        ledger = store.history("submissions").to_pylist()
        assert len(ledger) == 1
        assert ledger[0]["rows"] == 120 * len(TABLES) and ledger[0]["quarantined"] == 2
        for t in TABLES:
            assert store.history(t.name).num_rows == 120


def test_same_submission_twice_is_a_noop(tmp_path: Path) -> None:
    sid = submission_id("one")
    tables = pseudonymised_submission(KEY, LA, MONTH, sid)
    with ResearchStore(tmp_path / "r.duckdb") as store:
        store.load(record(sid), tables)
        again = store.load(record(sid), tables)
        assert not again.loaded
        assert store.history("dr2_referrals").num_rows == 120
        assert store.history("submissions").num_rows == 1


def test_group_load_takes_each_new_submission_once(tmp_path: Path) -> None:
    one, two = submission_id("one"), submission_id("two")
    with ResearchStore(tmp_path / "r.duckdb") as store:
        store.load(record(one), pseudonymised_submission(KEY, LA, MONTH, one))
        results = store.load_all([
            (record(one), pseudonymised_submission(KEY, LA, MONTH, one)),  # in the store
            (record(two), pseudonymised_submission(KEY, LA, MONTH, two)),
            (record(two), pseudonymised_submission(KEY, LA, MONTH, two)),  # twice in the group
        ])  # fmt: skip
        assert [(r.submission_id, r.loaded) for r in results] == [
            (one, False), (two, True), (two, False)
        ]  # fmt: skip
        assert store.submission_ids() == {one, two}
        assert store.history("dr2_referrals").num_rows == 240


def test_raw_identifiers_refused_before_writing(tmp_path: Path) -> None:
    sid = submission_id("raw")
    raw = raw_table(DR2_REFERRALS, LA, MONTH, sid, 5, 5)
    with ResearchStore(tmp_path / "r.duckdb") as store:
        with pytest.raises(PolicyViolation) as exc:
            store.load(record(sid), {"dr2_referrals": raw})
        assert exc.value.where.column == "child_id"
        assert store.history("submissions").num_rows == 0


def test_failure_in_a_later_table_rolls_back_earlier_ones(tmp_path: Path) -> None:
    sid = submission_id("one")
    tables = pseudonymised_submission(KEY, LA, MONTH, sid)
    # The last table is from another submission: refused; nothing of this one is kept.
    tables["dr3_cin_closures"] = pseudonymised_submission(KEY, LA, MONTH, "f" * 64)[
        "dr3_cin_closures"
    ]
    with ResearchStore(tmp_path / "r.duckdb") as store:
        with pytest.raises(ValidationError, match="another submission"):
            store.load(record(sid), tables)
        assert all(store.history(t.name).num_rows == 0 for t in TABLES)


def test_engine_failure_mid_transaction_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from steward.store import dialect_duckdb

    sid = submission_id("one")
    tables = pseudonymised_submission(KEY, LA, MONTH, sid)
    real = dialect_duckdb.insert_arrow
    calls: list[str] = []

    def failing(
        con: duckdb.DuckDBPyConnection, table: str, cols: tuple[str, ...], data: pa.Table
    ) -> None:
        calls.append(table)
        if len(calls) == 4:
            raise duckdb.IOException("disk full")
        real(con, table, cols, data)

    monkeypatch.setattr(dialect_duckdb, "insert_arrow", failing)
    with ResearchStore(tmp_path / "r.duckdb") as store:
        with pytest.raises(duckdb.IOException):
            store.load(record(sid), tables)
        monkeypatch.setattr(dialect_duckdb, "insert_arrow", real)
        assert store.history("dr2_referrals").num_rows == 0
        assert store.load(record(sid), tables).loaded
        assert store.history("dr2_referrals").num_rows == 120


def test_schema_mismatch_is_located(tmp_path: Path) -> None:
    sid = submission_id("one")
    table = pseudonymised_submission(KEY, LA, MONTH, sid)["dr2_cp"].drop_columns(["gender"])
    with ResearchStore(tmp_path / "r.duckdb") as store, pytest.raises(ValidationError) as exc:
        store.load(record(sid), {"dr2_cp": table})
    assert "gender" in exc.value.what and exc.value.where.sheet == "dr2_cp"


def test_opened_from_workspace_settings(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws", duckdb_memory_limit="300MB", duckdb_threads=1)
    with ResearchStore.open(workspace) as store:
        limit = store.query("SELECT current_setting('memory_limit') AS m").column(0)[0].as_py()
        threads = store.query("SELECT current_setting('threads') AS t").column(0)[0].as_py()
        spill = store.query("SELECT current_setting('temp_directory') AS d").column(0)[0].as_py()
    assert limit.replace(" ", "").upper().startswith(("286", "300"))
    assert int(threads) == 1
    assert spill == str(workspace.store / "tmp")
    assert workspace.store_file.exists()


def test_no_raw_child_id_anywhere_in_the_store_file(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    raw_ids: set[str] = set()
    with ResearchStore(path) as store:
        for i, la in enumerate(("E08000005", "E06000003")):
            sid = submission_id(la)
            store.load(record(sid, la), pseudonymised_submission(KEY, la, MONTH, sid, seed=i))
            raw_ids |= set(raw_child_ids(la, 50))
        store.checkpoint()
        text_values: set[str] = set()
        for (table,) in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            for column in store.history(table).itercolumns():
                if pa.types.is_string(column.type):
                    text_values |= {v for v in column.to_pylist() if v is not None}
    assert not raw_ids & text_values
    assert not any(raw in v for v in text_values for raw in ("FICTCHILD", "FICTREF"))
    blobs = [p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("r.duckdb")]
    found = [raw for raw in raw_ids for blob in blobs if raw.encode() in blob]
    assert not found
    assert not any(b"FICTCHILD" in blob or b"FICTREF" in blob for blob in blobs)
    # Nor the pseudonym key, raw or as HMAC pads.
    secrets = [KEY, KEY.hex().encode(), *hmac_pads(KEY)]
    assert not any(s in blob for s in secrets for blob in blobs)


def test_byte_scan_would_find_a_leak(tmp_path: Path) -> None:
    """Control for the test above: raw ids written to a DuckDB file are found by the scan."""
    path = tmp_path / "leak.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('FICTCHILDE08000005X0000001'))")
    con.execute("CHECKPOINT")
    con.close()
    assert b"FICTCHILD" in path.read_bytes()


@pytest.mark.slow
def test_sigkill_mid_load_leaves_store_as_it_was(tmp_path: Path) -> None:
    store_file, marker = tmp_path / "r.duckdb", tmp_path / "marker"
    rows = 250_000  # two row groups per table: DuckDB writes them to the file before commit
    script = Path(__file__).with_name("crash_load.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(store_file), str(marker), str(rows)], env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            assert proc.poll() is None, "the loader exited before the crash point"
            assert time.monotonic() < deadline, "the loader never reached the crash point"
            time.sleep(0.05)
        # Uncommitted rows already reached the disk: the kill really lands mid-write.
        written = sum(p.stat().st_size for p in tmp_path.glob("r.duckdb*"))
        assert written > int(marker.read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    with ResearchStore(store_file, threads=1) as store:
        assert store.query("SELECT submission_id FROM submissions").column(0).to_pylist() == [SID_A]
        for name in ("dr2_referrals", "dr2_cp", "dr2_cla"):
            assert store.history(name).num_rows == 1_000
        # Re-running the interrupted load completes it; a third run is a no-op.
        assert store.load(*submission_b(rows)).loaded
        assert not store.load(*submission_b(rows)).loaded
        ids = sorted(store.query("SELECT submission_id FROM submissions").column(0).to_pylist())
        assert ids == [SID_A, SID_B]
        assert store.history("dr2_referrals").num_rows == 1_000 + rows
