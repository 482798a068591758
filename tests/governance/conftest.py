"""Governance tests run against SQLite (a file in tmp) and PostgreSQL (127.0.0.1:5432).

Each test session makes its own PostgreSQL database and each test its own schema in it, so
parallel runs never collide; both are dropped afterwards. If PostgreSQL cannot be reached the
``postgresql`` parameter fails (CI starts the server), it is never skipped.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from steward.governance.access import User
from steward.governance.access.authentication import hash_password
from steward.governance.db import session_scope

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with small cost parameters, so tests that hash passwords stay fast.

    The production parameters are pinned by test_production_argon2_parameters.
    """
    from argon2 import PasswordHasher

    from steward.governance.access import authentication

    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(authentication, "_hasher", light)


def make_user(
    engine: Engine,
    username: str,
    role: str,
    *,
    la_code: str | None = None,
    accreditation_expires: dt.date | None = None,
    active: bool = True,
    password: str | None = None,
) -> User:
    """Store a user directly (the services are tested separately); hashing only when asked."""
    with session_scope(engine) as session:
        user = User(
            username=username,
            role=role,
            password_hash=hash_password(password) if password else "not-a-hash",
            la_code=la_code,
            accreditation_expires=accreditation_expires,
            active=active,
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(user)
    return user
