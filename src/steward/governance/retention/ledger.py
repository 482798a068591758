"""Keeping the retention ledger current: discover stored objects, work out when each is due.

Objects Steward can find by itself are discovered on every sync:

- ``landing_file``: each readable file in the encrypted landing area (``landing/``);
- ``quarantine_batch``: each quarantined batch (``quarantine/``);
- ``store_partition``: the rows of one LA in one research-store table (``table:la_code``);
- ``qualitative_item`` and ``contact_details``: recordings, transcripts, notes and participants'
  sealed contact details held by the consent slice.

Other slices add what only they know about (an NPD extract and its licence end, for example)
with :func:`register_object`. Due dates come from the policy registry's retention rules and the
workspace's ``final_report_date``, so changing either moves them on the next sync; a date a
slice fixed itself (``due_on=``) is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import ConfigError, UserError
from steward.governance.retention.models import (
    DELETED,
    DELETING,
    DUE,
    FINISHED,
    GONE,
    HELD,
    KEPT,
    LedgerRow,
    status_on,
)
from steward.policy.loader import load_registry, registry_path
from steward.policy.model import Registry
from steward.policy.retention import retention_due
from steward.workspace import Workspace

if TYPE_CHECKING:
    from steward.store import ResearchStore

LANDING_FILE = "landing_file"
QUARANTINE_BATCH = "quarantine_batch"
STORE_PARTITION = "store_partition"
QUALITATIVE_ITEM = "qualitative_item"
CONTACT_DETAILS = "contact_details"
DISCOVERED_KINDS = (LANDING_FILE, QUARANTINE_BATCH, STORE_PARTITION, QUALITATIVE_ITEM,
                    CONTACT_DETAILS)  # fmt: skip

# A submitted return holds the LA's social care records (raw identifiers included), and so do
# quarantined records: both are administrative data under the study's retention rule.
RETURN_FILE_CATEGORY = "social_care_event"
# An NPD extract file (return type 'npd') is kept until the SRS licence ends, like its tables.
NPD_RETURN = "npd"
NPD_EXTRACT_CATEGORY = "dfe_education_extract"
# The ledger rows of each store table are deleted last for an LA: they are what keeps a shredded
# file from being loaded again by accident.
STORE_LEDGER_TABLE = "submissions"


@dataclass(frozen=True)
class Found:
    """A stored object found on disk or in the store, before it is matched to the ledger."""

    kind: str
    object_id: str
    categories: tuple[str, ...]  # the data categories it holds; the strictest rule decides
    la_code: str | None = None
    extent: int | None = None


@dataclass(frozen=True)
class SyncReport:
    """What a sync changed: new objects, rows whose due date moved, rows now due."""

    added: int
    redated: int
    due: int
    held: int
    reappeared: int
    gone: int


def partition_id(table: str, la_code: str) -> str:
    """The ledger id of a store partition."""
    return f"{table}:{la_code}"


def split_partition(object_id: str) -> tuple[str, str]:
    """``(table, la_code)`` of a store partition id."""
    table, _, la_code = object_id.partition(":")
    return table, la_code


def workspace_registry(workspace: Workspace) -> Registry:
    """The workspace's own policy registry (the DPO's copy), else the shipped one."""
    path = registry_path(workspace.root)
    return _registry(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _registry(path: Path, _mtime_ns: int) -> Registry:
    # Keyed on the file's mtime too, so an edit by the DPO is seen by the next sync.
    return load_registry(path)


def licence_bound(category: str, registry: Registry) -> bool:
    """Whether ``category`` is kept until the SRS licence ends (a date set per study)."""
    rule = registry.retention_rule(category)
    return rule is not None and rule.rule == "licence_end"


def _due(
    row: LedgerRow, *, final_report_date: dt.date, registry: Registry
) -> tuple[dt.date | None, str | None]:
    rule = registry.retention_rule(row.category)
    if licence_bound(row.category, registry) and row.licence_end is None and rule:
        # Not known until the DPO records the licence end ('steward retention licence').
        return None, rule.id
    due = retention_due(
        row.category,
        final_report_date=final_report_date,
        licence_end=row.licence_end,
        completed_at=row.completed_on,
        recipient=row.recipient,
        registry=registry,
    )
    return due, _rule_id(row, registry)


def _rule_id(row: LedgerRow, registry: Registry) -> str | None:
    if row.recipient:
        return f"recipient:{row.recipient}"
    rule = registry.retention_rule(row.category)
    return rule.id if rule else None


def register_object(
    session: Session,
    kind: str,
    object_id: str,
    category: str,
    rule: str | None = None,
    due_on: dt.date | None = None,
    *,
    workspace: Workspace,
    today: dt.date,
    la_code: str | None = None,
    licence_end: dt.date | None = None,
    completed_on: dt.date | None = None,
    recipient: str | None = None,
    extent: int | None = None,
) -> LedgerRow:
    """Add (or update) an object another slice stores, e.g. an NPD extract or a transcript.

    Without ``due_on`` the date follows the registry's rule for ``category`` (with the licence
    end, completion date or recipient the rule needs) and moves when the settings change; with
    it, the date is fixed and ``rule`` names why. Deleting it needs a deleter for ``kind``
    (:func:`steward.governance.retention.deleters.register_deleter`). Joins ``session``.
    """
    if kind in DISCOVERED_KINDS:
        raise UserError(
            what=f"{kind!r} objects are found by the ledger itself",
            fix="Register only objects of a kind Steward cannot discover (e.g. 'npd_extract').",
        )
    row = _get(session, kind, object_id)
    if row is None:
        row = LedgerRow(
            kind=kind, object_id=object_id, status=KEPT, legal_hold=False,
            first_seen_at=dt.datetime.now(dt.UTC),
        )  # fmt: skip
        session.add(row)
    elif row.status in (DELETING, DELETED):
        raise UserError(
            what=f"{row.key} was deleted by a retention run and cannot be registered again",
            fix="Store the object under a new id if it was lawfully collected again.",
        )
    row.category, row.la_code, row.extent = category, la_code, extent
    row.licence_end, row.completed_on, row.recipient = licence_end, completed_on, recipient
    registry = workspace_registry(workspace)
    if due_on is not None:
        row.due_on, row.due_fixed = due_on, True
        row.rule_id = rule or _rule_id(row, registry)
    else:
        row.due_fixed = False
        row.due_on, row.rule_id = _due(
            row, final_report_date=workspace.settings.final_report_date, registry=registry
        )
    row.status = status_on(row, today)
    session.flush()
    return row


def _get(session: Session, kind: str, object_id: str) -> LedgerRow | None:
    return session.scalar(
        select(LedgerRow).where(LedgerRow.kind == kind, LedgerRow.object_id == object_id)
    )


def sync_ledger(
    session: Session,
    workspace: Workspace,
    *,
    today: dt.date,
    store: ResearchStore | None = None,
) -> SyncReport:
    """Bring the ledger up to date with what is stored, and every due date and status.

    New objects are added; objects already deleted that are stored again (re-landed after an
    authorised decision, or loaded again) start a new life under the current rule. Joins
    ``session``; the caller commits. Pass ``store`` if the research store is already open.
    """
    registry = workspace_registry(workspace)
    final_report = workspace.settings.final_report_date
    rows = {(r.kind, r.object_id): r for r in session.scalars(select(LedgerRow))}
    licence_end = known_licence_end(session)
    added = redated = reappeared = gone = 0
    now = dt.datetime.now(dt.UTC)
    seen: set[tuple[str, str]] = set()
    for found in discover(session, workspace, store):
        seen.add((found.kind, found.object_id))
        row = rows.get((found.kind, found.object_id))
        if row is None:
            row = LedgerRow(
                kind=found.kind, object_id=found.object_id, status=KEPT, legal_hold=False,
                due_fixed=False, first_seen_at=now,
            )  # fmt: skip
            session.add(row)
            rows[(found.kind, found.object_id)] = row
            added += 1
        elif row.status in (DELETED, GONE):
            row.status, row.deleted_at, row.deleted_by = KEPT, None, None
            row.deletion_started_at, row.certificate_seq, row.first_seen_at = None, None, now
            reappeared += 1
        if row.status != DELETING:
            row.category = _strictest(found.categories, final_report, registry)
            row.la_code, row.extent = found.la_code, found.extent
    for key, row in rows.items():
        if row.kind in DISCOVERED_KINDS and key not in seen and row.status not in FINISHED:
            # Removed outside a retention run (an erasure, a withdrawn consent): that action
            # kept its own record; the ledger only stops expecting the object.
            row.status = GONE
            gone += 1
        if row.status in FINISHED:
            continue
        if row.licence_end is None and licence_bound(row.category, registry):
            row.licence_end = licence_end
        if not row.due_fixed:
            try:
                due, rule_id = _due(row, final_report_date=final_report, registry=registry)
            except ConfigError as exc:
                raise ConfigError(
                    what=f"the due date of {row.key} cannot be worked out: {exc.what}",
                    fix=exc.fix,
                ) from None
            if (due, rule_id) != (row.due_on, row.rule_id):
                redated += row.id is not None
                row.due_on, row.rule_id = due, rule_id
        row.status = status_on(row, today)
    session.flush()
    statuses = [r.status for r in rows.values()]
    return SyncReport(added, redated, statuses.count(DUE), statuses.count(HELD), reappeared, gone)


def known_licence_end(session: Session) -> dt.date | None:
    """The SRS licence end recorded for the study (on its licence-bound ledger rows), if any."""
    return session.scalar(
        select(LedgerRow.licence_end)
        .where(LedgerRow.licence_end.is_not(None), LedgerRow.due_fixed.is_(False))
        .order_by(LedgerRow.id.desc())
        .limit(1)
    )


def _strictest(categories: Iterable[str], final_report: dt.date, registry: Registry) -> str:
    """The category whose rule deletes first (kept-indefinitely categories last)."""

    def due(category: str) -> tuple[bool, dt.date]:
        if licence_bound(category, registry):
            # A licence may end before anything else is due: it decides until it is known.
            return (False, dt.date.min)
        when = retention_due(category, final_report_date=final_report, registry=registry)
        return (when is None, when or dt.date.max)

    return min(sorted(categories), key=due)


def discover(
    session: Session, workspace: Workspace, store: ResearchStore | None = None
) -> Iterable[Found]:
    """Every object stored in the workspace that the ledger tracks by itself."""
    if store is None and workspace.store_file.is_file():
        from steward.store import ResearchStore

        with ResearchStore.open(workspace) as own:
            yield from discover(session, workspace, own)
        return
    yield from _landing_and_quarantine(workspace, store)
    if store is not None:
        yield from _store_partitions(store)
    yield from _consent_slice(session)


def _landing_and_quarantine(workspace: Workspace, store: ResearchStore | None) -> Iterable[Found]:
    from steward.landing.objects import EncryptedObjectStore
    from steward.pseudonymise.keys import MASTER_KEY

    submitted = _submissions(store) if store is not None else {}
    master: bytes | None = None
    for kind, folder in ((LANDING_FILE, workspace.landing), (QUARANTINE_BATCH,
                                                              workspace.quarantine)):  # fmt: skip
        if not (folder / "objects").is_dir():
            continue
        master = master or workspace.keys.load(MASTER_KEY)
        objects = EncryptedObjectStore(folder, master)
        for sha in objects.list():
            size = (objects.objects / sha).stat().st_size
            la_code, return_type = submitted.get(sha, (None, None))
            category = NPD_EXTRACT_CATEGORY if return_type == NPD_RETURN else RETURN_FILE_CATEGORY
            yield Found(kind, sha, (category,), la_code, size)


def _submissions(store: ResearchStore) -> dict[str, tuple[str, str]]:
    """LA and return type of each loaded submission (its id is its file's SHA-256)."""
    ledger = store.query(f'SELECT submission_id, la_code, return_type FROM "{STORE_LEDGER_TABLE}"')
    ids, las, types = (c.to_pylist() for c in ledger.columns)
    return {sha: (la, kind) for sha, la, kind in zip(ids, las, types, strict=True)}


def _store_partitions(store: ResearchStore) -> Iterable[Found]:
    from steward.store.schema import EVENT_TABLES, categories_of

    tables = (*EVENT_TABLES, STORE_LEDGER_TABLE)
    # One scan of the store for every table's partitions.
    counts = store.query(
        " UNION ALL ".join(
            f"SELECT '{table}' AS t, la_code, count(*) AS n FROM \"{table}\" "
            "WHERE la_code IS NOT NULL GROUP BY la_code"
            for table in tables
        )
    )
    for table, la_code, rows in zip(*(c.to_pylist() for c in counts.columns), strict=True):
        categories = tuple(sorted(categories_of(table)))
        yield Found(STORE_PARTITION, partition_id(table, la_code), categories, la_code, rows)


def _consent_slice(session: Session) -> Iterable[Found]:
    from steward.governance.consent.models import Participant, QualitativeItem

    for item in session.scalars(
        select(QualitativeItem).where(
            QualitativeItem.deleted_on.is_(None), QualitativeItem.sha256.is_not(None)
        )
    ):
        yield Found(QUALITATIVE_ITEM, str(item.id), (item.category,))
    for person in session.scalars(
        select(Participant).where(Participant.contact_sealed.is_not(None))
    ):
        yield Found(CONTACT_DETAILS, person.reference, (CONTACT_DETAILS,), person.la_code)
