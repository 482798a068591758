"""Tables of the audit log: the entries and the head row that serialises appends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from steward.governance.db import Base

HASH_CHARS = 64
GENESIS_HASH = "0" * HASH_CHARS


class AuditEntry(Base):
    """One audit event. ``entry_hash`` commits to the content and to ``prev_hash``."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(200))
    pseudonyms: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Unique: two entries naming the same predecessor would be a fork of the chain.
    prev_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(HASH_CHARS), unique=True)


class AuditHead(Base):
    """The single row (id 1) naming the newest entry.

    Appends lock it (``SELECT … FOR UPDATE`` on PostgreSQL; the whole database is locked by
    ``BEGIN IMMEDIATE`` on SQLite), so two writers cannot both extend the same entry. It also
    lets ``verify`` notice entries removed from the end of the log.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(HASH_CHARS))
