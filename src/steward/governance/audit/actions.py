"""The actions the audit log records."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """What happened. Every part of Steward records one of these; new ones are added here."""

    INGEST = "ingest"
    PSEUDONYMISE = "pseudonymise"
    STORE_QUERY = "store_query"
    EXPORT = "export"
    RIGHTS_ACTION = "rights_action"
    DELETION = "deletion"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    POLICY_CHANGE = "policy_change"
    CONSENT_CHANGE = "consent_change"
    RETENTION_RUN = "retention_run"
    ARCHIVE_BUILD = "archive_build"
    USER_ADDED = "user_added"
    USER_CHANGED = "user_changed"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    PERMISSION_DENIED = "permission_denied"
    CHECKPOINT_EXPORTED = "checkpoint_exported"
