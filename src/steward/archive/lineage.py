"""Lineage: which pseudonymised children went into which archive version, and when.

Kept in the research store (table ``archive_lineage``), beside the data it describes: the
pseudonym, the archive version and the date. The archive id a child was given is *not* kept,
so nothing links an archive record back to a child. The lineage answers a later erasure
request: the child's data is already anonymised and archived and can no longer be removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

LINEAGE_TABLE = "archive_lineage"
_DDL = f"""
    CREATE TABLE IF NOT EXISTS {LINEAGE_TABLE} (
        child_pid VARCHAR NOT NULL,
        archive_version VARCHAR NOT NULL,
        archived_on DATE NOT NULL,
        package_sha256 VARCHAR NOT NULL
    )
"""


@dataclass(frozen=True)
class ArchiveRecord:
    """One child's data in one archive version."""

    archive_version: str
    archived_on: dt.date
    package_sha256: str


def ensure_lineage_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lineage table if the store does not have it yet."""
    con.execute(_DDL)


def record_lineage(
    con: duckdb.DuckDBPyConnection,
    child_pids: Sequence[str],
    archive_version: str,
    archived_on: dt.date,
    package_sha256: str,
) -> None:
    """Record the children of one archive version (inside the caller's transaction)."""
    ensure_lineage_table(con)
    con.execute(f"DELETE FROM {LINEAGE_TABLE} WHERE archive_version = ?", [archive_version])
    rows = pa.table(
        {
            "child_pid": pa.array(list(child_pids), pa.string()),
            "archive_version": pa.array([archive_version] * len(child_pids), pa.string()),
            "archived_on": pa.array([archived_on] * len(child_pids), pa.date32()),
            "package_sha256": pa.array([package_sha256] * len(child_pids), pa.string()),
        }
    )
    con.register("steward_lineage_rows", rows)
    try:
        con.execute(f"INSERT INTO {LINEAGE_TABLE} SELECT * FROM steward_lineage_rows")
    finally:
        con.unregister("steward_lineage_rows")


def archived_in(con: duckdb.DuckDBPyConnection, child_pid: str) -> list[ArchiveRecord]:
    """Every archive version that holds the child's (anonymised) data, oldest first."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [LINEAGE_TABLE]
    ).fetchone()
    if not exists or not exists[0]:
        return []  # nothing was ever archived (the store may be open read-only)
    rows = con.execute(
        f"SELECT archive_version, archived_on, package_sha256 FROM {LINEAGE_TABLE} "
        "WHERE child_pid = ? ORDER BY archived_on, archive_version",
        [child_pid],
    ).fetchall()
    return [ArchiveRecord(version, day, digest) for version, day, digest in rows]


def erasure_answer(con: duckdb.DuckDBPyConnection, child_pid: str) -> str | None:
    """The answer to an erasure request for an archived child; None if never archived."""
    records = archived_in(con, child_pid)
    if not records:
        return None
    first = records[0]
    return (
        f"already anonymised and archived on {first.archived_on.isoformat()} "
        f"(archive version {first.archive_version}); can no longer be removed"
    )
