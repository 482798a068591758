"""Rights, consent and register tests: governance database on SQLite and PostgreSQL (the same
pattern as tests/governance), and a workspace holding the tiny synthetic returns, ingested once
per session and copied for each test that changes it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from steward.governance.access import User
from steward.governance.db import make_engine, session_scope, upgrade
from steward.governance.rights.service import RightsKeys
from steward.workspace import Workspace, open_workspace

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
    name = f"steward_rights_{uuid.uuid4().hex[:12]}"
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


def make_user(engine: Engine, username: str, role: str, *, la_code: str | None = None) -> User:
    with session_scope(engine) as session:
        user = User(
            username=username,
            role=role,
            password_hash="not-a-hash",
            la_code=la_code,
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


@dataclass(frozen=True)
class Child:
    """A child in the tiny returns: the LA's own id (as the LA would supply it) and pseudonym."""

    la_code: str
    la_child_id: str
    pid: str


@dataclass(frozen=True)
class IngestedTemplate:
    root: Path
    children: list[Child]


@pytest.fixture(scope="session")
def ingested_template(
    tiny_returns: Path, tmp_path_factory: pytest.TempPathFactory
) -> IngestedTemplate:
    """The tiny returns ingested once; keys in a folder outside it, shared by every copy."""
    from steward.ingest import ingest
    from steward.pseudonymise.pseudonym import pseudonym_reference
    from steward.returns import read_return
    from steward.store import ResearchStore
    from steward.workspace import init_workspace

    key_dir = tmp_path_factory.mktemp("rights_keys")
    root = tmp_path_factory.mktemp("rights_template") / "ws"
    ws = init_workspace(root, key_dir=key_dir)
    summary = ingest(ws, [tiny_returns])
    assert not summary.failed
    key = ws.keys.load("pseudonym")
    candidates: dict[str, Child] = {}
    for path in (
        sorted(tiny_returns.rglob("rochdale_dr2_*.xlsx"))
        or sorted(tiny_returns.rglob("*dr2*.xlsx"))[:1]
    ):
        reading = read_return(path)
        for table in reading.tables:
            if "child_id" not in table.data.column_names:
                continue
            for raw in table.data.column("child_id").to_pylist():
                if raw:
                    pid = pseudonym_reference(key, reading.la_code, raw)
                    assert pid is not None
                    candidates[pid] = Child(reading.la_code, raw, pid)
    with ResearchStore.open(ws) as store:
        held = set(
            store.query("SELECT DISTINCT child_pid FROM dr2_referrals").column(0).to_pylist()
        )
    children = [c for pid, c in sorted(candidates.items()) if pid in held]
    assert len(children) >= 10
    return IngestedTemplate(root, children)


@pytest.fixture
def workspace(ingested_template: IngestedTemplate, tmp_path: Path) -> Workspace:
    """A private copy of the ingested workspace."""
    copy = tmp_path / "ws"
    shutil.copytree(ingested_template.root, copy)
    return open_workspace(copy)


@pytest.fixture
def children(ingested_template: IngestedTemplate) -> list[Child]:
    return ingested_template.children


@pytest.fixture
def keys(workspace: Workspace) -> RightsKeys:
    return RightsKeys.for_workspace(workspace)
