"""Retention plans and runs: list what falls due, delete what is due, certify each deletion.

A run deletes every object that is due and not under a legal hold. It is resumable and never
deletes twice:

1. the object is marked ``deleting`` and that is committed;
2. its deleter runs (idempotent: shredding an absent key or deleting absent rows is a no-op);
3. it is marked ``deleted`` and its deletion certificate is appended to the audit log, in one
   transaction, so an object has a certificate exactly when it is marked deleted.

An interruption anywhere leaves objects ``due`` (not touched yet), ``deleting`` (finished first
by the next run) or ``deleted`` (skipped). Runs commit as they go, so each step survives a crash.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from steward.governance.access.authorise import requires
from steward.governance.access.models import User
from steward.governance.access.permissions import Permission
from steward.governance.audit.actions import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.retention.deleters import DeletionContext, deleter_for
from steward.governance.retention.ledger import (
    STORE_LEDGER_TABLE,
    STORE_PARTITION,
    partition_id,
    sync_ledger,
)
from steward.governance.retention.models import (
    DELETED,
    DELETING,
    DUE,
    GONE,
    HELD,
    LedgerRow,
    status_on,
)
from steward.workspace import Workspace

CERTIFICATE_OBJECT = "retained_object"
RUN_OBJECT = "retention_run"

# Called as ("deleting" | "deleted", row) around each deletion (progress bars; tests inject faults).
Progress = Callable[[str, LedgerRow], None]


@dataclass(frozen=True)
class Certificate:
    """A deletion certificate: what was deleted, when, under which rule, by whom."""

    key: str
    category: str
    rule_id: str | None
    due_on: dt.date | None
    deleted_at: dt.datetime
    deleted_by: str
    audit_seq: int
    details: dict[str, Any]


@dataclass(frozen=True)
class RunReport:
    """What a run did: certificates issued, how many it resumed, what it had to leave."""

    as_of: dt.date
    certificates: list[Certificate] = field(default_factory=list)
    resumed: int = 0
    held: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # due, but nothing knows how to delete it

    @property
    def deleted(self) -> list[str]:
        """Keys (``kind:object_id``) of the objects deleted by this run."""
        return [c.key for c in self.certificates]


@requires(Permission.RETENTION_PLAN)
def plan(
    session: Session, actor: User, today: dt.date, workspace: Workspace | None = None
) -> list[LedgerRow]:
    """Every object still stored, soonest due first, with its status as of ``today``.

    With ``workspace`` the ledger is synced first (new objects found, due dates recomputed from
    the current settings and registry). Held objects are listed as ``held``.
    """
    if workspace is not None:
        sync_ledger(session, workspace, today=today)
    rows = list(
        session.scalars(
            select(LedgerRow)
            .where(LedgerRow.status.not_in((DELETED, GONE)))
            .order_by(LedgerRow.due_on.is_(None), LedgerRow.due_on, LedgerRow.kind,
                      LedgerRow.object_id)
        )
    )  # fmt: skip
    for row in rows:
        row.status = status_on(row, today)
    session.flush()
    return rows


def _deletion_order() -> Any:
    # Interrupted deletions first; the store's own submission ledger last, as it is what keeps a
    # deleted return from being loaded again while the rest of its LA's data is going.
    return (
        case((LedgerRow.status == DELETING, 0), else_=1),
        case(
            (
                (LedgerRow.kind == STORE_PARTITION)
                & LedgerRow.object_id.startswith(partition_id(STORE_LEDGER_TABLE, "")),
                1,
            ),
            else_=0,
        ),
        LedgerRow.id,
    )


@requires(Permission.RETENTION_RUN)
def run(
    session: Session,
    workspace: Workspace,
    actor: User,
    today: dt.date,
    *,
    progress: Progress | None = None,
) -> RunReport:
    """Delete every due, unheld object, certifying each deletion in the audit log.

    Commits ``session`` after every step (see the module notes), so pass a session of its own.
    """
    context = DeletionContext(workspace=workspace, session=session, today=today)
    try:
        return _run(session, context, actor, today, progress)
    finally:
        context.close()


def _run(
    session: Session,
    context: DeletionContext,
    actor: User,
    today: dt.date,
    progress: Progress | None,
) -> RunReport:
    store = context.store() if context.workspace.store_file.is_file() else None
    sync_ledger(session, context.workspace, today=today, store=store)
    session.commit()
    todo = list(
        session.scalars(
            select(LedgerRow)
            .where(LedgerRow.status.in_((DUE, DELETING)))
            .order_by(*_deletion_order())
        )
    )
    held = [r.key for r in session.scalars(select(LedgerRow).where(LedgerRow.status == HELD))]
    report = RunReport(as_of=today, held=held)
    # Named apart from the date: a bare full date as an object id reads like a birth date.
    run_id = f"run-{today:%Y%m%d}-{uuid.uuid4().hex[:8]}"
    record_in(session, actor.username, AuditAction.RETENTION_RUN, RUN_OBJECT, run_id,
              details={"step": "started", "as_of": today.isoformat(), "to_delete": len(todo),
                       "held": len(held)})  # fmt: skip
    session.commit()
    resumed = 0
    for row in todo:
        deleter = deleter_for(row.kind)
        if deleter is None:
            report.blocked.append(row.key)
            continue
        resuming = row.status == DELETING
        if not resuming and not _begin(session, row):
            continue
        resumed += resuming
        if progress:
            progress(DELETING, row)
        details = deleter(context, row)
        report.certificates.append(_certify(session, actor, row, details, resuming))
        session.commit()
        if progress:
            progress(DELETED, row)
    record_in(session, actor.username, AuditAction.RETENTION_RUN, RUN_OBJECT, run_id,
              details={"step": "finished", "as_of": today.isoformat(),
                       "deleted": len(report.certificates), "resumed": resumed,
                       "held": len(held), "blocked": len(report.blocked)})  # fmt: skip
    session.commit()
    return RunReport(report.as_of, report.certificates, resumed, report.held, report.blocked)


def _begin(session: Session, row: LedgerRow) -> bool:
    """Mark ``row`` as being deleted, unless a hold arrived since the plan was read."""
    session.refresh(row, with_for_update=True)
    if row.status != DUE or row.legal_hold:
        session.rollback()
        return False
    row.status, row.deletion_started_at = DELETING, dt.datetime.now(dt.UTC)
    session.commit()
    return True


def _certify(
    session: Session, actor: User, row: LedgerRow, details: dict[str, Any], resumed: bool
) -> Certificate:
    now = dt.datetime.now(dt.UTC)
    certificate = {
        "kind": row.kind,
        "category": row.category,
        "rule": row.rule_id,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "la_code": row.la_code,
        "extent": row.extent,
        "deletion_started_at": (row.deletion_started_at or now).isoformat(),
        "resumed": resumed,
        **details,
    }
    entry = record_in(session, actor.username, AuditAction.DELETION, CERTIFICATE_OBJECT,
                      row.key[:200], details=certificate)  # fmt: skip
    row.status, row.deleted_at, row.deleted_by = DELETED, now, actor.username
    row.certificate_seq = entry.seq
    session.flush()
    return Certificate(
        key=row.key,
        category=row.category,
        rule_id=row.rule_id,
        due_on=row.due_on,
        deleted_at=now,
        deleted_by=actor.username,
        audit_seq=entry.seq,
        details=certificate,
    )
