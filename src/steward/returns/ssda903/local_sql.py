"""The in-memory DuckDB database that SSDA903 cleaning and periods of care run SQL on.

Opening a DuckDB database costs tens of milliseconds, more than cleaning a typical SSDA903
table, and a national ingest prepares thousands of them. So each process opens one database
for its life and each thread queries it through its own cursor (cursors cost microseconds and
see only what was registered on them). A query registers its Arrow inputs under their names
for its own run only, so nothing carries over from one file to the next.
"""

from __future__ import annotations

import os
import threading

import duckdb
import pyarrow as pa

_database: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (process id, database)
_local = threading.local()
# What a forked process inherited: never used, and never closed either, since closing it would
# wait for engine threads that did not survive the fork.
_inherited: list[duckdb.DuckDBPyConnection] = []


def _process_database(pid: int) -> duckdb.DuckDBPyConnection:
    global _database
    if _database is None or _database[0] != pid:
        if _database is not None:
            _inherited.append(_database[1])
        # Two threads racing here each get a working database; the loser's goes with its cursor.
        _database = (pid, duckdb.connect())
        _database[1].execute("SET preserve_insertion_order = true")  # rows stay in file order
    return _database[1]


def local_connection() -> duckdb.DuckDBPyConnection:
    """This thread's cursor on this process's database, opened on first use."""
    pid = os.getpid()
    cursor: duckdb.DuckDBPyConnection | None = getattr(_local, "cursor", None)
    if cursor is not None and _local.pid == pid:
        return cursor
    if cursor is not None:
        _inherited.append(cursor)
    cursor = _process_database(pid).cursor()
    _local.cursor, _local.pid = cursor, pid
    return cursor


def query_arrow(sql: str, **inputs: pa.Table) -> pa.Table:
    """Run ``sql`` over ``inputs`` (each readable under its keyword's name) on this thread's
    cursor."""
    con = local_connection()
    for name, table in inputs.items():
        con.register(name, table)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        for name in inputs:
            con.unregister(name)
