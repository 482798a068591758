"""Retention tests: governance database on SQLite and PostgreSQL (the pattern of
tests/governance), and a workspace holding the tiny synthetic returns, ingested once per session
and copied for each test (its keys are kept in a folder outside it, shared by every copy).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from steward.governance.access import User
from steward.governance.access.authentication import hash_password
from steward.governance.db import make_engine, session_scope, upgrade
from steward.workspace import Workspace, open_workspace

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
    """Real argon2id with small cost parameters, so tests that hash passwords stay fast."""
    from argon2 import PasswordHasher

    from steward.governance.access import authentication

    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(authentication, "_hasher", light)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[URL]:
    """A fresh database for this test session (per xdist worker), dropped at the end."""
    admin = _admin_engine()
    name = f"steward_retention_{uuid.uuid4().hex[:12]}"
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


def make_user(engine: Engine, username: str, role: str, *, password: str | None = None) -> User:
    """Store a user directly (the access services are tested elsewhere)."""
    with session_scope(engine) as session:
        user = User(
            username=username,
            role=role,
            password_hash=hash_password(password) if password else "not-a-hash",
            la_code=None,
            accreditation_expires=None,
            active=True,
            created_at=dt.datetime.now(dt.UTC),
        )
        session.add(user)
    return user


@pytest.fixture
def dpo(engine: Engine) -> User:
    return make_user(engine, "dana.dpo", "dpo")


@pytest.fixture
def researcher(engine: Engine) -> User:
    return make_user(engine, "rob.researcher", "researcher")


@pytest.fixture(scope="session")
def ingested_template(tiny_returns: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny returns ingested once (landing files, quarantined batches, store tables)."""
    from steward.ingest import ingest
    from steward.workspace import init_workspace

    key_dir = tmp_path_factory.mktemp("retention_keys")
    ws = init_workspace(tmp_path_factory.mktemp("retention_template") / "ws", key_dir=key_dir)
    summary = ingest(ws, [tiny_returns])
    assert not summary.failed
    return ws.root


@pytest.fixture
def workspace(ingested_template: Path, tmp_path: Path) -> Workspace:
    """A private copy of the ingested workspace (its own governance.db is not used here)."""
    copy = tmp_path / "ws"
    shutil.copytree(ingested_template, copy)
    for leftover in copy.glob("governance.db*"):
        leftover.unlink()
    return open_workspace(copy)
