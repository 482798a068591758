"""The audit log of a workspace: its governance database, migrated, behind an ``AuditLog``."""

from __future__ import annotations

from functools import lru_cache

from steward.governance.audit.log import AuditLog
from steward.governance.db import open_database
from steward.workspace import Workspace


@lru_cache(maxsize=8)
def _audit_log(url: str) -> AuditLog:
    return AuditLog(open_database(url))


def workspace_audit_log(workspace: Workspace) -> AuditLog:
    """The workspace's audit log (SQLite in the workspace unless ``database_url`` says else)."""
    return _audit_log(workspace.database_url)
