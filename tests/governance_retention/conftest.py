"""Retention tests: governance database on SQLite and PostgreSQL (the pattern of
tests/governance), and a workspace holding the tiny synthetic returns, ingested once per session
and copied for each test (its keys are kept in a folder outside it, shared by every copy).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steward.governance.access import User
from steward.governance.access.authentication import hash_password
from steward.governance.db import session_scope
from steward.workspace import Workspace, open_workspace

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def light_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with small cost parameters, so tests that hash passwords stay fast."""
    from argon2 import PasswordHasher

    from steward.governance.access import authentication

    light = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(authentication, "_hasher", light)


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
def ingested_template(
    tiny_returns: Path, tmp_path_factory: pytest.TempPathFactory, account: Callable[..., User]
) -> Path:
    """The tiny returns ingested once (landing files, quarantined batches, store tables)."""
    from steward.ingest import ingest
    from steward.workspace import init_workspace

    key_dir = tmp_path_factory.mktemp("retention_keys")
    ws = init_workspace(tmp_path_factory.mktemp("retention_template") / "ws", key_dir=key_dir)
    summary = ingest(ws, [tiny_returns], actor=account(ws))
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
