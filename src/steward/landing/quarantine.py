"""The quarantine: records that broke a blocking rule, kept encrypted with their reasons.

Quarantined records may hold raw identifiers (they never reached the pseudonymiser), so they
are stored like landed files: one encrypted Parquet object per batch, content-addressed, each
under its own data key, crypto-shreddable.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from steward.errors import ValidationError
from steward.landing.objects import EncryptedObjectStore, LandedObject
from steward.pseudonymise.keys import MASTER_KEY

if TYPE_CHECKING:
    from steward.workspace import Workspace

REASON_COLUMN = "reason"


class Quarantine:
    """The workspace's ``quarantine/`` folder."""

    def __init__(self, folder: Path, master_key: bytes) -> None:
        self._store = EncryptedObjectStore(folder, master_key)

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> Quarantine:
        """The quarantine of ``workspace``, under its master key."""
        return cls(workspace.quarantine, workspace.keys.load(MASTER_KEY))

    def put(self, records: pa.Table) -> LandedObject:
        """Quarantine a batch of records; each must carry a non-empty ``reason``."""
        if REASON_COLUMN not in records.column_names:
            raise ValidationError(
                what="quarantined records have no 'reason' column",
                fix="Add the rule code and message that each record broke as 'reason'.",
            )
        reasons = records.column(REASON_COLUMN)
        if reasons.null_count or any(not r for r in reasons.to_pylist()):
            raise ValidationError(
                what="some quarantined records have an empty reason",
                fix="Every quarantined record needs the reason it was held back.",
            )
        sink = io.BytesIO()
        # Fixed writer settings keep the bytes (and so the object's name) stable across runs.
        pq.write_table(records, sink, compression="zstd", write_statistics=False)
        return self._store.put_bytes(sink.getvalue())

    def put_file(self, path: Path, reason: str) -> LandedObject:
        """Quarantine a whole file that could not be read (corrupt, truncated, unrecognised):
        one record holding its name, SHA-256, bytes and the reason, encrypted like the rest."""
        content = path.read_bytes()
        record = pa.table(
            {
                "file_name": [path.name],
                "file_sha256": [hashlib.sha256(content).hexdigest()],
                "content": pa.array([content], pa.large_binary()),
                REASON_COLUMN: [reason],
            }
        )
        return self.put(record)

    def read(self, sha: str) -> pa.Table:
        """The quarantined records of batch ``sha``."""
        return pq.read_table(io.BytesIO(self._store.read(sha)))

    def shred(self, sha: str) -> bool:
        return self._store.shred(sha)

    def exists(self, sha: str) -> bool:
        return self._store.exists(sha)

    def list(self) -> list[str]:
        return self._store.list()
