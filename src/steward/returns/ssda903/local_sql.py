"""The in-memory DuckDB connection that SSDA903 cleaning and periods of care run SQL on.

Opening a DuckDB database costs tens of milliseconds, more than cleaning a typical SSDA903
table, and a national ingest prepares thousands of them. So each thread keeps one connection
for its life; a query registers its Arrow inputs under their names for its own run only, so
nothing carries over from one file to the next.
"""

from __future__ import annotations

import os
import threading

import duckdb
import pyarrow as pa

_local = threading.local()
# Connections a forked process inherited: never used, and never closed either, since closing
# one would wait for engine threads that did not survive the fork.
_inherited: list[duckdb.DuckDBPyConnection] = []


def local_connection() -> duckdb.DuckDBPyConnection:
    """This thread's connection, opened on first use (again in a forked process)."""
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "connection", None)
    if con is not None and _local.pid == os.getpid():
        return con
    if con is not None:
        _inherited.append(con)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")  # rows stay in file order
    _local.connection, _local.pid = con, os.getpid()
    return con


def query_arrow(sql: str, **inputs: pa.Table) -> pa.Table:
    """Run ``sql`` over ``inputs`` (each readable under its keyword's name) on this thread's
    connection."""
    con = local_connection()
    for name, table in inputs.items():
        con.register(name, table)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        for name in inputs:
            con.unregister(name)
