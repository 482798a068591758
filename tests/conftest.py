"""Shared fixtures: every test gets its own key folder, so no test touches the user's keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
    """A workspace with the tiny synthetic returns ingested."""
    from steward.ingest import ingest
    from steward.workspace import init_workspace

    ws = init_workspace(tmp_path / "ws")
    summary = ingest(ws, [tiny_returns])
    assert not summary.failed
    return ws.root
