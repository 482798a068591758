"""One DuckDB connection per thread (and per process) serves every SSDA903 file it reads."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from steward.returns.ssda903.local_sql import local_connection, query_arrow
from steward.returns.ssda903.reader import read_ssda903

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "ssda903"


def _cleaned(name: str) -> pa.Table:
    return read_ssda903(FIXTURES / name).data


def test_a_file_leaves_nothing_behind_on_the_connection() -> None:
    first = _cleaned("episodes.csv")
    with pytest.raises(duckdb.CatalogException):
        local_connection().sql("SELECT count(*) FROM raw_rows").fetchall()
    # The next file on the same connection sees its own rows only.
    header = _cleaned("header.csv")
    assert "DECOM" not in header.column_names
    assert _cleaned("episodes.csv").equals(first)


def test_inputs_are_dropped_when_the_query_fails() -> None:
    rows = pa.table({"x": [1, 2]})
    with pytest.raises(duckdb.Error):
        query_arrow("SELECT no_such_column FROM t", t=rows)
    with pytest.raises(duckdb.CatalogException):
        local_connection().sql("SELECT * FROM t").fetchall()
    assert query_arrow("SELECT sum(x) AS s FROM t", t=rows).to_pylist() == [{"s": 3}]


def test_each_thread_has_its_own_cursor_on_one_database() -> None:
    mine = local_connection()
    assert local_connection() is mine
    theirs: list[duckdb.DuckDBPyConnection] = []
    worker = threading.Thread(target=lambda: theirs.append(local_connection()))
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine
    # One database (and one pool of engine threads) per process, however many threads query.
    mine.execute("CREATE TABLE seen_by_both AS SELECT 1 AS x")
    try:
        assert theirs[0].sql("SELECT x FROM seen_by_both").fetchall() == [(1,)]
    finally:
        mine.execute("DROP TABLE seen_by_both")


def test_threads_reading_at_once_get_their_own_rows() -> None:
    names = ["episodes.csv", "header.csv", "reviews.csv", "uasc.csv"] * 3
    alone = {name: _cleaned(name) for name in set(names)}
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(_cleaned, names))
    assert all(t.equals(alone[n]) for n, t in zip(names, together, strict=True))


def _cleaned_elsewhere(name: str) -> tuple[int, pa.Table]:
    return id(local_connection()), _cleaned(name)


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)
def test_a_forked_worker_opens_its_own_connection() -> None:
    # As the ingest pool does: this process has used its connection before the fork. The
    # copy a child inherits has no engine threads behind it, so the child must not use it.
    here = _cleaned("episodes.csv")
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        connection, there = pool.submit(_cleaned_elsewhere, "episodes.csv").result(timeout=120)
    assert connection != id(local_connection())
    assert there.equals(here)
