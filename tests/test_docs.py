"""The README keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main

from steward.cli.main import app
from steward.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name}`" in README, f"setting {name} is not in the README"


def test_every_command_is_documented() -> None:
    group = typer.main.get_group(app)
    for name in group.commands:
        assert f"`steward {name}" in README, f"command {name} is not in the README"


def test_readme_first_commands() -> None:
    assert "./scripts/setup && uv run steward demo" in README
    assert "uv run pytest -n 2" in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "uv run pytest -n 2" in ci and "./scripts/setup" in ci
