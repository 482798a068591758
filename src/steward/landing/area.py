"""The landing area: every submitted return file, kept content-addressed and encrypted.

A file is stored once under the SHA-256 of its bytes (so re-submitting it is a no-op and a
re-run is idempotent) with its own data key; ``shred`` crypto-shreds it. See
:mod:`steward.landing.objects` for the format and guarantees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from steward.errors import InputFileError, Location
from steward.landing.objects import EncryptedObjectStore, LandedObject, StagedObject
from steward.pseudonymise.keys import MASTER_KEY

if TYPE_CHECKING:
    from steward.workspace import Workspace


class Landing:
    """The workspace's ``landing/`` folder."""

    def __init__(self, folder: Path, master_key: bytes) -> None:
        self._store = EncryptedObjectStore(folder, master_key)
        self.folder = Path(folder)

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> Landing:
        """The landing area of ``workspace``, under its master key."""
        return cls(workspace.landing, workspace.keys.load(MASTER_KEY))

    def put(self, path: Path, *, reland_shredded: bool = False) -> LandedObject:
        """Land the file at ``path``; ``already_present`` tells whether it was there already."""
        path = Path(path)
        if not path.is_file():
            raise InputFileError(
                what="the file to land does not exist or is not a file",
                fix="Check the path; pass the return file itself, not its folder.",
                where=Location(file=str(path)),
            )
        return self._store.put_file(path, reland_shredded=reland_shredded)

    def stage(self, path: Path, sha: str, tag: str) -> StagedObject:
        """Encrypt the file (SHA-256 ``sha``) beside the landing area, for :meth:`place` later;
        ``tag`` marks the ingest run, whose leftovers :meth:`sweep` removes."""
        return self._store.stage_file(Path(path), sha, tag)

    def place(self, staged: StagedObject) -> LandedObject:
        """Land a staged file (a no-op if already landed); durable once :meth:`sync` returns."""
        return self._store.place(staged)

    def sync(self) -> None:
        self._store.sync()

    def sweep(self, tag: str = "") -> int:
        """Remove staged files never placed: of run ``tag``, or all (no run may be staging)."""
        return self._store.sweep(tag)

    def read(self, sha: str) -> bytes:
        """The verified bytes of landed file ``sha``."""
        return self._store.read(sha)

    @contextmanager
    def open_plaintext(self, sha: str, suffix: str = "") -> Iterator[Path]:
        """A temporary plaintext copy for readers that need a path; removed afterwards.

        Pass the original ``suffix`` (e.g. ``.xlsx``) when the reader goes by file extension.
        """
        with self._store.open_plaintext(sha, suffix) as path:
            yield path

    def shred(self, sha: str) -> bool:
        """Crypto-shred landed file ``sha`` (every copy, backups included, becomes unreadable)."""
        return self._store.shred(sha)

    def exists(self, sha: str) -> bool:
        return self._store.exists(sha)

    def shredded_at(self, sha: str) -> str | None:
        return self._store.shredded_at(sha)

    def list(self) -> list[str]:
        """The SHA-256 of every readable landed file."""
        return self._store.list()
