"""Everything DuckDB-specific about the research store, kept in one place.

The store's tables and views are written as dialect-neutral SQL (see :mod:`.views`); this module
holds what only DuckDB does: opening the file with its resource settings, handing Arrow tables
to the engine, indexing people's pseudonyms, checkpointing, and turning DuckDB's errors into ones a user can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from steward.errors import EngineError, Location

DIALECT = "duckdb"


def connect(
    path: Path, *, memory_limit: str, threads: int, temp_directory: Path
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store file with a memory limit, threads and a spill folder."""
    temp_directory.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "memory_limit": memory_limit,
        "threads": threads,
        "temp_directory": str(temp_directory),
        # Insertion order is not part of the store's contract; dropping it lets loads stream.
        "preserve_insertion_order": False,
        # An ingest commits once per file; at the default 16 MB of log DuckDB would rewrite
        # the store file every few files. The log is replayed if a run dies, and written into
        # the file when the store is closed.
        "checkpoint_threshold": "1GB",
    }
    try:
        return duckdb.connect(str(path), config=config)
    except duckdb.IOException as exc:
        raise EngineError(
            what=f"the research store cannot be opened: {exc}",
            fix="Another Steward process may have it open; wait for it to finish and retry.",
            where=Location(file=str(path)),
        ) from exc
    except duckdb.Error as exc:
        raise EngineError(
            what=f"DuckDB refused the store settings: {exc}",
            fix="Check duckdb_memory_limit and duckdb_threads in steward.toml.",
            where=Location(file=str(path)),
        ) from exc


def insert_arrow(
    con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], data: pa.Table
) -> None:
    """Append an Arrow table to ``table`` (inside the caller's transaction)."""
    view = f"steward_incoming_{table}"
    con.register(view, data)
    try:
        cols = ", ".join(f'"{c}"' for c in columns)
        con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{view}"')
    finally:
        con.unregister(view)


def fetch_arrow(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> pa.Table:
    return con.sql(sql, params=params).to_arrow_table() if params else con.sql(sql).to_arrow_table()


def checkpoint(con: duckdb.DuckDBPyConnection) -> None:
    """Write the write-ahead log into the database file."""
    con.execute("CHECKPOINT")


def child_index_sql(table: str) -> str:
    """An ART index on ``child_pid``: rights requests look one person up in tens of millions of
    rows, which a scan would take seconds over (Spark, scanning in parallel, has no indexes)."""
    return f'CREATE INDEX IF NOT EXISTS "ix_{table}_child_pid" ON "{table}" ("child_pid")'


class DuckDbSql:
    """:class:`steward.store.sql.SqlEngine` over a DuckDB connection (the research store's)."""

    dialect = DIALECT

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def arrow(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        staged = f"{name}_staged"
        self.con.register(staged, data)
        try:
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM "{staged}"')
        finally:
            self.con.unregister(staged)

    def temp_table(self, name: str, select_sql: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {select_sql}')

    def has_relation(self, name: str) -> bool:
        found = self.con.execute(
            "SELECT 1 FROM duckdb_tables() WHERE table_name = ? "
            "UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = ?",
            [name, name],
        ).fetchall()
        return bool(found)
