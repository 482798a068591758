"""Rights, consent and register tests: governance database on SQLite and PostgreSQL (the same
pattern as tests/governance), and a workspace holding the tiny synthetic returns, ingested once
per session and copied for each test that changes it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steward.governance.access import User
from steward.governance.db import session_scope
from steward.governance.rights.service import RightsKeys
from steward.workspace import Workspace, open_workspace


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
    tiny_returns: Path, tmp_path_factory: pytest.TempPathFactory, account: Callable[..., User]
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
    summary = ingest(ws, [tiny_returns], actor=account(ws))
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
