"""A workspace with the tiny synthetic returns ingested once per session; each test gets a copy."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from steward.governance.access import User
from steward.workspace import Workspace, open_workspace

BUILD_DAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def ingested_workspace(
    tmp_path_factory: pytest.TempPathFactory, account: Callable[..., User]
) -> Path:
    from steward.ingest import ingest
    from steward.synth import generate_returns
    from steward.workspace import init_workspace

    root = tmp_path_factory.mktemp("archive_ws")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(root / "config"))
        generate_returns(root / "in", scale="tiny", seed=11)
        ws = init_workspace(root / "ws")
        summary = ingest(ws, [root / "in"], actor=account(ws))
        assert not summary.failed, [o.error for o in summary.failed]
    return ws.root


@pytest.fixture
def workspace(ingested_workspace: Path, tmp_path: Path) -> Workspace:
    """A private copy of the ingested workspace (builds write lineage into its store)."""
    copy = tmp_path / "ws"
    shutil.copytree(ingested_workspace, copy)
    return open_workspace(copy)


@pytest.fixture
def researcher(workspace: Workspace, account: Callable[..., User]) -> User:
    """The researcher who ingested the returns (and may build the archive)."""
    return account(workspace)
