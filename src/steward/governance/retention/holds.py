"""Legal holds: an object under a hold is never deleted, whatever its due date, until released.

Placing and releasing a hold is recorded in the audit log. A hold may be placed on one object
(by its ledger key, ``kind:object_id``) or on everything held for one local authority.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import UserError
from steward.governance.access.authorise import requires
from steward.governance.access.models import User
from steward.governance.access.permissions import Permission
from steward.governance.audit.actions import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.retention.models import DELETED, DELETING, GONE, LedgerRow, status_on

HOLD_OBJECT = "retained_object"
MAX_REASON = 500


def find_row(session: Session, key: str) -> LedgerRow:
    """The ledger row named ``kind:object_id``; a clear error if there is none."""
    kind, _, object_id = key.partition(":")
    row = session.scalar(
        select(LedgerRow).where(LedgerRow.kind == kind, LedgerRow.object_id == object_id)
    )
    if row is None:
        raise UserError(
            what=f"the retention ledger has no object {key!r}",
            fix="Copy the key from 'steward retention plan' (kind:id, e.g. "
            "store_partition:dr2_referrals:856).",
        )
    return row


def _hold(session: Session, actor: User, row: LedgerRow, reason: str, today: dt.date) -> None:
    if row.status == DELETING:
        raise UserError(
            what=f"{row.key} is already being deleted by an interrupted retention run",
            fix="A deletion that has begun cannot be stopped half-way; the next run finishes it.",
        )
    if row.status in (DELETED, GONE):
        raise UserError(what=f"{row.key} is already deleted", fix="Nothing is left to hold.")
    row.legal_hold, row.hold_reason = True, reason
    row.held_by, row.held_at = actor.username, dt.datetime.now(dt.UTC)
    row.status = status_on(row, today)
    session.flush()
    record_in(session, actor.username, AuditAction.RETENTION_RUN, HOLD_OBJECT, row.key,
              details={"step": "hold_placed", "reason": reason})  # fmt: skip


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise UserError(
            what="a legal hold needs a reason of at most 500 characters",
            fix="Say why, e.g. 'litigation hold, case ref LH-2030-04'; no personal data.",
        )
    return reason


@requires(Permission.RETENTION_RUN)
def place_hold(
    session: Session, actor: User, object_key: str, reason: str, *, today: dt.date
) -> LedgerRow:
    """Put one object under a legal hold (``object_key`` is ``kind:object_id``)."""
    row = find_row(session, object_key)
    _hold(session, actor, row, _check_reason(reason), today)
    return row


@requires(Permission.RETENTION_RUN)
def hold_local_authority(
    session: Session, actor: User, la: str, reason: str, *, today: dt.date
) -> list[LedgerRow]:
    """Put every object still held for local authority ``la`` under a legal hold."""
    reason = _check_reason(reason)
    rows = list(
        session.scalars(
            select(LedgerRow).where(
                LedgerRow.la_code == la, LedgerRow.status.not_in((DELETED, GONE, DELETING))
            )
        )
    )
    if not rows:
        raise UserError(
            what=f"the retention ledger holds nothing for local authority {la!r}",
            fix="Check the LA code against 'steward retention plan'.",
        )
    for row in rows:
        _hold(session, actor, row, reason, today)
    return rows


@requires(Permission.RETENTION_RUN)
def release_hold(
    session: Session, actor: User, object_key: str, reason: str, *, today: dt.date
) -> LedgerRow:
    """Lift the legal hold on one object; if it is past due, the next run deletes it."""
    row = find_row(session, object_key)
    if not row.legal_hold:
        raise UserError(what=f"{row.key} is not under a legal hold", fix="Nothing to release.")
    reason = _check_reason(reason)
    row.legal_hold, row.hold_reason, row.held_by, row.held_at = False, None, None, None
    row.status = status_on(row, today)
    session.flush()
    record_in(session, actor.username, AuditAction.RETENTION_RUN, HOLD_OBJECT, row.key,
              details={"step": "hold_released", "reason": reason})  # fmt: skip
    return row
