"""The retention ledger: one row per stored object, with its retention rule and due date.

An object is named by ``kind`` and ``object_id`` (a landing file by its SHA-256, a store
partition by ``table:la_code``, ...). ``status`` is where it is in its life:

- ``kept``: not yet due (or kept indefinitely, ``due_on`` empty);
- ``due``: its due date has passed and no legal hold stops its deletion;
- ``held``: under a legal hold, never deleted while the hold lasts;
- ``deleting``: a retention run has begun deleting it (a rerun finishes the job);
- ``deleted``: gone, with a deletion certificate in the audit log (``certificate_seq``);
- ``gone``: removed outside a retention run (an erasure, a withdrawn consent), which keeps its
  own record; should the object be stored again, it starts a new life.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from steward.governance.db import Base

KEPT = "kept"
DUE = "due"
HELD = "held"
DELETING = "deleting"
DELETED = "deleted"
GONE = "gone"
STATUSES = (KEPT, DUE, HELD, DELETING, DELETED, GONE)
# Statuses a sync no longer re-dates.
FINISHED = (DELETING, DELETED, GONE)


class LedgerRow(Base):
    """One stored object under a retention rule."""

    __tablename__ = "retention_ledger"
    __table_args__ = (UniqueConstraint("kind", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str] = mapped_column(String(160))
    la_code: Mapped[str | None] = mapped_column(String(9), index=True)
    category: Mapped[str] = mapped_column(String(60))
    rule_id: Mapped[str | None] = mapped_column(String(60))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    # A date the registering slice fixed itself; otherwise due_on follows the registry/settings.
    due_fixed: Mapped[bool] = mapped_column(Boolean, default=False)
    licence_end: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    recipient: Mapped[str | None] = mapped_column(String(40))
    # Rows of a store partition, bytes of a file: what the certificate says was deleted.
    extent: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    held_by: Mapped[str | None] = mapped_column(String(120))
    held_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    deletion_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(120))
    certificate_seq: Mapped[int | None] = mapped_column(Integer)

    @property
    def key(self) -> str:
        """How a user names the object (``kind:object_id``), e.g. in ``steward retention hold``."""
        return f"{self.kind}:{self.object_id}"


def status_on(row: LedgerRow, today: dt.date) -> str:
    """The status of ``row`` as of ``today``: a finished row keeps its own, a hold wins."""
    if row.status in FINISHED:
        return row.status
    if row.legal_hold:
        return HELD
    if row.due_on is not None and row.due_on <= today:
        return DUE
    return KEPT
