"""The ingest service: submitted files → landing → read and validate → pseudonymise → store.

Files are kept a group at a time, each group in one store transaction, so a bad file never
stops the batch and nothing is ever left half-written. Each file is first *prepared* (hashed,
read, validated, pseudonymised and staged for the landing area, nothing kept:
:mod:`steward.ingest_prepare`), by worker processes when ``ingest_workers`` > 1
(:mod:`steward.ingest_pool`), then *kept* here, in file order: the store has one writer. Raw
identifiers exist only between reading a return and pseudonymising it; what reaches the store,
the quarantine and the reports carries pseudonyms, row references and counts only.

The acting user must hold ``returns.submit`` for the LA of every file (an LA data provider only
for their own LA) and, for an NPD extract, ``srs_data.read`` (an in-date accreditation). Each
file is checked once its LA is known and before any of it is kept; a refused file is reported
as refused and the rest of the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import InputFileError, Location, PermissionDenied, PolicyViolation, UserError
from steward.governance.access import Permission, User, authorise
from steward.ingest_prepare import (
    Attempt,
    PrepareContext,
    Prepared,
    authorise_submission,
    detached_user,
    prepare_file,
    prepare_submission,
)
from steward.returns.reader import file_sha256
from steward.returns.validate import ValidatedReturn
from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES, LocalAuthority
from steward.workspace import Workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from steward.store import SubmissionRecord

SUPPORTED_SUFFIXES = (".xlsx", ".csv", ".xml")
# Files kept per store transaction: one insert per table and one commit for a group cost far
# less than one per file; the group stays small enough to hold in memory.
GROUP_ROWS = 600_000
GROUP_FILES = 64
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass
class FileOutcome:
    """What happened to one submitted file."""

    path: Path
    status: str  # "loaded" | "already_ingested" | "failed" | "refused" (not permitted)
    submission_id: str | None = None
    la_code: str | None = None
    return_type: str | None = None
    return_month: dt.date | None = None
    rows: int = 0
    quarantined: int = 0
    decisions: list[str] = field(default_factory=list)
    error: UserError | None = None
    quarantined_file: str | None = None  # quarantine object of a file that could not be read


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome]
    quality_report: Path | None
    children: int
    store_rows: int

    @property
    def loaded(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "loaded"]

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def refused(self) -> list[FileOutcome]:
        """Files the acting user may not submit (another LA's, or SRS data without accreditation)."""
        return [o for o in self.outcomes if o.status == "refused"]

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.outcomes)

    @property
    def quarantined(self) -> int:
        return sum(o.quarantined for o in self.outcomes)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every supported file inside named folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not p.name.startswith(("~$", "."))
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(
                what=f"{path} does not exist",
                fix="Check the path; 'steward ingest' takes files or folders of returns.",
                where=Location(file=str(path)),
            )
    return files


ProgressCallback = Callable[[FileOutcome], None]


class IngestRun:
    """Everything one ingest batch holds open: keys, landing, quarantine, store, policy gate.

    ``actor`` is the signed-in user, whose permission every file is checked against. A bare
    name only labels the audit entries of a loader that calls a reader's ingest step directly;
    :meth:`ingest_file` refuses every file of such a run.
    """

    def __init__(self, workspace: Workspace, *, actor: User | str) -> None:
        from steward.governance.audit.workspace import workspace_audit_log
        from steward.landing import Landing, Quarantine
        from steward.policy.guard import PIPELINE_STEPS, gate_for_workspace
        from steward.store import open_store

        self.workspace = workspace
        self.user = actor if isinstance(actor, User) else None
        # The audit log keeps the username, nothing else of the account.
        self.actor = actor.username if isinstance(actor, User) else actor
        gate = gate_for_workspace(workspace.root)
        # Both steps are checked before a single byte of a return is read.
        gate.require(PIPELINE_STEPS["ingest"])
        gate.require(PIPELINE_STEPS["pseudonymise"])
        keys = workspace.keys
        self.pseudonym_key = keys.load("pseudonym")
        self.master_key = keys.load("master")
        self.landing = Landing(workspace.landing, self.master_key)
        self.quarantine = Quarantine(workspace.quarantine, self.master_key)
        self.store = open_store(workspace)
        # The store admits one ingest at a time, so files staged and never placed are an
        # interrupted run's: removed. This run's own leftovers go when it closes.
        self.landing.sweep()
        self.run_tag = secrets.token_hex(8)
        # Submissions this run has admitted to keep, with their LA: a file prepared as new can
        # since have been kept only by this run (the store has one writer), so it is checked
        # here, not with a query.
        self.kept: dict[str, str] = {}
        # Pseudonyms are computed by the store's engine (Spark hashes with its own SHA-256).
        self.hasher = self.store.pseudonymiser(self.pseudonym_key)
        self.audit = workspace_audit_log(workspace)
        self.erased = erased_digests(self.audit.engine)
        self.validated: list[ValidatedReturn] = []
        self.local_authorities = study_local_authorities(workspace)
        self.context = PrepareContext(
            workspace.root, self.hasher, self.local_authorities, self.user,
            self.landing, self.run_tag,
        )  # fmt: skip

    def close(self) -> None:
        try:
            self.landing.sweep(self.run_tag)
        finally:
            self.store.close()

    def authorise_submission(self, path: Path, la_code: str, *, srs_data: bool = False) -> None:
        """Refuse ``path`` (``PermissionDenied``) unless the user may submit ``la_code``'s data.

        Checked as soon as the file's LA is known, and again before anything of it is
        quarantined, landed or stored. ``srs_data``: a secure-research-service extract, which
        also needs an in-date accreditation.
        """
        authorise_submission(self.user, path, la_code, srs_data=srs_data)

    @property
    def workers(self) -> int:
        """Processes preparing files: Spark hashes in its driver, so its files stay here."""
        settings = self.workspace.settings
        return 1 if settings.engine == "spark" else settings.ingest_workers

    def ingest_file(self, path: Path) -> FileOutcome:
        """Read, validate, pseudonymise and load one file; raises ``UserError`` if unreadable."""
        return self.commit(path, file_sha256(path), None)

    def attempts(self, files: Iterable[Path]) -> Generator[tuple[Path, str, Attempt], None, None]:
        """Each file with its submission id and what preparing it gave, in file order.

        With one worker a file is prepared here, just before it is kept; with more, worker
        processes prepare the next few files while this process keeps the current one. A file
        the store held when the run started is not prepared again.
        """
        from steward.ingest_pool import WorkerSetup, prepare_in_workers

        known = self.store.submission_ids()
        if self.workers == 1:
            for path in files:
                yield path, *prepare_submission(self.context, path, known)
            return
        submitter = None if self.user is None else detached_user(self.user)
        setup = WorkerSetup(
            self.workspace.root, self.pseudonym_key, self.local_authorities, submitter,
            self.workspace.landing, self.master_key, self.run_tag, known,
        )  # fmt: skip
        yield from prepare_in_workers(setup, files, workers=self.workers)

    def commit(self, path: Path, submission_id: str, attempt: Attempt) -> FileOutcome:
        """Keep one file as ``attempt`` prepared it (``None``: prepare it here if still new);
        raises the ``UserError`` that made it unreadable or refused."""
        admitted = self.admit(path, submission_id, attempt)
        return admitted if isinstance(admitted, FileOutcome) else self.keep(admitted)

    def admit(self, path: Path, submission_id: str, attempt: Attempt) -> Prepared | FileOutcome:
        """The prepared file, checked and ready to keep, or the outcome of a file kept already;
        raises the ``UserError`` that made it unreadable or refused."""
        prepared_as_new = attempt is not None
        if submission_id in self.kept or (
            not prepared_as_new and self.store.has_submission(submission_id)
        ):
            if self.user is None or self.user.la_code is not None:
                # An LA's account hears "already ingested" only of its own LA's files; of
                # another LA's it would learn what that LA has sent.
                self.authorise_submission(path, self.submitted_la(submission_id))
            return FileOutcome(path, "already_ingested", submission_id=submission_id)
        if attempt is None:
            attempt = prepare_file(self.context, path, submission_id)
        if isinstance(attempt, UserError):
            raise attempt
        record = attempt.record
        self.authorise_submission(path, record.la_code, srs_data=attempt.srs_data)
        shredded = self.landing.shredded_at(submission_id)
        if shredded:
            # Erased on request: keeping its rows or the file (even in quarantine) would undo
            # the erasure, so it is refused before anything of it is written.
            raise PolicyViolation(
                what=f"{path.name} was erased (crypto-shredded at {shredded}); it is not kept again",
                fix="Ask the DPO: re-using an erased file needs their authorisation and the "
                "erasure record says why it was erased.",
                where=Location(file=path.name),
            )
        self.kept[submission_id] = record.la_code
        return attempt

    def keep(self, prepared: Prepared) -> FileOutcome:
        """Quarantine, land and load one prepared file (one store transaction), then audit it."""
        kept = self.keep_all([prepared])[0]
        if isinstance(kept, UserError):
            raise kept
        return kept

    def keep_all(self, group: Sequence[Prepared]) -> list[FileOutcome | UserError]:
        """Keep admitted files: each quarantined and landed, then all loaded in one store
        transaction, then audited. A file whose landing is refused is that file's error."""
        results: list[FileOutcome | UserError] = []
        loading: list[tuple[Prepared, dict[str, pa.Table]]] = []
        for prepared in group:
            try:
                for records in prepared.quarantine:
                    self.quarantine.put(records)
                if prepared.landed is None:
                    self.landing.put(prepared.outcome.path)
                else:
                    self.landing.place(prepared.landed)
            except UserError as exc:
                self.kept.pop(prepared.record.submission_id, None)
                results.append(exc)
                continue
            loading.append((prepared, self.without_erased(prepared.tables)))
            results.append(prepared.outcome)
        self.landing.sync()  # every file landed for good before its rows are stored
        self.store.load_all([(p.record, tables) for p, tables in loading])
        with self.audit.transaction() as session:
            for prepared, tables in loading:
                if prepared.validated is not None:
                    self.validated.append(prepared.validated)
                self.record_loaded(prepared.record, tables, session)
        return results

    def submitted_la(self, submission_id: str) -> str:
        """The LA of a submission already in the store."""
        if submission_id in self.kept:
            return self.kept[submission_id]
        # A SHA-256 in hex, so safe to spell into the SQL (the Spark store takes no parameters).
        if not _SHA256.fullmatch(submission_id):
            raise ValueError("a submission id is the SHA-256 of its file, in hex")
        found = self.store.query(
            f"SELECT la_code FROM submissions WHERE submission_id = '{submission_id}'"
        )
        return str(found.column("la_code")[0].as_py())

    def without_erased(self, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
        """Drop rows of people erased on request: a later return must not bring them back."""
        if not self.erased:
            return tables
        from steward.governance.rights.locate import tombstone_digest

        kept = {}
        for name, table in tables.items():
            if "child_pid" not in table.column_names or not table.num_rows:
                kept[name] = table
                continue
            pids = table["child_pid"].combine_chunks().dictionary_encode()
            gone = [
                pid is not None and tombstone_digest(pid) in self.erased
                for pid in pids.dictionary.to_pylist()
            ]
            if not any(gone):
                kept[name] = table
                continue
            mask = pa.array(gone, pa.bool_()).take(pids.indices)
            kept[name] = table.filter(pc.invert(mask.fill_null(False)))
        return kept

    def record_loaded(
        self, record: SubmissionRecord, tables: dict[str, pa.Table], session: Session
    ) -> None:
        """Audit a loaded submission: its hash, LA, kind and counts, never its content."""
        rows = {name: table.num_rows for name, table in tables.items()}
        sid, la_code = record.submission_id, record.la_code
        self.audit.record(self.actor, "pseudonymise", "submission", sid,
                          details={"tables": rows, "la_code": la_code}, session=session)  # fmt: skip
        self.audit.record(
            self.actor, "ingest", "submission", sid,
            details={"status": "loaded", "la_code": la_code, "return_type": record.return_type,
                     "return_month": record.return_month.strftime("%Y-%m"),
                     "rows": sum(rows.values()), "quarantined": record.quarantined},
            session=session,
        )  # fmt: skip

    def write_quality_report(self) -> Path | None:
        from steward.returns import write_quality_report

        if not self.validated:
            return None
        paths = write_quality_report(self.validated, self.workspace.reports / "quality")
        return paths.html

    def store_totals(self) -> tuple[int, int]:
        """Children (distinct pseudonyms) and rows across the current child-level tables."""
        from steward.store.views import current_totals_sql

        # One query for both totals (on Spark every query is a job), in DuckDB's dialect as
        # every store query is.
        totals = self.store.query(current_totals_sql("duckdb")).to_pylist()[0]
        return int(totals["children"]), int(totals["n"])


def erased_digests(engine: object) -> frozenset[str]:
    """Tombstone digests of people erased on request (see governance.rights.erasure)."""
    from sqlalchemy.engine import Engine

    from steward.governance.db import session_scope
    from steward.governance.rights.locate import tombstones

    assert isinstance(engine, Engine)
    with session_scope(engine) as session:
        return frozenset(tombstones(session))


def study_local_authorities(workspace: Workspace) -> tuple[LocalAuthority, ...]:
    """The LAs of the workspace's study, as the reader matches them in files."""
    from steward.study.definition import load_study

    codes = {la.code for la in load_study(workspace.settings.study).local_authorities}
    return tuple(la for la in ENGLISH_LOCAL_AUTHORITIES if la.code in codes)


def ingest(
    workspace: Workspace,
    paths: Iterable[Path],
    *,
    actor: User,
    on_file: ProgressCallback | None = None,
) -> IngestSummary:
    """Ingest every file under ``paths`` into ``workspace`` as ``actor``; a bad or refused file
    is reported, never raised, and the rest of the batch still ingests.

    ``PermissionDenied`` before anything is read if ``actor`` may submit no returns at all.
    """
    # An LA data provider may submit for their own LA; each file is then checked for its LA.
    authorise(actor, Permission.RETURNS_SUBMIT, la_code=actor.la_code)
    files = expand_paths(paths)
    run = IngestRun(workspace, actor=actor)
    outcomes: list[FileOutcome] = []
    group: list[tuple[Path, str, Prepared]] = []  # admitted, kept together when full
    group_rows = 0

    def report(outcome: FileOutcome) -> None:
        outcomes.append(outcome)
        if on_file:
            on_file(outcome)

    def keep_group() -> None:
        nonlocal group_rows
        if not group:
            return
        kept = run.keep_all([prepared for _, _, prepared in group])
        for (path, submission_id, _), result in zip(group, kept, strict=True):
            if isinstance(result, UserError):
                result = reported(run, path, submission_id, result)
            report(result)
        group.clear()
        group_rows = 0

    try:
        with closing(run.attempts(files)) as attempts:
            for path, submission_id, attempt in attempts:
                try:
                    admitted = run.admit(path, submission_id, attempt)
                except UserError as exc:
                    admitted = reported(run, path, submission_id, exc)
                if isinstance(admitted, FileOutcome):
                    keep_group()  # outcomes stay in the batch's file order
                    report(admitted)
                    continue
                group.append((path, submission_id, admitted))
                group_rows += sum(t.num_rows for t in admitted.tables.values())
                if group_rows >= GROUP_ROWS or len(group) >= GROUP_FILES:
                    keep_group()
            keep_group()
        report_path = run.write_quality_report()
        children, store_rows = run.store_totals()
    finally:
        run.close()
    return IngestSummary(outcomes, report_path, children, store_rows)


def reported(run: IngestRun, path: Path, submission_id: str, exc: UserError) -> FileOutcome:
    """A file that could not be kept: quarantined whole if unreadable, audited either way."""
    status = "refused" if isinstance(exc, PermissionDenied) else "failed"
    outcome = FileOutcome(path=path, status=status, error=exc)
    if status == "failed" and not isinstance(exc, PolicyViolation):
        # Kept (encrypted) for the evaluator to resolve with the LA; a file refused by policy
        # or permission is not ours to keep.
        landed = run.quarantine.put_file(path, f"{type(exc).__name__}: {exc.what}")
        outcome.quarantined_file = landed.sha256
    # The refusal is audited by the file's hash and the kind of error, no content.
    run.audit.record(
        run.actor, "ingest", "file", submission_id,
        details={"status": status, "error": type(exc).__name__},
    )  # fmt: skip
    return outcome
