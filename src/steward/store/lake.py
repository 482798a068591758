"""The research store as Parquet datasets, for the Spark engine (``engine = "spark"``).

Same contract as :class:`steward.store.research.ResearchStore` for the pipeline's steps
(ingest → pseudonymise → store → linkage → cohort): the same tables, columns, categories and
``<table>_current`` views (the same SQL, transpiled), the same refusal of raw identifiers.

Layout: ``store/lake/<table>/<submission_id>.parquet``, one file per table per submission.
Atomic and idempotent loads without a transaction manager: every file is written under a
hidden temporary name (Spark skips names starting with '.') and renamed into place, and the
submission's ledger row (``submissions/<submission_id>.parquet``) is renamed last. Every
current view joins ``submissions``, so a load cut short leaves files no query sees; loading
the submission again replaces them.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from steward.errors import ValidationError
from steward.pseudonymise.engine_sql import SparkPseudonymiser
from steward.pseudonymise.pseudonym import PseudonymHasher
from steward.store import dialect_spark as engine
from steward.store.research import (
    LoadResult,
    SubmissionRecord,
    conform,
    ledger_row,
    subject_flag_row,
)
from steward.store.schema import EVENT_TABLES, STORE_TABLES, SUBJECT_FLAGS, SUBMISSIONS
from steward.store.views import current_view_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from steward.workspace import Workspace


def _write_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class LakeStore:
    """The workspace's research store on Spark (``store/lake/``)."""

    def __init__(self, root: Path, session: SparkSession) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.session = session
        self._sql = engine.SparkSql(session)
        for table in STORE_TABLES.values():
            engine.register_parquet(session, table, self.root / table.name)
        # Tables whose files changed since Spark last listed them; registered before a query.
        self._stale: set[str] = set()
        for table in STORE_TABLES.values():
            if table.event_key:
                engine.create_current_view(session, table)

    @classmethod
    def open(cls, workspace: Workspace) -> LakeStore:
        s = workspace.settings
        session = engine.spark_session(
            master=s.spark_master,
            driver_memory=s.spark_driver_memory,
            temp_directory=str(workspace.store / "tmp"),
        )
        return cls(workspace.store / "lake", session)

    def close(self) -> None:
        # The session is shared by the process (Spark allows one); it stops at exit.
        pass

    def __enter__(self) -> LakeStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _file(self, table: str, name: str) -> Path:
        return self.root / table / f"{name}.parquet"

    @property
    def sql(self) -> engine.SparkSql:
        """The store as a :class:`steward.store.sql.SqlEngine`, seeing every file loaded."""
        for name in sorted(self._stale):
            engine.register_parquet(self.session, STORE_TABLES[name], self.root / name)
        self._stale.clear()
        return self._sql

    def pseudonymiser(self, key: bytes) -> PseudonymHasher:
        """The hasher ingest pseudonymises with on this engine: Spark's own SHA-256."""
        return SparkPseudonymiser(self.session, key)

    # -- loading -----------------------------------------------------------------------------
    def has_submission(self, submission_id: str) -> bool:
        return self._file(SUBMISSIONS.name, submission_id).exists()

    def submission_ids(self) -> frozenset[str]:
        """Every submission in the store (its ledger files' names)."""
        return frozenset(p.stem for p in (self.root / SUBMISSIONS.name).glob("*.parquet"))

    def load(self, submission: SubmissionRecord, tables: dict[str, pa.Table]) -> LoadResult:
        """Write every table of one submission, then its ledger row (see the module docstring)."""
        if self.has_submission(submission.submission_id):
            return LoadResult(submission.submission_id, loaded=False)
        prepared = {name: conform(name, data, submission) for name, data in tables.items()}
        rows = {name: data.num_rows for name, data in prepared.items()}
        for name, data in prepared.items():
            _write_atomic(data, self._file(name, submission.submission_id))
        _write_atomic(
            ledger_row(submission, rows), self._file(SUBMISSIONS.name, submission.submission_id)
        )
        self._stale.update([*prepared, SUBMISSIONS.name])
        return LoadResult(submission.submission_id, loaded=True, rows=rows)

    def load_all(
        self, submissions: Sequence[tuple[SubmissionRecord, dict[str, pa.Table]]]
    ) -> list[LoadResult]:
        """Each submission in turn: every file is its own commit (see the module docstring)."""
        return [self.load(submission, tables) for submission, tables in submissions]

    def flag_subject(
        self, child_pid: str, flag: str, request_id: str, set_at: dt.datetime | None = None
    ) -> None:
        """Record that a child's data must no longer be used (restricted, objected, erased)."""
        row = subject_flag_row(child_pid, flag, request_id, set_at)
        _write_atomic(row, self._file(SUBJECT_FLAGS.name, uuid.uuid4().hex))
        self._stale.add(SUBJECT_FLAGS.name)

    # -- reading -----------------------------------------------------------------------------
    def current(self, table: str) -> pa.Table:
        """The current rows of an event table (supersede rule and subject flags applied)."""
        if table not in EVENT_TABLES:
            raise ValidationError(
                what=f"the store has no event table {table!r}",
                fix=f"Use one of: {', '.join(EVENT_TABLES)}.",
            )
        return self.sql.arrow(f'SELECT * FROM "{current_view_name(table)}"')

    def history(self, table: str) -> pa.Table:
        """Every row ever loaded into ``table`` (all submissions)."""
        if table not in STORE_TABLES:
            raise ValidationError(
                what=f"the store has no table {table!r}",
                fix=f"Use one of: {', '.join(STORE_TABLES)}.",
            )
        return self.sql.arrow(f'SELECT * FROM "{table}"')

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run a read query (DuckDB dialect, transpiled); Spark SQL takes no parameters."""
        if params:
            raise ValidationError(
                what="the Spark store takes no query parameters",
                fix="Filter the returned table instead, or use the DuckDB engine.",
            )
        return self.sql.arrow(sql)

    def checkpoint(self) -> None:
        """Nothing to do: every load is already in its files."""
