"""The SRS licence end: the date until which NPD extract data may be kept.

It comes from the study's application for access to the ONS Secure Research Service, so the DPO
records it here; every licence-bound object in the ledger (the NPD tables and extract files) is
then due on it, and objects found later inherit it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.governance.access.authorise import requires
from steward.governance.access.models import User
from steward.governance.access.permissions import Permission
from steward.governance.audit.actions import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.retention.ledger import licence_bound, sync_ledger, workspace_registry
from steward.governance.retention.models import FINISHED, LedgerRow
from steward.workspace import Workspace


@requires(Permission.RETENTION_RUN)
def record_licence_end(
    session: Session, actor: User, workspace: Workspace, licence_end: dt.date, *, today: dt.date
) -> int:
    """Set the SRS licence end on every licence-bound object; returns how many were re-dated."""
    sync_ledger(session, workspace, today=today)
    registry = workspace_registry(workspace)
    rows = [
        row
        for row in session.scalars(
            select(LedgerRow).where(
                LedgerRow.status.not_in(FINISHED), LedgerRow.due_fixed.is_(False)
            )
        )
        if licence_bound(row.category, registry)
    ]
    for row in rows:
        row.licence_end = licence_end
    session.flush()
    sync_ledger(session, workspace, today=today)
    record_in(session, actor.username, AuditAction.RETENTION_RUN, "srs_licence", "licence_end",
              details={"step": "licence_end_recorded", "licence_ends_on": licence_end.isoformat(),
                       "objects": len(rows)})  # fmt: skip
    return len(rows)
