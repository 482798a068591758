"""The matrix test: every permission × every role is allowed exactly where the policy says,
with users stored in (and read back from) the governance database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from steward.errors import PermissionDenied
from steward.governance.access import (
    ACCREDITATION_REQUIRED,
    LA_SCOPED,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    User,
    authorise,
    is_allowed,
    requires,
)
from steward.governance.db import session_scope

from .conftest import make_user

TODAY = dt.date(2026, 11, 27)
OWN_LA, OTHER_LA = "E08000005", "E06000003"

# The policy written out by hand, so a change to ROLE_PERMISSIONS must be made twice on purpose.
EXPECTED = {
    Role.DPO: {
        "quality_report.read_all", "rights.manage", "consent.manage", "retention.plan",
        "retention.run", "audit.read", "audit.verify", "policy.read", "policy.edit",
    },
    Role.RESEARCHER: {
        "returns.submit", "quality_report.read_all", "store.query", "srs_data.read",
        "cohort.build", "analysis.run", "outputs.export", "policy.read", "retention.plan",
        "archive.build",
    },
    Role.LA_PROVIDER: {"returns.submit", "quality_report.read_own_la", "policy.read"},
    Role.ARCHIVE_USER: {"archive.read", "policy.read"},
    Role.ADMIN: {"users.manage", "audit.read", "audit.verify", "policy.read"},
}  # fmt: skip


def test_declared_matrix_is_the_policy() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert {role: {p.value for p in perms} for role, perms in ROLE_PERMISSIONS.items()} == EXPECTED
    # Nobody but the DPO runs retention or handles rights; only admins manage users.
    assert [r for r in Role if Permission.RIGHTS_MANAGE in ROLE_PERMISSIONS[r]] == [Role.DPO]
    assert [r for r in Role if Permission.USERS_MANAGE in ROLE_PERMISSIONS[r]] == [Role.ADMIN]


@pytest.fixture
def stored_users(engine: Engine) -> dict[Role, User]:
    for role in Role:
        make_user(
            engine,
            f"user-{role.value}",
            role.value,
            la_code=OWN_LA if role is Role.LA_PROVIDER else None,
            accreditation_expires=TODAY if role is Role.RESEARCHER else None,
        )
    with session_scope(engine) as session:
        users = session.scalars(select(User)).all()
    return {Role(u.role): u for u in users}


def test_every_permission_for_every_role(stored_users: dict[Role, User]) -> None:
    checked = 0
    for role, user in stored_users.items():
        for permission in Permission:
            expected = permission.value in EXPECTED[role]
            la_code = OWN_LA if role is Role.LA_PROVIDER else None
            assert is_allowed(user, permission, la_code=la_code, today=TODAY) is expected, (
                role,
                permission,
            )
            if not expected:
                with pytest.raises(PermissionDenied, match=permission.value):
                    authorise(user, permission, la_code=la_code, today=TODAY)
            checked += 1
    assert checked == len(Role) * len(Permission)


def test_la_provider_only_for_own_la(stored_users: dict[Role, User]) -> None:
    provider = stored_users[Role.LA_PROVIDER]
    for permission in LA_SCOPED:
        assert is_allowed(provider, permission, la_code=OWN_LA)
        assert not is_allowed(provider, permission, la_code=OTHER_LA)
        assert not is_allowed(provider, permission)  # must say which LA it acts for
    # The LA condition narrows only the LA provider: a researcher loads any LA's return.
    assert is_allowed(stored_users[Role.RESEARCHER], Permission.RETURNS_SUBMIT, la_code=OTHER_LA)
    assert not is_allowed(provider, Permission.QUALITY_REPORT_READ_ALL, la_code=OWN_LA)


def test_expired_accreditation_loses_srs_data_only(stored_users: dict[Role, User]) -> None:
    researcher = stored_users[Role.RESEARCHER]  # accreditation ends TODAY (last valid day)
    assert is_allowed(researcher, Permission.SRS_DATA_READ, today=TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(PermissionDenied, match="accreditation"):
        authorise(researcher, Permission.SRS_DATA_READ, today=tomorrow)
    for permission in ROLE_PERMISSIONS[Role.RESEARCHER] - ACCREDITATION_REQUIRED:
        assert is_allowed(researcher, permission, today=tomorrow)
    researcher.accreditation_expires = None
    assert not is_allowed(researcher, Permission.SRS_DATA_READ, today=TODAY)


def test_inactive_users_may_do_nothing(engine: Engine) -> None:
    make_user(engine, "former-dpo", "dpo", active=False)
    with session_scope(engine) as session:
        user = session.scalars(select(User).where(User.username == "former-dpo")).one()
    assert not any(is_allowed(user, p, today=TODAY) for p in Permission)
    with pytest.raises(PermissionDenied, match="deactivated"):
        authorise(user, Permission.POLICY_READ)


def test_unknown_role_denied() -> None:
    ghost = User(username="ghost", role="superuser", active=True)
    assert not any(is_allowed(ghost, p) for p in Permission)


@requires(Permission.QUALITY_REPORT_READ_OWN_LA)
def read_quality_report(actor: User, la_code: str) -> str:
    return f"report for {la_code}"


@requires(Permission.SRS_DATA_READ)
def read_srs_table(actor: User, table: str, *, today: dt.date | None = None) -> str:
    return table


def test_requires_checks_in_the_service_function(stored_users: dict[Role, User]) -> None:
    provider = stored_users[Role.LA_PROVIDER]
    assert read_quality_report(provider, OWN_LA) == f"report for {OWN_LA}"
    assert read_quality_report(actor=provider, la_code=OWN_LA) == f"report for {OWN_LA}"
    with pytest.raises(PermissionDenied):
        read_quality_report(provider, OTHER_LA)
    with pytest.raises(PermissionDenied):
        read_quality_report(stored_users[Role.ARCHIVE_USER], OWN_LA)
    researcher = stored_users[Role.RESEARCHER]
    assert read_srs_table(researcher, "npd", today=TODAY) == "npd"
    with pytest.raises(PermissionDenied):
        read_srs_table(researcher, "npd", today=TODAY + dt.timedelta(days=1))
    assert read_srs_table.required_permission is Permission.SRS_DATA_READ  # type: ignore[attr-defined]


def test_requires_needs_an_actor() -> None:
    with pytest.raises(TypeError, match="actor"):

        @requires(Permission.POLICY_READ)
        def no_actor(user: User) -> None:
            return None

    with pytest.raises(TypeError, match="must be a User"):
        read_quality_report("admin", OWN_LA)  # type: ignore[arg-type]


def test_audit_services_check_permissions(engine: Engine, stored_users: dict[Role, User]) -> None:
    from steward.governance.audit import AuditAction, AuditLog
    from steward.governance.audit.service import read_entries, verify_log

    AuditLog(engine).record("user-dpo", AuditAction.POLICY_CHANGE, "policy", "nwd-2025")
    with session_scope(engine) as session:
        for role, user in stored_users.items():
            if Permission.AUDIT_READ in ROLE_PERMISSIONS[role]:
                assert [e.object_id for e in read_entries(session, user)] == ["nwd-2025"]
            else:
                with pytest.raises(PermissionDenied):
                    read_entries(session, user)
            if Permission.AUDIT_VERIFY in ROLE_PERMISSIONS[role]:
                assert verify_log(session, user).ok
            else:
                with pytest.raises(PermissionDenied):
                    verify_log(session, user)
