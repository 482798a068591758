"""Signed checkpoints of the audit log, for keeping somewhere the database's owner cannot edit.

A checkpoint is a small JSON file: the head seq and hash at a moment, signed with the workspace's
Ed25519 audit key. Later, :func:`verify_checkpoint` checks the signature and that the log still
holds exactly that prefix — so even someone able to rewrite the whole database (and re-hash the
chain) cannot truncate or alter what a checkpoint already covers without being caught.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import InputFileError, Location, PolicyViolation
from steward.governance.audit.chain import canonical_json, utc_iso
from steward.governance.audit.models import AuditEntry
from steward.governance.audit.signing import public_key_hex
from steward.governance.audit.verify import ChainProblem, verify

FORMAT = "steward-audit-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    """The signed statement: the log had ``head_seq`` entries ending in ``head_hash``."""

    head_seq: int
    head_hash: str
    exported_at: str
    public_key: str
    signature: str

    def signed_text(self) -> bytes:
        return _signed_body(self.head_seq, self.head_hash, self.exported_at).encode("utf-8")


@dataclass(frozen=True)
class CheckpointReport:
    """Whether a checkpoint's signature holds and the log still contains its prefix."""

    checkpoint: Checkpoint
    signature_valid: bool
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.signature_valid and self.problem is None

    def __str__(self) -> str:
        if not self.signature_valid:
            return "checkpoint signature is not valid for this public key"
        if self.problem is not None:
            return f"log no longer matches checkpoint at seq {self.checkpoint.head_seq}: {self.problem}"
        return f"log still holds the checkpointed prefix up to seq {self.checkpoint.head_seq}"


def _signed_body(head_seq: int, head_hash: str, exported_at: str) -> str:
    return canonical_json(
        {"format": FORMAT, "head_seq": head_seq, "head_hash": head_hash, "exported_at": exported_at}
    )


def export_checkpoint(session: Session, path: Path, signing_key: Ed25519PrivateKey) -> Checkpoint:
    """Verify the log, then write a signed checkpoint of its head to ``path`` (atomically).

    A broken chain is never signed: that would vouch for a tampered log.
    """
    report = verify(session)
    if report.problem is not None:
        raise PolicyViolation(
            what=f"the audit log is tampered ({report.problem}); no checkpoint was written",
            fix="Investigate with 'steward audit verify' and your earlier checkpoints.",
        )
    exported_at = utc_iso(dt.datetime.now(dt.UTC))
    body = _signed_body(report.head_seq, report.head_hash, exported_at).encode("utf-8")
    checkpoint = Checkpoint(
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        exported_at=exported_at,
        public_key=public_key_hex(signing_key),
        signature=base64.b64encode(signing_key.sign(body)).decode("ascii"),
    )
    document: dict[str, Any] = {"format": FORMAT, **checkpoint.__dict__}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return checkpoint


def read_checkpoint(path: Path) -> Checkpoint:
    """Parse a checkpoint file; a located ``InputFileError`` if it is not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError(f"format is {document.get('format')!r}, expected {FORMAT!r}")
        return Checkpoint(
            head_seq=int(document["head_seq"]),
            head_hash=str(document["head_hash"]),
            exported_at=str(document["exported_at"]),
            public_key=str(document["public_key"]),
            signature=str(document["signature"]),
        )
    except FileNotFoundError:
        raise InputFileError(
            what="the checkpoint file does not exist",
            fix="Pass the path of a file written by 'steward audit checkpoint'.",
            where=Location(file=str(path)),
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFileError(
            what=f"this is not a Steward audit checkpoint ({exc})",
            fix="Pass a file written by 'steward audit checkpoint', unedited.",
            where=Location(file=str(path)),
        ) from None


def verify_checkpoint(
    session: Session, path: Path, public_key: Ed25519PublicKey
) -> CheckpointReport:
    """Check the checkpoint at ``path`` against ``public_key`` and the log's current content."""
    checkpoint = read_checkpoint(path)
    try:
        public_key.verify(base64.b64decode(checkpoint.signature), checkpoint.signed_text())
    except (InvalidSignature, ValueError):
        return CheckpointReport(checkpoint, signature_valid=False, problem=None)
    report = verify(session, until=checkpoint.head_seq)
    problem = report.problem
    if problem is None and checkpoint.head_seq > 0:
        stored = session.scalar(
            select(AuditEntry.entry_hash).where(AuditEntry.seq == checkpoint.head_seq)
        )
        if stored != checkpoint.head_hash:
            problem = ChainProblem(
                "edited",
                checkpoint.head_seq,
                "the entry differs from the one the checkpoint signed (the chain was re-hashed)",
            )
    return CheckpointReport(checkpoint, signature_valid=True, problem=problem)
