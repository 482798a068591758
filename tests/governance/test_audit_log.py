"""Recording and verifying the hash chain; every kind of tampering is found at the right seq."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import pytest
from sqlalchemy import Engine, delete, event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.errors import PolicyViolation
from steward.governance.audit import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditHead,
    AuditLog,
    last_entries,
    verify,
)
from steward.governance.audit.chain import hash_of
from steward.governance.db import session_scope

PSEUDONYM = hashlib.sha256(b"fictional child 1").hexdigest()[:32]


def fill(engine: Engine, count: int = 6) -> AuditLog:
    log = AuditLog(engine)
    actions = list(AuditAction)
    for i in range(count):
        log.record(
            "analyst1",
            actions[i % len(actions)],
            "return",
            f"obj-{i + 1}",
            pseudonyms=[PSEUDONYM],
            details={"rows": i, "la_code": "E08000005", "received_on": "2025-01-31"},
        )
    return log


def report(engine: Engine):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return verify(session)


def test_entries_chain_from_genesis_and_verify(engine: Engine) -> None:
    fill(engine, 5)
    with session_scope(engine) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        result = verify(session)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.at >= before.at.replace(tzinfo=after.at.tzinfo)
    assert all(hash_of(e) == e.entry_hash for e in entries)
    assert entries[2].details == {"rows": 2, "la_code": "E08000005", "received_on": "2025-01-31"}
    assert entries[2].pseudonyms == [PSEUDONYM]
    assert result.ok and result.entries == 5 and result.head_seq == 5
    assert result.head_hash == entries[-1].entry_hash


def test_empty_log_verifies(engine: Engine) -> None:
    result = report(engine)
    assert result.ok and result.entries == 0 and result.head_hash == GENESIS_HASH


def test_record_in_joins_the_callers_transaction(engine: Engine) -> None:
    log = AuditLog(engine)
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        log.record("dpo1", AuditAction.DELETION, "request", "RR-1", session=session)
        raise RuntimeError("the deletion failed")
    with session_scope(engine) as session:
        log.record("dpo1", AuditAction.DELETION, "request", "RR-2", session=session)
    with session_scope(engine) as session:
        entries = last_entries(session, 10)
        assert [(e.seq, e.object_id) for e in entries] == [(1, "RR-2")]
        assert verify(session).ok


def test_one_transactions_entries_chain_and_the_next_reads_the_head_again(engine: Engine) -> None:
    log = AuditLog(engine)
    head_locks: list[str] = []

    def count_head_locks(conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        # SQLite takes the lock with a no-op update of the head, PostgreSQL with FOR UPDATE.
        if "audit_head" in statement and (
            "FOR UPDATE" in statement or "seq=audit_head.seq" in statement
        ):
            head_locks.append(statement)

    event.listen(engine, "before_cursor_execute", count_head_locks)
    with Session(bind=engine) as session:
        with session.begin():
            for i in range(3):
                log.record("loader", AuditAction.INGEST, "submission", f"t1-{i}", session=session)
        # Another writer appends between this session's transactions.
        log.record("dpo1", AuditAction.DELETION, "request", "RR-1")
        with session.begin():
            log.record("loader", AuditAction.INGEST, "submission", "t2", session=session)
    event.remove(engine, "before_cursor_execute", count_head_locks)
    assert len(head_locks) == 3  # once per transaction, not once per entry
    with session_scope(engine) as session:
        entries = last_entries(session, 10)
        assert [(e.seq, e.object_id) for e in entries] == [
            (1, "t1-0"), (2, "t1-1"), (3, "t1-2"), (4, "RR-1"), (5, "t2")
        ]  # fmt: skip
        assert verify(session).ok


def test_unknown_action_refused(engine: Engine) -> None:
    with pytest.raises(PolicyViolation, match="not a known audit action"):
        AuditLog(engine).record("a", "teleport", "x", "y")


def _tamper(engine: Engine, *statements) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def test_edited_entry_found(engine: Engine) -> None:
    fill(engine)
    _tamper(engine, update(AuditEntry).where(AuditEntry.seq == 3).values(actor="someone_else"))
    result = report(engine)
    assert not result.ok
    assert (result.problem.kind, result.problem.seq) == ("edited", 3)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("at", dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        ("actor", "x"),
        ("action", "login"),
        ("object_type", "x"),
        ("object_id", "x"),
        ("pseudonyms", []),
        ("details", {}),
        ("prev_hash", "cd" * 32),
        ("entry_hash", "ef" * 32),
    ],
)
def test_every_field_is_covered(engine: Engine, field: str, value: object) -> None:
    fill(engine)
    _tamper(engine, update(AuditEntry).where(AuditEntry.seq == 3).values({field: value}))
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("edited", 3), problem


def test_two_removed_and_renumbered_found(engine: Engine) -> None:
    fill(engine, 8)
    _tamper(
        engine,
        delete(AuditEntry).where(AuditEntry.seq.in_([3, 4])),
        update(AuditEntry).where(AuditEntry.seq > 4).values(seq=AuditEntry.seq + 100),
        update(AuditEntry).where(AuditEntry.seq > 100).values(seq=AuditEntry.seq - 102),
        update(AuditHead).values(seq=AuditHead.seq - 2),
    )
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("removed", 3)
    assert "2 entries" in problem.message and "seq 5" in problem.message


def test_edited_details_found(engine: Engine) -> None:
    fill(engine)
    _tamper(engine, update(AuditEntry).where(AuditEntry.seq == 4).values(details={"rows": 0}))
    assert (report(engine).problem.kind, report(engine).problem.seq) == ("edited", 4)


def test_edited_and_rehashed_entry_found(engine: Engine) -> None:
    fill(engine)
    with session_scope(engine) as session:
        entry = session.get(AuditEntry, 2)
        entry.object_id = "obj-forged"
        entry.entry_hash = hash_of(entry)
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("edited", 2)


def test_removed_entry_found(engine: Engine) -> None:
    fill(engine)
    _tamper(engine, delete(AuditEntry).where(AuditEntry.seq == 3))
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("removed", 3)


def test_removed_and_renumbered_found(engine: Engine) -> None:
    fill(engine)
    _tamper(
        engine,
        delete(AuditEntry).where(AuditEntry.seq == 3),
        update(AuditEntry).where(AuditEntry.seq > 3).values(seq=AuditEntry.seq + 100),
        update(AuditEntry).where(AuditEntry.seq > 100).values(seq=AuditEntry.seq - 101),
        update(AuditHead).values(seq=AuditHead.seq - 1),
    )
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("removed", 3)


def test_truncated_tail_found(engine: Engine) -> None:
    fill(engine)
    _tamper(engine, delete(AuditEntry).where(AuditEntry.seq >= 5))
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("removed", 5)


def test_reordered_entries_found(engine: Engine) -> None:
    fill(engine)
    _tamper(
        engine,
        update(AuditEntry).where(AuditEntry.seq == 2).values(seq=-1),
        update(AuditEntry).where(AuditEntry.seq == 4).values(seq=2),
        update(AuditEntry).where(AuditEntry.seq == -1).values(seq=4),
    )
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("reordered", 2)


def test_adjacent_swap_found(engine: Engine) -> None:
    fill(engine)
    _tamper(
        engine,
        update(AuditEntry).where(AuditEntry.seq == 5).values(seq=-1),
        update(AuditEntry).where(AuditEntry.seq == 6).values(seq=5),
        update(AuditEntry).where(AuditEntry.seq == -1).values(seq=6),
    )
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("reordered", 5)


def _forged(seq: int, prev_hash: str) -> AuditEntry:
    entry = AuditEntry(
        seq=seq,
        at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        actor="intruder",
        action="export",
        object_type="output",
        object_id="all",
        pseudonyms=[],
        details={},
        prev_hash=prev_hash,
        entry_hash="",
    )
    entry.entry_hash = hash_of(entry)
    return entry


def test_entry_appended_outside_the_service_found(engine: Engine) -> None:
    fill(engine)
    with session_scope(engine) as session:
        head = session.get(AuditHead, 1)
        session.add(_forged(7, head.entry_hash))
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("inserted", 7)


def test_forged_entry_in_the_middle_found(engine: Engine) -> None:
    fill(engine)
    _tamper(
        engine,
        update(AuditEntry).where(AuditEntry.seq >= 4).values(seq=AuditEntry.seq + 100),
        update(AuditEntry).where(AuditEntry.seq > 100).values(seq=AuditEntry.seq - 99),
    )
    with session_scope(engine) as session:
        # The true link (prev_hash of entry 3) is taken: the database refuses a fork outright.
        third = session.get(AuditEntry, 3)
        session.add(_forged(4, third.entry_hash))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
    with session_scope(engine) as session:
        session.add(_forged(4, "ab" * 32))
    problem = report(engine).problem
    assert problem is not None and (problem.kind, problem.seq) == ("inserted", 4)


def test_verify_never_repairs(engine: Engine) -> None:
    fill(engine)
    _tamper(engine, update(AuditEntry).where(AuditEntry.seq == 2).values(object_id="changed"))
    first = report(engine)
    second = report(engine)
    assert first.problem == second.problem and not second.ok
    with session_scope(engine) as session:
        assert session.get(AuditEntry, 2).object_id == "changed"
    assert "edited at seq 2" in str(first)
