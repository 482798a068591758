"""The research store: pseudonymised tables in one DuckDB file, loaded one submission at a time.

Guarantees:
- **atomic loads**: all tables of one submission and its ledger row are written in one
  transaction. A crash part-way (power cut, SIGKILL) leaves the store as it was before the load;
  running the load again completes it.
- **idempotent loads**: loading a submission id that is already in ``submissions`` does nothing.
- **pseudonymised only**: a table carrying a raw identifier column is refused before anything is
  written; only the columns the store schema declares are accepted.
- **current views** apply the supersede rule and the subject flags (see :mod:`.views`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import EngineError, Location, PolicyViolation, ValidationError
from steward.pseudonymise.pseudonym import PseudonymHasher, Pseudonymiser
from steward.returns.layout import TABLES
from steward.store import dialect_duckdb as engine
from steward.store.schema import (
    EVENT_TABLES,
    FLAGS,
    STORE_TABLES,
    SUBJECT_FLAGS,
    SUBMISSIONS,
    StoreTable,
)
from steward.store.views import all_ddl, current_view_name

if TYPE_CHECKING:
    from steward.workspace import Workspace

RAW_IDENTIFIERS = frozenset(f.name for t in TABLES for f in t.fields if f.identifier)


@dataclass(frozen=True)
class SubmissionRecord:
    """One submitted return file, as the ledger records it."""

    submission_id: str  # SHA-256 hex of the submitted file
    la_code: str
    return_type: str
    return_month: dt.date
    file_name: str
    quarantined: int = 0
    ingested_at: dt.datetime | None = None  # UTC; set at load time when None


@dataclass(frozen=True)
class LoadResult:
    submission_id: str
    loaded: bool  # False when the submission was already in the store
    rows: dict[str, int] = field(default_factory=dict)


def conform(name: str, data: pa.Table, submission: SubmissionRecord) -> pa.Table:
    """Check one incoming table against the store schema; cast it to the store's types."""
    where = Location(sheet=name)
    table = EVENT_TABLES.get(name)
    if table is None:
        raise ValidationError(
            what=f"the store has no table {name!r}",
            fix=f"Load only the return tables: {', '.join(EVENT_TABLES)}.",
            where=where,
        )
    raw = RAW_IDENTIFIERS & set(data.column_names)
    if raw:
        raise PolicyViolation(
            what=f"{name} still has raw identifier column(s) {sorted(raw)}",
            fix="Pass every table through pseudonymise_table before loading it.",
            where=Location(sheet=name, column=sorted(raw)[0]),
        )
    missing = [c for c in table.column_names if c not in data.column_names]
    extra = [c for c in data.column_names if c not in table.column_names]
    if missing or extra:
        raise ValidationError(
            what=f"{name} does not match the store schema "
            f"(missing {missing or 'none'}, undeclared {extra or 'none'})",
            fix="Pass the table through pseudonymise_table, which gives the store's columns.",
            where=where,
        )
    data = data.select(list(table.column_names)).cast(table.arrow_schema())
    for column, expected in (
        ("submission_id", submission.submission_id),
        ("la_code", submission.la_code),
    ):
        values = data.column(column)
        if values.null_count or (data.num_rows and not pc.all(pc.equal(values, expected)).as_py()):
            raise ValidationError(
                what=f"rows of {name} belong to another submission ({column} differs)",
                fix="Load each submission's tables with its own SubmissionRecord.",
                where=Location(sheet=name, column=column),
            )
    return data


def ledger_row(submission: SubmissionRecord, rows: dict[str, int]) -> pa.Table:
    """The ``submissions`` row that marks ``submission`` as loaded (written last)."""
    ingested = submission.ingested_at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return pa.Table.from_pylist(
        [
            {
                "submission_id": submission.submission_id,
                "la_code": submission.la_code,
                "return_type": submission.return_type,
                "return_month": submission.return_month,
                "file_name": submission.file_name,
                "ingested_at": ingested,
                "rows": sum(rows.values()),
                "quarantined": submission.quarantined,
            }
        ],
        schema=SUBMISSIONS.arrow_schema(),
    )


def subject_flag_row(
    child_pid: str, flag: str, request_id: str, set_at: dt.datetime | None
) -> pa.Table:
    """One ``subject_flags`` row; an unknown flag is refused."""
    if flag not in FLAGS:
        raise ValidationError(
            what=f"unknown subject flag {flag!r}",
            fix=f"Use one of: {', '.join(FLAGS)}.",
        )
    return pa.Table.from_pylist(
        [
            {
                "child_pid": child_pid,
                "flag": flag,
                "set_at": set_at or dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "request_id": request_id,
            }
        ],
        schema=SUBJECT_FLAGS.arrow_schema(),
    )


class ResearchStore:
    """The workspace's research store (``store/research.duckdb``)."""

    def __init__(
        self,
        path: Path,
        *,
        memory_limit: str = "4GB",
        threads: int = 2,
        temp_directory: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = engine.connect(
            self.path,
            memory_limit=memory_limit,
            threads=threads,
            temp_directory=temp_directory or self.path.parent / "tmp",
        )
        for statement in all_ddl(engine.DIALECT):
            self.con.execute(statement)
        for table in STORE_TABLES.values():
            if table.has_children:
                self.con.execute(engine.child_index_sql(table.name))

    @classmethod
    def open(cls, workspace: Workspace) -> ResearchStore:
        """The store of ``workspace``, with its DuckDB settings; spills to ``store/tmp``.

        Refused in a workspace whose engine is Spark: its data is in the Spark store, and a
        rights action, retention run or archive build against an empty DuckDB file would
        report success having touched nothing.
        """
        s = workspace.settings
        if s.engine != "duckdb":
            raise EngineError(
                what=f"this workspace's data is in its {s.engine} store; this step (rights "
                "requests, retention, the archive) works on the DuckDB store only",
                fix='Run it in a DuckDB workspace holding the data, or set engine = "duckdb" '
                "and ingest the returns there.",
                where=Location(file=str(workspace.root / "steward.toml"), column="engine"),
            )
        return cls(
            workspace.store_file,
            memory_limit=s.duckdb_memory_limit,
            threads=s.duckdb_threads,
            temp_directory=workspace.store / "tmp",
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ResearchStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- loading -----------------------------------------------------------------------------
    def has_submission(self, submission_id: str) -> bool:
        return bool(self._stored([submission_id]))

    def submission_ids(self) -> frozenset[str]:
        """Every submission in the store."""
        found = self.con.execute("SELECT submission_id FROM submissions").fetchall()
        return frozenset(sid for (sid,) in found)

    def load(self, submission: SubmissionRecord, tables: dict[str, pa.Table]) -> LoadResult:
        """Write every table of one submission, and its ledger row, in one transaction."""
        return self.load_all([(submission, tables)])[0]

    def load_all(
        self, submissions: Sequence[tuple[SubmissionRecord, dict[str, pa.Table]]]
    ) -> list[LoadResult]:
        """Write several submissions in one transaction: each table once, ledger rows last.

        An ingest keeps files a group at a time: one insert per table and one commit for the
        group cost far less than one per file, and a group is as atomic as a file was.
        """
        results: list[LoadResult] = []
        parts: defaultdict[str, list[pa.Table]] = defaultdict(list)
        ledgers: list[pa.Table] = []
        # One lookup for the group; each submission then counts as seen once it is taken.
        seen = set(self._stored([s.submission_id for s, _ in submissions]))
        for submission, tables in submissions:
            sid = submission.submission_id
            if sid in seen:
                results.append(LoadResult(sid, loaded=False))
                continue
            seen.add(sid)
            prepared = {name: conform(name, data, submission) for name, data in tables.items()}
            rows = {name: data.num_rows for name, data in prepared.items()}
            for name, data in prepared.items():
                parts[name].append(data)
            ledgers.append(ledger_row(submission, rows))
            results.append(LoadResult(sid, loaded=True, rows=rows))
        if not ledgers:
            return results
        self.con.begin()
        try:
            for name, data in parts.items():
                self._insert(STORE_TABLES[name], pa.concat_tables(data))
            # The ledger rows last: they are what mark the submissions as loaded.
            self._insert(SUBMISSIONS, pa.concat_tables(ledgers))
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise
        return results

    def _stored(self, submission_ids: list[str]) -> list[str]:
        """Those of ``submission_ids`` already in the store."""
        if not submission_ids:
            return []
        # fetchall: DuckDB refuses further work while a result is only partly fetched.
        found = self.con.execute(
            "SELECT submission_id FROM submissions WHERE list_contains(?, submission_id)",
            [submission_ids],
        ).fetchall()
        return [sid for (sid,) in found]

    def _insert(self, table: StoreTable, data: pa.Table) -> None:
        engine.insert_arrow(self.con, table.name, table.column_names, data)

    # -- subject flags -----------------------------------------------------------------------
    def flag_subject(
        self, child_pid: str, flag: str, request_id: str, set_at: dt.datetime | None = None
    ) -> None:
        """Record that a child's data must no longer be used (restricted, objected, erased)."""
        row = subject_flag_row(child_pid, flag, request_id, set_at)
        self.con.begin()
        try:
            self._insert(SUBJECT_FLAGS, row)
            self.con.commit()
        except BaseException:
            self.con.rollback()
            raise

    # -- reading -----------------------------------------------------------------------------
    def current(self, table: str) -> pa.Table:
        """The current rows of an event table (supersede rule and subject flags applied)."""
        if table not in EVENT_TABLES:
            raise ValidationError(
                what=f"the store has no event table {table!r}",
                fix=f"Use one of: {', '.join(EVENT_TABLES)}.",
            )
        return engine.fetch_arrow(self.con, f'SELECT * FROM "{current_view_name(table)}"')

    def history(self, table: str) -> pa.Table:
        """Every row ever loaded into ``table`` (all submissions)."""
        if table not in STORE_TABLES:
            raise ValidationError(
                what=f"the store has no table {table!r}",
                fix=f"Use one of: {', '.join(STORE_TABLES)}.",
            )
        return engine.fetch_arrow(self.con, f'SELECT * FROM "{table}"')

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        """Run a read query and return Arrow."""
        return engine.fetch_arrow(self.con, sql, params)

    def checkpoint(self) -> None:
        engine.checkpoint(self.con)

    def pseudonymiser(self, key: bytes) -> PseudonymHasher:
        """The hasher ingest pseudonymises with on this engine: the fast path, in process."""
        return Pseudonymiser(key)

    @property
    def sql(self) -> engine.DuckDbSql:
        """The store as a :class:`steward.store.sql.SqlEngine`, for query-building steps."""
        return engine.DuckDbSql(self.con)
