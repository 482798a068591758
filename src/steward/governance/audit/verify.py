"""Walk the audit chain and report the first entry that was edited, removed, reordered or
inserted. Verification only reads: a tampered log is reported, never repaired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.governance.audit.chain import hash_of
from steward.governance.audit.models import GENESIS_HASH, AuditEntry, AuditHead

ProblemKind = Literal["edited", "removed", "reordered", "inserted"]


@dataclass(frozen=True)
class ChainProblem:
    """The first place the chain breaks: what kind of tampering and at which seq."""

    kind: ProblemKind
    seq: int
    message: str

    def __str__(self) -> str:
        return f"{self.kind} at seq {self.seq}: {self.message}"


@dataclass(frozen=True)
class VerifyReport:
    """Result of walking the chain. ``problem`` is None when every link holds."""

    entries: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.problem is None:
            return f"audit log intact: {self.entries} entries, head seq {self.head_seq}"
        return f"audit log tampered: {self.problem}"


RENUMBER_SEARCH = 10_000


def _renumbered_by(entry: AuditEntry) -> int:
    """How far ``entry`` was moved down by renumbering (0 if its hash fits no higher seq)."""
    for shift in range(1, RENUMBER_SEARCH + 1):
        if hash_of(entry, seq=entry.seq + shift) == entry.entry_hash:
            return shift
    return 0


def _broken_link(session: Session, entry: AuditEntry, expected_prev: str) -> ChainProblem:
    """Classify an entry whose prev_hash is not the hash of the entry before it."""
    if entry.prev_hash == GENESIS_HASH:
        return ChainProblem(
            "reordered", entry.seq, "the first entry of the log has been moved to this place"
        )
    followed = session.scalar(
        select(AuditEntry.seq).where(AuditEntry.entry_hash == entry.prev_hash)
    )
    if followed is None:
        if hash_of(entry) == entry.entry_hash:
            rejoin = session.scalar(
                select(AuditEntry.seq).where(
                    AuditEntry.prev_hash == expected_prev, AuditEntry.seq > entry.seq
                )
            )
            if rejoin is not None:
                return ChainProblem(
                    "inserted",
                    entry.seq,
                    f"entries {entry.seq}..{rejoin - 1} were inserted: entry {rejoin} follows "
                    f"entry {entry.seq - 1} in the chain",
                )
            # This entry still hashes under its own seq, so it was not renumbered: the one
            # before it was changed and given a fresh hash.
            return ChainProblem(
                "edited",
                entry.seq - 1,
                f"the entry was altered and re-hashed; entry {entry.seq} recorded a different hash",
            )
        removed = _renumbered_by(entry)
        if removed:
            return ChainProblem(
                "removed",
                entry.seq,
                f"{removed} entr{'y' if removed == 1 else 'ies'} before this one "
                f"{'was' if removed == 1 else 'were'} removed and the rest renumbered (this "
                f"entry was written as seq {entry.seq + removed})",
            )
        return ChainProblem(
            "edited",
            entry.seq,
            "its link to the previous entry and its content no longer match its hash",
        )
    if followed > entry.seq:
        return ChainProblem(
            "reordered",
            entry.seq,
            f"this entry originally followed the entry now at seq {followed}",
        )
    return ChainProblem(
        "inserted",
        followed + 1,
        f"entries {followed + 1}..{entry.seq - 1} were inserted: entry {entry.seq} follows "
        f"entry {followed} in the chain",
    )


def verify(session: Session, *, until: int | None = None) -> VerifyReport:
    """Check every entry (or those up to seq ``until``) against its hash and its predecessor.

    Without ``until`` the head row is checked too, which catches entries cut off the end.
    """
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.entry_hash) if head else (0, GENESIS_HASH)
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if until is not None:
        query = query.where(AuditEntry.seq <= until)
    expected, prev_hash, count = 1, GENESIS_HASH, 0

    def report(problem: ChainProblem | None) -> VerifyReport:
        return VerifyReport(count, head_seq, head_hash, problem)

    for entry in session.scalars(query.execution_options(yield_per=1000)):
        if entry.seq > expected:
            missing = f"{expected}" if entry.seq == expected + 1 else f"{expected}..{entry.seq - 1}"
            return report(ChainProblem("removed", expected, f"entries {missing} are missing"))
        if entry.seq < expected:
            return report(
                ChainProblem("inserted", entry.seq, "an entry was added before the first entry")
            )
        if entry.prev_hash != prev_hash:
            return report(_broken_link(session, entry, prev_hash))
        if hash_of(entry) != entry.entry_hash:
            return report(
                ChainProblem(
                    "edited",
                    entry.seq,
                    "its content no longer matches the hash it was written with",
                )
            )
        prev_hash, expected, count = entry.entry_hash, expected + 1, count + 1

    last = expected - 1
    if until is not None:
        if last < until:
            return report(
                ChainProblem(
                    "removed", last + 1, f"the log ends at seq {last} but must reach seq {until}"
                )
            )
        return report(None)
    if head_seq > last:
        return report(
            ChainProblem(
                "removed", last + 1, f"the log ends at seq {last} but its head says {head_seq}"
            )
        )
    if head_seq < last:
        return report(
            ChainProblem(
                "inserted",
                head_seq + 1,
                f"entries after seq {head_seq} were written outside the audit service",
            )
        )
    if head_hash != prev_hash:
        return report(
            ChainProblem("edited", last, "the newest entry does not match the log's head record")
        )
    return report(None)
