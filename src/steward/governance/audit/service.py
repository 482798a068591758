"""Permission-checked entry points to the audit log, for the web layer and other services.

(``AuditLog.record`` itself needs no permission: every part of Steward must be able to write.)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from steward.governance.access.authorise import requires
from steward.governance.access.models import User
from steward.governance.access.permissions import Permission
from steward.governance.audit.log import last_entries
from steward.governance.audit.models import AuditEntry
from steward.governance.audit.verify import VerifyReport, verify


@requires(Permission.AUDIT_READ)
def read_entries(session: Session, actor: User, last: int = 50) -> list[AuditEntry]:
    """The newest ``last`` entries, oldest first (needs ``audit.read``)."""
    return last_entries(session, last)


@requires(Permission.AUDIT_VERIFY)
def verify_log(session: Session, actor: User) -> VerifyReport:
    """Walk the chain (needs ``audit.verify``)."""
    return verify(session)
