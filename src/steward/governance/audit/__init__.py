"""The hash-chained audit log.

Every ingest, pseudonymisation, store query, export, rights action, deletion and login is
recorded with :meth:`AuditLog.record`; :func:`verify` walks the chain; signed checkpoints are
exported with :func:`export_checkpoint` and checked with :func:`verify_checkpoint`.
"""

from steward.governance.audit.actions import AuditAction
from steward.governance.audit.checkpoint import (
    Checkpoint,
    CheckpointReport,
    export_checkpoint,
    read_checkpoint,
    verify_checkpoint,
)
from steward.governance.audit.log import AuditLog, RecordedEntry, last_entries
from steward.governance.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from steward.governance.audit.signing import (
    AUDIT_SIGNING_KEY,
    load_signing_key,
    public_key_from_hex,
    public_key_hex,
)
from steward.governance.audit.verify import ChainProblem, VerifyReport, verify

__all__ = [
    "AUDIT_SIGNING_KEY",
    "GENESIS_HASH",
    "AuditAction",
    "AuditEntry",
    "AuditHead",
    "AuditLog",
    "ChainProblem",
    "Checkpoint",
    "CheckpointReport",
    "RecordedEntry",
    "VerifyReport",
    "export_checkpoint",
    "last_entries",
    "load_signing_key",
    "public_key_from_hex",
    "public_key_hex",
    "read_checkpoint",
    "verify",
    "verify_checkpoint",
]
