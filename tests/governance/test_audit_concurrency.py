"""Writers appending at the same time never fork the chain."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, select

from steward.governance.audit import AuditAction, AuditEntry, AuditLog, verify
from steward.governance.db import session_scope

WRITERS = 4
EACH = 15


def test_concurrent_appends_form_one_chain(engine: Engine) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        log = AuditLog(engine)  # one service per thread, sharing the engine's pool
        try:
            start.wait()
            for i in range(EACH):
                log.record(f"writer{n}", AuditAction.STORE_QUERY, "query", f"q{n}-{i}")
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(engine) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        report = verify(session)
    assert report.ok, report
    assert [e.seq for e in entries] == list(range(1, WRITERS * EACH + 1))
    assert len({e.prev_hash for e in entries}) == len(entries)
    # Every writer's entries all made it, in each writer's own order.
    for n in range(WRITERS):
        mine = [e.object_id for e in entries if e.actor == f"writer{n}"]
        assert mine == [f"q{n}-{i}" for i in range(EACH)]


def test_concurrent_in_session_appends_form_one_chain(engine: Engine) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        log = AuditLog(engine)
        try:
            start.wait()
            for i in range(5):
                with session_scope(engine) as session:
                    log.record(f"w{n}", AuditAction.EXPORT, "output", f"o{n}-{i}", session=session)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(engine) as session:
        report = verify(session)
    assert report.ok and report.entries == WRITERS * 5
