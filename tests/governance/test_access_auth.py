"""Passwords (argon2), logins audited without enumeration, API tokens, account services."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from steward.errors import PermissionDenied, UserError
from steward.governance.access import (
    ApiToken,
    AuthenticationFailed,
    Role,
    User,
    add_user,
    authenticate,
    authenticate_token,
    bootstrap_admin,
    issue_token,
    list_users,
    revoke_token,
    set_accreditation,
    set_active,
    verify_password,
)
from steward.governance.audit import AuditEntry, verify
from steward.governance.db import session_scope

from .conftest import PASSWORD


@pytest.fixture
def admin(engine: Engine) -> User:
    with session_scope(engine) as session:
        return bootstrap_admin(session, "admin1", PASSWORD)


def entries(engine: Engine) -> list[AuditEntry]:
    with session_scope(engine) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_passwords_are_argon2id_hashes(engine: Engine, admin: User) -> None:
    with session_scope(engine) as session:
        stored = session.scalars(select(User)).one()
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert verify_password(stored.password_hash, PASSWORD)
    assert not verify_password(stored.password_hash, PASSWORD + "x")
    assert not verify_password("garbage", PASSWORD)
    assert PASSWORD not in repr(stored) and "argon2" not in repr(stored)


def test_production_argon2_parameters() -> None:
    from argon2 import extract_parameters
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from steward.governance.access.authentication import default_password_hasher

    params = extract_parameters(default_password_hasher().hash(PASSWORD))
    assert params.type.name == "ID"
    assert params.memory_cost >= RFC_9106_LOW_MEMORY.memory_cost
    assert params.time_cost >= RFC_9106_LOW_MEMORY.time_cost


def test_short_password_refused(engine: Engine) -> None:
    with pytest.raises(UserError, match="shorter than 12"), session_scope(engine) as session:
        bootstrap_admin(session, "admin1", "short")


def test_login_audited_and_failures_indistinguishable(engine: Engine, admin: User) -> None:
    with session_scope(engine) as session:
        assert authenticate(session, "admin1", PASSWORD).username == "admin1"
    with session_scope(engine) as session:
        add_user(session, admin, "gone", PASSWORD, Role.ARCHIVE_USER)
    with session_scope(engine) as session:
        set_active(session, admin, "gone", False)
    messages = []
    for username, password in [
        ("admin1", "wrong password!!"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),
    ]:
        with pytest.raises(AuthenticationFailed) as caught, session_scope(engine) as session:
            authenticate(session, username, password)
        messages.append(str(caught.value))
    assert len(set(messages)) == 1  # no difference that reveals which accounts exist
    assert "nobody" not in messages[0]
    log = entries(engine)
    logins = [(e.action, e.actor, e.details) for e in log if e.action.startswith("login")]
    assert logins == [
        ("login", "admin1", {"method": "password"}),
        ("login_failed", "admin1", {"reason": "bad_password"}),
        ("login_failed", "unknown", {"reason": "unknown_user"}),
        ("login_failed", "gone", {"reason": "inactive"}),
    ]
    assert all("nobody" not in str((e.actor, e.object_id, e.details)) for e in log)
    with session_scope(engine) as session:
        assert verify(session).ok


def test_tokens_shown_once_stored_hashed(engine: Engine, admin: User) -> None:
    with session_scope(engine) as session:
        token = issue_token(session, admin)
    with session_scope(engine) as session:
        row = session.scalars(select(ApiToken)).one()
        assert token not in row.token_hash and len(row.token_hash) == 64
        assert authenticate_token(session, token).username == "admin1"
        with pytest.raises(AuthenticationFailed):
            authenticate_token(session, token + "x")
    assert [e.action for e in entries(engine)][-1] == "token_issued"


def test_token_expiry(engine: Engine, admin: User) -> None:
    with session_scope(engine) as session:
        token = issue_token(session, admin, lifetime=dt.timedelta(hours=1))
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        assert authenticate_token(session, token, now=now + dt.timedelta(minutes=59)).id == admin.id
        with pytest.raises(AuthenticationFailed):
            authenticate_token(session, token, now=now + dt.timedelta(hours=1, seconds=1))


def test_token_revocation_and_deactivated_user(engine: Engine, admin: User) -> None:
    with session_scope(engine) as session:
        keep = issue_token(session, admin)
        drop = issue_token(session, admin)
    with session_scope(engine) as session:
        revoke_token(session, drop)
        revoke_token(session, drop)  # idempotent
    with session_scope(engine) as session:
        with pytest.raises(AuthenticationFailed):
            authenticate_token(session, drop)
        assert authenticate_token(session, keep).username == "admin1"
        with pytest.raises(AuthenticationFailed):
            revoke_token(session, "stw_unknown")
    assert [e.action for e in entries(engine)].count("token_revoked") == 1
    with session_scope(engine) as session:
        add_user(session, admin, "admin2", PASSWORD, Role.ADMIN)
    with session_scope(engine) as session:
        second = session.scalars(select(User).where(User.username == "admin2")).one()
        token = issue_token(session, second)
    with session_scope(engine) as session:
        set_active(session, admin, "admin2", False)
    with session_scope(engine) as session, pytest.raises(AuthenticationFailed):
        authenticate_token(session, token)


def test_account_services_check_users_manage(engine: Engine, admin: User) -> None:
    with session_scope(engine) as session:
        provider = add_user(
            session, admin, "rochdale1", PASSWORD, Role.LA_PROVIDER, user_la_code="E08000005"
        )
        add_user(
            session,
            admin,
            "analyst1",
            PASSWORD,
            "researcher",
            accreditation_expires=dt.date(2027, 3, 31),
        )
    with session_scope(engine) as session:
        assert [u.username for u in list_users(session, admin)] == [
            "admin1",
            "analyst1",
            "rochdale1",
        ]
        with pytest.raises(PermissionDenied):
            list_users(session, provider)
        with pytest.raises(PermissionDenied):
            add_user(session, provider, "x1", PASSWORD, Role.ADMIN)
        researcher = set_accreditation(session, admin, "analyst1", dt.date(2025, 1, 1))
        assert researcher.accreditation_expires == dt.date(2025, 1, 1)
    with (
        session_scope(engine) as session,
        pytest.raises(PermissionDenied, match="nothing to bootstrap"),
    ):
        bootstrap_admin(session, "late", PASSWORD)
    added = [(e.actor, e.object_id, e.details) for e in entries(engine) if e.action == "user_added"]
    assert added == [
        ("bootstrap", "admin1", {"role": "admin"}),
        ("admin1", "rochdale1", {"role": "la_provider", "la_code": "E08000005"}),
        ("admin1", "analyst1", {"role": "researcher"}),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "superuser"}, "not a role"),
        ({"username": "Bad Name"}, "not a valid username"),
        ({"role": "la_provider"}, "needs the code of their local authority"),
        ({"role": "la_provider", "user_la_code": "Rochdale"}, "neither an LA's GSS code"),
        ({"role": "la_provider", "user_la_code": "352"}, "neither an LA's GSS code"),
        ({"role": "dpo", "user_la_code": "E08000005"}, "only LA data providers"),
        ({"role": "researcher"}, "expiry date"),
        ({"username": "admin1"}, "already exists"),
    ],
)
def test_bad_accounts_refused(
    engine: Engine, admin: User, kwargs: dict[str, str], message: str
) -> None:
    args = {"username": "newuser", "password": PASSWORD, "role": "dpo", **kwargs}
    with pytest.raises(UserError, match=message), session_scope(engine) as session:
        add_user(session, admin, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize("given", ["E08000005", "354", " e08000005 "])
def test_an_la_provider_may_be_given_the_gss_code_or_the_dfe_number(
    engine: Engine, admin: User, given: str
) -> None:
    with session_scope(engine) as session:
        provider = add_user(
            session, admin, "rochdale1", PASSWORD, Role.LA_PROVIDER, user_la_code=given
        )
        # The account keeps the GSS code, whichever form it was given in.
        assert provider.la_code == "E08000005"
