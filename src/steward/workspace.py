"""A workspace: one folder holding a study's settings, landing area, store and outputs.

Layout (created by ``steward init``)::

    steward.toml   settings (see config.py)
    policy.yaml    the privacy policy registry (a copy of the shipped one, to be kept current)
    landing/       submitted files, content-addressed and encrypted at rest
    store/         the research store (pseudonymised only)
    quarantine/    records that broke a blocking rule, encrypted, with the reason
    outputs/       analysis datasets and disclosure-checked outputs
    reports/       quality reports and the HTML report

The keys live outside it (see pseudonymise/keys.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.config import SETTINGS_FILE, Settings, load_settings, render_settings_file
from steward.errors import WorkspaceError
from steward.policy.loader import DEFAULT_REGISTRY, WORKSPACE_REGISTRY
from steward.pseudonymise.keys import KeyStore, default_key_root

FOLDERS = ("landing", "store", "quarantine", "outputs", "reports")


@dataclass(frozen=True)
class Workspace:
    root: Path
    settings: Settings

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def store_file(self) -> Path:
        return self.store / "research.duckdb"

    @property
    def keys(self) -> KeyStore:
        folder = self.settings.key_dir or default_key_root() / self.settings.workspace_id
        return KeyStore(folder=folder, workspace=self.root)

    @property
    def database_url(self) -> str:
        return self.settings.database_url or f"sqlite:///{self.root / 'governance.db'}"


def init_workspace(root: Path, **settings: Any) -> Workspace:
    """Create (or complete) a workspace at ``root`` and its keys; idempotent."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    settings_path = root / SETTINGS_FILE
    if settings_path.exists():
        current = load_settings(root, **settings)
    else:
        current = Settings(**{"workspace_id": uuid.uuid4().hex, **settings})
        tmp = settings_path.with_suffix(".toml.tmp")
        tmp.write_text(render_settings_file(current), encoding="utf-8")
        tmp.replace(settings_path)
    for folder in FOLDERS:
        (root / folder).mkdir(exist_ok=True)
    policy = root / WORKSPACE_REGISTRY
    if not policy.exists():
        # The workspace's own copy of the registry: the DPO edits it, lint checks it.
        tmp = policy.with_suffix(".yaml.tmp")
        tmp.write_text(DEFAULT_REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
        tmp.replace(policy)
    workspace = Workspace(root=root, settings=current)
    workspace.keys.create_missing()
    return workspace


def open_workspace(root: Path, **overrides: Any) -> Workspace:
    """Open an existing workspace; a clear error if ``root`` is not one."""
    root = root.resolve()
    if not (root / SETTINGS_FILE).is_file():
        raise WorkspaceError(
            what=f"{root} is not a Steward workspace (no {SETTINGS_FILE})",
            fix="Run 'steward init DIR' first, or pass --workspace DIR pointing at one.",
        )
    settings = load_settings(root, **overrides)
    if not settings.workspace_id:
        raise WorkspaceError(
            what=f"{SETTINGS_FILE} has no workspace_id",
            fix="Restore steward.toml from backup; the id names this workspace's keys.",
        )
    for folder in FOLDERS:
        (root / folder).mkdir(exist_ok=True)
    return Workspace(root=root, settings=settings)
