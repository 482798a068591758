from __future__ import annotations

from pathlib import Path

import pytest

from steward.config import load_settings
from steward.errors import ConfigError, KeyStoreError, WorkspaceError
from steward.workspace import FOLDERS, init_workspace, open_workspace


def test_init_creates_layout_and_keys_outside(tmp_path: Path, isolated_keys: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    for folder in FOLDERS:
        assert (ws.root / folder).is_dir()
    assert (ws.root / "steward.toml").is_file()
    assert ws.keys.folder.parent == isolated_keys
    key = ws.keys.load("pseudonym")
    assert len(key) == 32
    # The key is nowhere in the workspace.
    for path in ws.root.rglob("*"):
        if path.is_file():
            assert key not in path.read_bytes()
            assert key.hex().encode() not in path.read_bytes()


def test_init_is_idempotent_and_keeps_keys(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path)
    key = ws.keys.load("pseudonym")
    again = init_workspace(tmp_path)
    assert again.settings.workspace_id == ws.settings.workspace_id
    assert again.keys.load("pseudonym") == key


def test_settings_file_documents_every_field(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path)
    text = (ws.root / "steward.toml").read_text()
    for name, info in type(ws.settings).model_fields.items():
        assert name in text
        assert info.description and info.description in text


def test_env_key_wins_and_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = init_workspace(tmp_path)
    monkeypatch.setenv("STEWARD_PSEUDONYM_KEY", "ab" * 32)
    assert ws.keys.load("pseudonym") == bytes.fromhex("ab" * 32)
    monkeypatch.setenv("STEWARD_PSEUDONYM_KEY", "not-hex")
    with pytest.raises(KeyStoreError, match="hexadecimal"):
        ws.keys.load("pseudonym")


def test_key_folder_inside_workspace_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="inside the workspace"):
        init_workspace(tmp_path, key_dir=tmp_path / "keys")


def test_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path)
    ws.keys.path("pseudonym").unlink()
    with pytest.raises(KeyStoreError, match="missing") as info:
        ws.keys.load("pseudonym")
    assert "backup" in info.value.fix


def test_open_non_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not a Steward workspace"):
        open_workspace(tmp_path)


def test_bad_setting_is_located(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    path = tmp_path / "steward.toml"
    path.write_text(path.read_text().replace('engine = "duckdb"', 'engine = "dukdb"'))
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert info.value.where.column == "engine"
    path.write_text("engine = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(tmp_path)


def test_init_copies_the_policy_registry(tmp_path: Path) -> None:
    from steward.policy import load_registry

    ws = init_workspace(tmp_path)
    policy = ws.root / "policy.yaml"
    assert load_registry(policy).category_ids
    policy.write_text(policy.read_text() + "\n# edited by the DPO\n")
    init_workspace(tmp_path)  # never overwrites the workspace's own copy
    assert policy.read_text().endswith("# edited by the DPO\n")
