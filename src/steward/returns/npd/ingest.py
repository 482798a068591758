"""Ingest of the NPD extract into the research store, only where DfE data may be held.

The policy check comes first: the NPD tables' categories (``dfe_education_extract``) may be held
only in the ``srs_research`` environment, so in any other workspace the load is refused before
the file is read or a row written. The acting user must then be allowed to submit returns and
read secure-research-service data (an in-date accreditation), checked as ``steward ingest``
checks an NPD file. Then as every return: bad rows quarantined with the reason, the file kept in
landing, the table loaded in one store transaction, the load audited by counts.

Hook for ``steward.ingest_prepare.prepare_file`` (before the statutory dispatch)::

    if is_npd_extract(path): return prepare_npd(context, path, submission_id)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from steward.errors import UserError
from steward.returns.detect import parse_month
from steward.returns.npd.reader import read_npd
from steward.returns.npd.store_tables import NPD_SOURCE, npd_categories

if TYPE_CHECKING:
    from steward.governance.access import User
    from steward.ingest import FileOutcome, IngestRun
    from steward.ingest_prepare import PrepareContext, Prepared
    from steward.workspace import Workspace


def check_npd_allowed(workspace_root: Path) -> None:
    """Raise ``PolicyViolation`` unless this workspace may hold the NPD extract."""
    from steward.policy.guard import gate_for_workspace

    gate_for_workspace(workspace_root).check_can_hold(npd_categories())


def prepare_npd(context: PrepareContext, path: Path, submission_id: str) -> Prepared:
    """Check and read one NPD CSV table (absence, FSM or PMR lookup); nothing is written."""
    from steward.ingest import FileOutcome
    from steward.ingest_prepare import Prepared
    from steward.store import SubmissionRecord

    check_npd_allowed(context.workspace_root)
    reading = read_npd(path)
    month = parse_month(path.stem) or dt.date.today().replace(day=1)
    data = _with_provenance(reading.data, submission_id, month, reading.table)
    quarantined = reading.quarantined.num_rows
    record = SubmissionRecord(submission_id, NPD_SOURCE, "npd", month, path.name, quarantined)
    outcome = FileOutcome(
        path, "loaded", submission_id=submission_id, la_code=NPD_SOURCE, return_type="npd",
        return_month=month, rows=reading.rows_in, quarantined=quarantined,
        decisions=reading.decisions,
    )  # fmt: skip
    quarantine = [reading.quarantined] if quarantined else []
    return Prepared(record, {reading.table: data}, quarantine, outcome, srs_data=True)


def ingest_npd(run: IngestRun, path: Path, submission_id: str) -> FileOutcome:
    """Check, read, quarantine and load one NPD CSV table (absence, FSM or PMR lookup).

    ``PermissionDenied`` before the file is read unless the run's user may load SRS data.
    """
    run.authorise_submission(path, NPD_SOURCE, srs_data=True)
    return run.keep(prepare_npd(run.context, path, submission_id))


def _with_provenance(data: pa.Table, submission_id: str, month: dt.date, table: str) -> pa.Table:
    n = data.num_rows
    extra = {
        "la_code": pa.repeat(pa.scalar(NPD_SOURCE, pa.string()), n),
        "return_month": pa.repeat(pa.scalar(month, pa.date32()), n),
        "submission_id": pa.repeat(pa.scalar(submission_id, pa.string()), n),
        "source_sheet": pa.repeat(pa.scalar(table, pa.string()), n),
    }
    for name, column in extra.items():
        data = data.append_column(name, column)
    return data


def load_npd_extract(
    workspace: Workspace, paths: Iterable[Path], *, actor: User
) -> list[FileOutcome]:
    """Load every NPD CSV under ``paths`` as ``actor``; refused as a whole outside
    ``srs_research`` (``PolicyViolation``) or for a user who may not load SRS data
    (``PermissionDenied``: ``returns.submit`` and ``srs_data.read``, so an in-date accreditation),
    before any file is read.

    A file that cannot be used is reported as failed (with its error) and the rest still load.
    """
    from steward.ingest import FileOutcome, IngestRun, expand_paths, file_sha256
    from steward.ingest_prepare import authorise_submission

    check_npd_allowed(workspace.root)
    named = list(paths)
    files = [p for p in expand_paths(named) if p.suffix.lower() == ".csv"]
    # The same check for every file of the extract; an empty folder is refused all the same.
    for path in files or named[:1]:
        authorise_submission(actor, path, NPD_SOURCE, srs_data=True)
    run = IngestRun(workspace, actor=actor)
    outcomes: list[FileOutcome] = []
    try:
        for path in files:
            submission_id = file_sha256(path)
            if run.store.has_submission(submission_id):
                outcomes.append(FileOutcome(path, "already_ingested", submission_id=submission_id))
                continue
            try:
                outcomes.append(ingest_npd(run, path, submission_id))
            except UserError as exc:
                run.audit.record(run.actor, "ingest", "file", submission_id,
                                 details={"status": "failed", "error": type(exc).__name__})  # fmt: skip
                outcomes.append(FileOutcome(path, "failed", error=exc))
    finally:
        run.close()
    return outcomes
