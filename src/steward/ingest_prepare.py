"""Preparing one submitted file: read, validate and pseudonymise it, writing nothing.

Ingest splits each file's work in two. *Prepare* (here) turns the file into everything the
store, the quarantine, the audit log and the quality report will get: the store tables (with
pseudonyms), the quarantined records with their reasons, the outcome and the decisions, and,
in a run, the file encrypted for the landing area under temporary names (staged). It touches
no store or log and puts nothing in the landing area, so it can run in a worker process. The
ingest run (:mod:`steward.ingest`) then keeps the prepared files, in the batch's order, in the
ingesting process.

The submitter's permission is checked here as soon as the file's LA is known, as before: a
refused file is not read further. The ingesting process checks it again before it keeps
anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from steward.errors import Location, PermissionDenied, UserError
from steward.governance.access import Permission, User, authorise
from steward.pseudonymise.pseudonym import PseudonymHasher
from steward.returns.reader import file_sha256
from steward.study.local_authorities import LocalAuthority

if TYPE_CHECKING:
    from steward.ingest import FileOutcome
    from steward.landing import Landing
    from steward.landing.objects import StagedObject
    from steward.returns.validate import ValidatedReturn
    from steward.store import SubmissionRecord


@dataclass(frozen=True)
class PrepareContext:
    """What preparing a file needs, and nothing that writes."""

    workspace_root: Path
    hasher: PseudonymHasher
    local_authorities: tuple[LocalAuthority, ...]
    submitter: User | None  # None: a loader's run with no signed-in user; every file refused
    # Where a run stages each prepared file, and the run's tag on what it stages (None: the
    # file is landed when it is kept).
    landing: Landing | None = None
    run_tag: str = ""

    def authorise(self, path: Path, la_code: str, *, srs_data: bool = False) -> None:
        authorise_submission(self.submitter, path, la_code, srs_data=srs_data)


@dataclass
class Prepared:
    """One file, ready to keep: what goes to the store, the quarantine and the reports."""

    record: SubmissionRecord
    tables: dict[str, pa.Table]
    quarantine: list[pa.Table]  # record batches as the quarantine takes them, each with reasons
    outcome: FileOutcome
    srs_data: bool = False  # a secure-research-service extract: needs an accreditation
    validated: ValidatedReturn | None = None  # an evaluation return, for the quality report
    landed: StagedObject | None = None  # the file staged for the landing area, if it was


# What became of one file before it is kept: prepared, refused or unreadable (its error), or
# None when it was already in the store when the batch reached it (nothing to prepare).
Attempt = Prepared | UserError | None


def authorise_submission(
    user: User | None, path: Path, la_code: str, *, srs_data: bool = False
) -> None:
    """Refuse ``path`` (``PermissionDenied``) unless ``user`` may submit ``la_code``'s data.

    ``srs_data``: the file is a secure-research-service extract, which also needs an in-date
    accreditation.
    """
    where = Location(file=path.name)
    if user is None:
        raise PermissionDenied(
            what=f"{path.name} was not submitted by a signed-in user",
            fix="Ingest as a user: 'steward ingest --as USERNAME PATH'.",
            where=where,
        )
    permissions = [Permission.RETURNS_SUBMIT] + ([Permission.SRS_DATA_READ] if srs_data else [])
    for permission in permissions:
        try:
            authorise(user, permission, la_code=la_code)
        except PermissionDenied as exc:
            raise PermissionDenied(
                what=f"{path.name} (local authority {la_code}) is refused: {exc.what}",
                fix=exc.fix,
                where=where,
            ) from None


def detached_user(user: User) -> User:
    """A copy of ``user`` with what a permission check reads, tied to no database session."""
    return User(
        username=user.username,
        role=user.role,
        la_code=user.la_code,
        accreditation_expires=user.accreditation_expires,
        active=user.active,
    )


def prepare_submission(
    context: PrepareContext, path: Path, known: frozenset[str]
) -> tuple[str, Attempt]:
    """The file's submission id (its SHA-256) and what preparing it gave: ``None`` when the
    store held it at the start of the run (``known``), else the file prepared (and staged for
    the landing area when ``context`` has one), or its error."""
    submission_id = file_sha256(path)
    if submission_id in known:
        return submission_id, None
    try:
        prepared = prepare_file(context, path, submission_id)
        landing = context.landing
        # Not staged when landed already, or erased (an erased file is never written again).
        if landing is not None and not (
            landing.exists(submission_id) or landing.shredded_at(submission_id)
        ):
            prepared.landed = landing.stage(path, submission_id, context.run_tag)
    except UserError as exc:
        return submission_id, exc
    return submission_id, prepared


def prepare_file(context: PrepareContext, path: Path, submission_id: str) -> Prepared:
    """Prepare any supported file; raises ``UserError`` if it is unreadable or refused."""
    from steward.ingest_statutory import prepare_cin, prepare_ssda903, statutory_kind
    from steward.returns.npd import is_npd_extract
    from steward.returns.npd.ingest import prepare_npd
    from steward.returns.npd.store_tables import NPD_SOURCE

    if is_npd_extract(path):
        context.authorise(path, NPD_SOURCE, srs_data=True)
        return prepare_npd(context, path, submission_id)
    kind = statutory_kind(path)
    if kind == "cin":
        return prepare_cin(context, path, submission_id)
    if kind == "ssda903":
        return prepare_ssda903(context, path, submission_id)
    return prepare_return(context, path, submission_id)


def prepare_return(context: PrepareContext, path: Path, submission_id: str) -> Prepared:
    """An evaluation return (DR1/DR2/DR3): read, check the LA, validate, pseudonymise."""
    from steward.ingest import FileOutcome
    from steward.pseudonymise.table import pseudonymise_table
    from steward.returns import read_return, validate
    from steward.store import SubmissionRecord

    reading = read_return(
        path, local_authorities=context.local_authorities, submission_id=submission_id
    )
    context.authorise(path, reading.la_code)
    validated = validate(reading)
    tables = {
        vt.table.name: pseudonymise_table(
            vt.table, with_provenance(vt.valid, validated, vt.sheet), context.hasher
        )
        for vt in validated.tables
    }
    quarantine = [vt.quarantined for vt in validated.tables if vt.quarantined.num_rows]
    quarantined = sum(t.num_rows for t in quarantine)
    record = SubmissionRecord(
        submission_id=submission_id,
        la_code=validated.la_code,
        return_type=validated.return_type,
        return_month=validated.return_month,
        file_name=path.name,
        quarantined=quarantined,
    )
    outcome = FileOutcome(
        path,
        "loaded",
        submission_id=submission_id,
        la_code=validated.la_code,
        return_type=validated.return_type,
        return_month=validated.return_month,
        rows=sum(vt.rows_in for vt in validated.tables),
        quarantined=quarantined,
        decisions=list(validated.decisions),
    )
    return Prepared(record, tables, quarantine, outcome, validated=validated)


def with_provenance(data: pa.Table, validated: ValidatedReturn, sheet: str) -> pa.Table:
    """Add the columns saying where each row came from (the reader keeps only ``source_row``)."""
    n = data.num_rows
    provenance = {
        "la_code": pa.array([validated.la_code] * n, pa.string()),
        "return_month": pa.array([validated.return_month] * n, pa.date32()),
        "submission_id": pa.array([validated.submission_id] * n, pa.string()),
        "source_sheet": pa.array([sheet] * n, pa.string()),
    }
    for name, column in provenance.items():
        if name not in data.column_names:
            data = data.append_column(name, column)
    return data
