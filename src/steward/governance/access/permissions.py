"""Roles, permissions and the matrix between them — policy as data.

Two conditions sit on top of the matrix (see :func:`steward.governance.access.authorise`):
LA-scoped permissions hold for an LA data provider only for their own LA, and
``srs_data.read`` holds for a researcher only while their accreditation is in date.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """What a user is, which decides what they may do."""

    DPO = "dpo"
    RESEARCHER = "researcher"  # an accredited researcher (the evaluation team)
    LA_PROVIDER = "la_provider"
    ARCHIVE_USER = "archive_user"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a service function may need the actor to be allowed to do."""

    RETURNS_SUBMIT = "returns.submit"
    QUALITY_REPORT_READ_OWN_LA = "quality_report.read_own_la"
    QUALITY_REPORT_READ_ALL = "quality_report.read_all"
    STORE_QUERY = "store.query"
    SRS_DATA_READ = "srs_data.read"
    COHORT_BUILD = "cohort.build"
    ANALYSIS_RUN = "analysis.run"
    OUTPUTS_EXPORT = "outputs.export"
    RIGHTS_MANAGE = "rights.manage"
    CONSENT_MANAGE = "consent.manage"
    RETENTION_PLAN = "retention.plan"
    RETENTION_RUN = "retention.run"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    POLICY_READ = "policy.read"
    POLICY_EDIT = "policy.edit"
    ARCHIVE_BUILD = "archive.build"
    ARCHIVE_READ = "archive.read"
    USERS_MANAGE = "users.manage"


P = Permission

ROLE_PERMISSIONS: MappingProxyType[Role, frozenset[Permission]] = MappingProxyType(
    {
        # The DPO runs the notice's promises: rights, consent, retention, policy, oversight.
        Role.DPO: frozenset(
            {
                P.QUALITY_REPORT_READ_ALL,
                P.RIGHTS_MANAGE,
                P.CONSENT_MANAGE,
                P.RETENTION_PLAN,
                P.RETENTION_RUN,
                P.AUDIT_READ,
                P.AUDIT_VERIFY,
                P.POLICY_READ,
                P.POLICY_EDIT,
            }
        ),
        # The evaluation team: loads returns, works on the pseudonymised store, exports
        # checked outputs, builds the archive; SRS data only while accredited.
        Role.RESEARCHER: frozenset(
            {
                P.RETURNS_SUBMIT,
                P.QUALITY_REPORT_READ_ALL,
                P.STORE_QUERY,
                P.SRS_DATA_READ,
                P.COHORT_BUILD,
                P.ANALYSIS_RUN,
                P.OUTPUTS_EXPORT,
                P.POLICY_READ,
                P.RETENTION_PLAN,
                P.ARCHIVE_BUILD,
            }
        ),
        # An LA data team: submits its returns and reads its own quality reports, nothing else.
        Role.LA_PROVIDER: frozenset(
            {P.RETURNS_SUBMIT, P.QUALITY_REPORT_READ_OWN_LA, P.POLICY_READ}
        ),
        Role.ARCHIVE_USER: frozenset({P.ARCHIVE_READ, P.POLICY_READ}),
        # Admin manages accounts and checks the audit log; no access to research data.
        Role.ADMIN: frozenset({P.USERS_MANAGE, P.AUDIT_READ, P.AUDIT_VERIFY, P.POLICY_READ}),
    }
)

# Permissions that an LA data provider holds only for their own LA (``la_code`` must match).
LA_SCOPED: frozenset[Permission] = frozenset({P.RETURNS_SUBMIT, P.QUALITY_REPORT_READ_OWN_LA})
# Permissions that need an in-date accreditation.
ACCREDITATION_REQUIRED: frozenset[Permission] = frozenset({P.SRS_DATA_READ})
