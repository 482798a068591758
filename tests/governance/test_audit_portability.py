"""A log copied from SQLite to PostgreSQL still verifies: the hash does not depend on the backend."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.engine import URL

from steward.governance.audit import AuditAction, AuditEntry, AuditHead, AuditLog, verify
from steward.governance.db import make_engine, session_scope, upgrade


def test_sqlite_log_moved_to_postgresql_verifies(pg_database: URL, tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'governance.db'}"
    upgrade(sqlite_url)
    source = make_engine(sqlite_url)
    log = AuditLog(source)
    log.record("analyst1", AuditAction.INGEST, "return", "r1", details={"rows": 10, "share": 0.125})
    log.record(
        "dpo1", AuditAction.RIGHTS_ACTION, "request", "RR-7", details={"nested": {"a": [1, "b"]}}
    )
    log.record("analyst1", AuditAction.EXPORT, "output", "t1", details={"note": "café ✓"})
    with source.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(AuditEntry.__table__))]
        head = dict(conn.execute(select(AuditHead.__table__)).one()._mapping)
    source.dispose()

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    target_url = pg_database.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        upgrade(target_url)
        target = make_engine(target_url)
        with target.begin() as conn:
            conn.execute(insert(AuditEntry.__table__), rows)
            conn.execute(
                update(AuditHead.__table__).values(seq=head["seq"], entry_hash=head["entry_hash"])
            )
        with session_scope(target) as session:
            result = verify(session)
        assert result.ok and result.entries == 3, result
        # and the chain goes on from there
        AuditLog(target).record("analyst1", AuditAction.STORE_QUERY, "query", "q1")
        with session_scope(target) as session:
            assert verify(session).head_seq == 4
        target.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
