"""The audit log service: append hash-chained entries, serialised so the chain never forks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from steward.errors import PolicyViolation
from steward.governance.audit.actions import AuditAction
from steward.governance.audit.chain import entry_hash
from steward.governance.audit.guard import check_entry
from steward.governance.audit.models import AuditEntry, AuditHead

HEAD_ID = 1
_HELD_HEAD = "steward.audit.held_head"  # session.info: (transaction, head row it has locked)
_FIELD_LIMITS = {"actor": 120, "object_type": 60, "object_id": 200}


@dataclass(frozen=True)
class RecordedEntry:
    """What was appended: its place in the chain and its hash."""

    seq: int
    entry_hash: str
    prev_hash: str
    at: dt.datetime


class AuditLog:
    """Append-only, hash-chained audit log in the governance database.

    Usage, from any part of Steward::

        audit = AuditLog(engine)
        audit.record("alice", AuditAction.EXPORT, "output", "tbl-07", details={"rows": 12})

    Each call commits its own transaction, so an entry is kept even when the action it
    describes later fails (the attempt is what is audited).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # On SQLite this takes the write lock at BEGIN, before the head is read.
        self._writer = engine.execution_options(sqlite_begin="IMMEDIATE")

    def record(
        self,
        actor: str,
        action: AuditAction | str,
        object_type: str,
        object_id: str,
        pseudonyms: Sequence[str] = (),
        details: Mapping[str, Any] | None = None,
        *,
        session: Session | None = None,
    ) -> RecordedEntry:
        """Append one entry; ``PolicyViolation`` if it would hold personal data.

        Without ``session`` the entry is committed at once in its own transaction. With one, it
        joins that session's transaction, so it commits (or rolls back) with the change it
        describes; the head row stays locked until then.
        """
        prepared = _prepare(actor, action, object_type, object_id, pseudonyms, details)
        if session is not None:
            return append(session, **prepared)
        with self.transaction() as own:
            return append(own, **prepared)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction for several entries (pass it as ``session``): they are kept together,
        and a batch of files pays for one commit each, not one per entry."""
        with Session(bind=self._writer) as own, own.begin():
            yield own


def record_in(
    session: Session,
    actor: str,
    action: AuditAction | str,
    object_type: str,
    object_id: str,
    pseudonyms: Sequence[str] = (),
    details: Mapping[str, Any] | None = None,
) -> RecordedEntry:
    """Append one entry inside ``session``'s transaction (commits or rolls back with it)."""
    return append(session, **_prepare(actor, action, object_type, object_id, pseudonyms, details))


def lock_head(session: Session) -> AuditHead:
    """Lock the log's head row in ``session``'s transaction and return it.

    Done first in a transaction, this makes the transaction the log's only writer until it ends:
    on SQLite the no-op update takes the database write lock (waiting for it, not failing), on
    PostgreSQL ``FOR UPDATE`` makes other writers wait for this one's commit.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=AuditHead.seq))
    return session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    pseudonyms: list[str],
    details: dict[str, Any],
) -> RecordedEntry:
    """Add a checked entry after the current head, in ``session``'s transaction.

    The head is locked and read once per transaction: later entries of the same transaction
    follow the head this one's entries have moved, which no other writer can touch meanwhile.
    """
    transaction = session.get_transaction()
    held = session.info.get(_HELD_HEAD)
    if held is not None and held[0] is transaction:
        head = held[1]
    else:
        head = lock_head(session)
        session.info[_HELD_HEAD] = (transaction, head)
    # Read after the lock, so the time order matches the chain order.
    at = dt.datetime.now(dt.UTC)
    seq = head.seq + 1
    digest = entry_hash(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        pseudonyms=pseudonyms,
        details=details,
        prev_hash=head.entry_hash,
    )
    session.add(
        AuditEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            pseudonyms=pseudonyms,
            details=details,
            prev_hash=head.entry_hash,
            entry_hash=digest,
        )
    )
    recorded = RecordedEntry(seq=seq, entry_hash=digest, prev_hash=head.entry_hash, at=at)
    head.seq, head.entry_hash = seq, digest
    return recorded


def _prepare(
    actor: str,
    action: AuditAction | str,
    object_type: str,
    object_id: str,
    pseudonyms: Sequence[str],
    details: Mapping[str, Any] | None,
) -> dict[str, Any]:
    known = _known_action(action)
    for field, value in (("actor", actor), ("object_type", object_type), ("object_id", object_id)):
        if not isinstance(value, str) or not value or len(value) > _FIELD_LIMITS[field]:
            raise PolicyViolation(
                what=f"audit {field} must be non-empty text of at most "
                f"{_FIELD_LIMITS[field]} characters",
                fix=f"Pass a short id as {field}.",
            )
    if isinstance(pseudonyms, str):
        pseudonyms = (pseudonyms,)
    plain_details = check_entry(
        object_id=object_id, pseudonyms=pseudonyms, details=dict(details or {})
    )
    return {
        "actor": actor,
        "action": known.value,
        "object_type": object_type,
        "object_id": object_id,
        "pseudonyms": list(pseudonyms),
        "details": plain_details,
    }


def _known_action(action: AuditAction | str) -> AuditAction:
    try:
        return AuditAction(action)
    except ValueError:
        raise PolicyViolation(
            what=f"{action!r} is not a known audit action",
            fix="Use a member of steward.governance.audit.AuditAction (add one there if needed).",
        ) from None


def last_entries(session: Session, count: int) -> list[AuditEntry]:
    """The newest ``count`` entries, oldest first."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(count)).all()
    return list(reversed(rows))
