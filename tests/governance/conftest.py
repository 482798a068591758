"""Governance tests run against SQLite (a file in tmp) and PostgreSQL (127.0.0.1:5432).

Each test session makes its own PostgreSQL database and each test its own schema in it, so
parallel runs never collide; both are dropped afterwards. If PostgreSQL cannot be reached the
``postgresql`` parameter fails (CI starts the server), it is never skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from steward.governance.access import User
from steward.governance.access.authentication import hash_password
from steward.governance.db import make_engine, session_scope, upgrade

PG_URL = os.environ.get(
    "STEWARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct horse battery staple"


def _admin_engine() -> Engine:
    errors = []
    for user in ("postgres", "root"):
        url = (
            make_url(PG_URL).set(username=user)
            if "STEWARD_TEST_POSTGRES_URL" not in os.environ
            else make_url(PG_URL)
        )
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            return engine
        except Exception as exc:
            errors.append(f"{url.username}: {exc.__class__.__name__}: {exc}")
            engine.dispose()
    pytest.fail("PostgreSQL is not reachable for the governance tests:\n" + "\n".join(errors))


@pytest.fixture(autouse=True)
def light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with small cost parameters, so tests that hash passwords stay fast.

    The production parameters are pinned by test_production_argon2_parameters.
    """
    from argon2 import PasswordHasher

    from steward.governance.access import authentication

    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(authentication, "_hasher", light)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """A fresh database for this test session (per xdist worker), dropped at the end."""
    admin = _admin_engine()
    name = f"steward_gov_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[URL]:
    """An empty governance database URL: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield make_url(f"sqlite:///{tmp_path_factory.mktemp('gov') / 'governance.db'}")
        return
    base: URL = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        # Every connection of this URL works in the schema, Alembic's version table included.
        yield base.update_query_dict({"options": f"-csearch_path={schema}"})
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def engine(db_url: URL) -> Iterator[Engine]:
    """An engine on a migrated governance database."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


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
