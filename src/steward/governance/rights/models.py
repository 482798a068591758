"""Tables of the rights slice: requests, their pauses, the actions taken and erasure tombstones.

No requester's personal data is held in clear: names, addresses and contact details are sealed
(see :mod:`.sealed`); the person the request is about is held only as a keyed pseudonym, and only
once matched through the LA's own child id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.governance.db import Base


class RightsRequest(Base):
    """One request from a data subject (or someone acting for them)."""

    __tablename__ = "rights_requests"
    # The DPO's queue pages through open requests by receipt date (migration 0004).
    __table_args__ = (Index("ix_rights_requests_queue", "status", "received_on", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    rights: Mapped[list[str]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[dt.date] = mapped_column(Date)
    # Who asked, relative to the person the request is about: self, parent, carer, representative.
    requester_relationship: Mapped[str] = mapped_column(String(20))
    authority_status: Mapped[str] = mapped_column(String(20))  # not_needed/pending/verified/refused
    identity_status: Mapped[str] = mapped_column(String(20))  # pending/verified/failed
    identity_evidence_ref: Mapped[str | None] = mapped_column(String(120))
    # A keyed digest of the requester's normalised name and contact: finds duplicates, reveals none.
    requester_digest: Mapped[str] = mapped_column(String(64), index=True)
    requester_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    requester_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    la_code: Mapped[str | None] = mapped_column(String(9))
    child_pid: Mapped[str | None] = mapped_column(String(64), index=True)
    locate_status: Mapped[str] = mapped_column(String(20))  # pending/matched/not_found/forwarded
    la_answer: Mapped[str | None] = mapped_column(Text)
    la_answered_on: Mapped[dt.date | None] = mapped_column(Date)
    # A parent asking for a child of 16 or over: the right belongs to the child.
    child_holds_right: Mapped[bool] = mapped_column(Boolean, default=False)
    child_consent_status: Mapped[str | None] = mapped_column(String(30))
    extension_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_told_on: Mapped[dt.date | None] = mapped_column(Date)
    fee_pence: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # open/closed/refused
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    duplicate_of: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    pauses: Mapped[list[RequestPause]] = relationship(
        back_populates="request", order_by="RequestPause.id", cascade="all, delete-orphan"
    )
    actions: Mapped[list[RightsActionRecord]] = relationship(
        back_populates="request", order_by="RightsActionRecord.id", cascade="all, delete-orphan"
    )


class RequestPause(Base):
    """A stop of the clock (identity, clarification or fee)."""

    __tablename__ = "rights_request_pauses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("rights_requests.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)

    request: Mapped[RightsRequest] = relationship(back_populates="pauses")


class RightsActionRecord(Base):
    """Something done for a request (pack sent, restriction set, erasure, rectification, …).

    ``summary`` holds counts, shas and decisions only; values that are personal data (the
    before/after of a rectification) are sealed in ``sealed``/``sealed_key``.
    """

    __tablename__ = "rights_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("rights_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes | None] = mapped_column(LargeBinary)

    request: Mapped[RightsRequest] = relationship(back_populates="actions")


class ErasureTombstone(Base):
    """A one-way digest of an erased pseudonym, so a later return cannot bring the person back.

    The digest is SHA-256 of ``"erased\\x1f" + pseudonym``: the ingest can check a pseudonym
    against it, and the pseudonym itself is held nowhere after erasure.
    """

    __tablename__ = "erasure_tombstones"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_reference: Mapped[str] = mapped_column(String(20))
    erased_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
