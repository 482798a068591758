"""What the retention tests compare: the bytes of encrypted objects, store rows per LA, and the
deletion certificates in the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, select

from steward.governance.audit import AuditEntry, verify
from steward.governance.db import session_scope
from steward.governance.retention import LedgerRow
from steward.store import ResearchStore
from steward.store.schema import EVENT_TABLES
from steward.workspace import Workspace

D = dt.date
DUE_DAY = D(2031, 7, 1)  # the day after "five years after final reporting" (30 June 2031)
HELD_LA = "856"


def object_files(folder: Path) -> dict[str, str]:
    """SHA-256 of every ciphertext and wrapped-key file under an encrypted object store."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".shredded")
    }


def store_rows(workspace: Workspace) -> Counter[tuple[str, str]]:
    """Rows per (table, LA) in the research store, the submissions ledger included."""
    counts: Counter[tuple[str, str]] = Counter()
    with ResearchStore.open(workspace) as store:
        for table in (*EVENT_TABLES, "submissions"):
            result = store.query(f'SELECT la_code, count(*) FROM "{table}" GROUP BY 1')
            for la, n in zip(*(c.to_pylist() for c in result.columns), strict=True):
                counts[(table, la)] = n
    return counts


def ledger(engine: Engine) -> dict[str, LedgerRow]:
    with session_scope(engine) as session:
        return {r.key: r for r in session.scalars(select(LedgerRow))}


def certificates(engine: Engine) -> Counter[str]:
    """How many deletion certificates the audit log holds per object; checks the chain too."""
    with session_scope(engine) as session:
        assert verify(session).ok
        return Counter(
            session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "deletion"))
        )
