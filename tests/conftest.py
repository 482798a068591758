"""Shared fixtures: every test gets its own key folder, so no test touches the user's keys."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from steward.governance.db import make_engine, upgrade

if TYPE_CHECKING:
    from steward.governance.access import User
    from steward.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture(autouse=True)
def isolated_keys(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point the default key root at a fresh folder outside every workspace."""
    config_home = tmp_path_factory.mktemp("config")
    # platformdirs follows XDG_CONFIG_HOME, also in subprocesses the test starts.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    root = config_home / "steward" / "keys"
    monkeypatch.delenv("STEWARD_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("STEWARD_MASTER_KEY", raising=False)
    yield root


def make_account(
    workspace: Workspace,
    username: str = "rita.researcher",
    role: str = "researcher",
    *,
    la_code: str | None = None,
    accreditation_expires: dt.date | None = dt.date(2099, 12, 31),
    active: bool = True,
    password: str | None = None,
) -> User:
    """An account in ``workspace``'s governance database (found again if it is already there).

    Without ``password`` the account cannot log in (no argon2 cost), which is enough for calling
    services with it; pass one for CLI tests that sign in.
    """
    from sqlalchemy import select

    from steward.governance.access import User, hash_password
    from steward.governance.db import open_database, session_scope

    engine = open_database(workspace.database_url)
    try:
        with session_scope(engine) as session:
            found = session.scalar(select(User).where(User.username == username))
            if found is not None:
                return found
            user = User(
                username=username,
                role=role,
                password_hash=hash_password(password) if password else "no-login",
                la_code=la_code,
                accreditation_expires=accreditation_expires if role == "researcher" else None,
                active=active,
                created_at=dt.datetime.now(dt.UTC),
            )
            session.add(user)
        return user
    finally:
        engine.dispose()


AccountMaker = Callable[..., "User"]


@pytest.fixture(scope="session")
def account() -> AccountMaker:
    """``account(workspace, username, role, ...)``: see :func:`make_account`."""
    return make_account


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def tiny_returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic returns for the five LAs at the tiny scale (generated once per session)."""
    from steward.synth import generate_returns

    out = tmp_path_factory.mktemp("tiny_returns")
    generate_returns(out, scale="tiny", seed=11)
    return out


@pytest.fixture
def tiny_workspace(tmp_path: Path, tiny_returns: Path) -> Path:
    """A workspace with the tiny synthetic returns ingested (by the researcher ``rita.researcher``)."""
    from steward.ingest import ingest
    from steward.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws")
    summary = ingest(ws, [tiny_returns], actor=make_account(ws))
    assert not summary.failed
    return ws.root


# -- governance databases: every governance test runs on SQLite and on PostgreSQL -----------
# Each test session makes its own PostgreSQL database and each test its own schema in it, so
# parallel runs never collide; both are dropped afterwards. If PostgreSQL cannot be reached the
# ``postgresql`` parameter fails (CI starts the server); it is never skipped.

PG_URL = os.environ.get(
    "STEWARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


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
