"""The workspace's secret keys, held apart from the data.

Two keys, each 32 random bytes:
- the *pseudonym key* (HMAC-SHA256 key for every pseudonym), and
- the *master key* (wraps the per-file data keys of the encrypted landing area).

A key comes from an environment variable (``STEWARD_PSEUDONYM_KEY`` / ``STEWARD_MASTER_KEY``,
64 hex characters) or from a file in the key folder, which is outside the workspace (by default
the user's config folder). Keys are never printed, logged, or written into the workspace.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from steward.errors import KeyStoreError, Location

KEY_BYTES = 32
PSEUDONYM_KEY = "pseudonym"
MASTER_KEY = "master"
_ENV = {PSEUDONYM_KEY: "STEWARD_PSEUDONYM_KEY", MASTER_KEY: "STEWARD_MASTER_KEY"}


def default_key_root() -> Path:
    """Where key folders live unless a workspace says otherwise."""
    return Path(platformdirs.user_config_dir("steward")) / "keys"


@dataclass(frozen=True)
class KeyStore:
    """The key folder of one workspace."""

    folder: Path
    workspace: Path

    def __post_init__(self) -> None:
        folder, workspace = self.folder.resolve(), self.workspace.resolve()
        if folder == workspace or workspace in folder.parents:
            raise KeyStoreError(
                what="the key folder is inside the workspace",
                fix="Keys must be held apart from the data: set key_dir in steward.toml to a "
                "folder outside the workspace, or remove it to use the default.",
                where=Location(file=str(folder)),
            )

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.key"

    def load(self, name: str) -> bytes:
        """The key ``name``; the environment variable wins over the file."""
        env = os.environ.get(_ENV[name])
        if env:
            try:
                key = bytes.fromhex(env.strip())
            except ValueError:
                key = b""
            if len(key) != KEY_BYTES:
                raise KeyStoreError(
                    what=f"{_ENV[name]} is not {KEY_BYTES * 2} hexadecimal characters",
                    fix=f"Set it to a {KEY_BYTES}-byte key written as hex, or unset it to use "
                    "the key file.",
                )
            return key
        path = self.path(name)
        try:
            key = path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(
                what=f"the {name} key of this workspace is missing",
                fix="Restore the key file from your key backup, or set "
                f"{_ENV[name]}. Without it existing pseudonyms cannot be reproduced.",
                where=Location(file=str(path)),
            ) from None
        if len(key) != KEY_BYTES:
            raise KeyStoreError(
                what=f"the {name} key file is damaged (wrong length)",
                fix="Restore it from your key backup.",
                where=Location(file=str(path)),
            )
        return key

    def create_missing(self) -> list[str]:
        """Create any key that is neither in the environment nor on disk; returns their names."""
        created = []
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in (PSEUDONYM_KEY, MASTER_KEY):
            if os.environ.get(_ENV[name]) or self.path(name).exists():
                continue
            path = self.path(name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES))
            created.append(name)
        return created
