"""Registry variants made by editing the shipped YAML text, so each test changes one thing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from steward.policy.loader import DEFAULT_REGISTRY

DEFAULT_TEXT = DEFAULT_REGISTRY.read_text(encoding="utf-8")

Variant = Callable[..., Path]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle``."""
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def variant(tmp_path: Path) -> Variant:
    """Write the default registry with ``(old, new)`` replacements to tmp/policy.yaml."""

    def make(*edits: tuple[str, str], folder: Path | None = None) -> Path:
        text = DEFAULT_TEXT
        for old, new in edits:
            assert old in text, f"test edit does not apply: {old!r}"
            text = text.replace(old, new, 1)
        target = (folder or tmp_path) / "policy.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    return make
