"""Tables of the accountability registers: complaints, legal disclosures, personal data breaches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from steward.governance.db import Base


class Complaint(Base):
    """A complaint about how Steward's controller handled personal data (DPA 2018 s.164A)."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    received_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    request_reference: Mapped[str | None] = mapped_column(String(20))
    # The complainant's details and words are personal data: sealed.
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    sealed_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    acknowledge_by: Mapped[dt.date] = mapped_column(Date)
    acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(30))
    outcome_summary: Mapped[str | None] = mapped_column(Text)
    outcome_on: Mapped[dt.date | None] = mapped_column(Date)
    ico_route_given: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120))


class Disclosure(Base):
    """Personal data disclosed because the law required it (to whom, on what basis, what, when)."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    recipient: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)
    what: Mapped[str] = mapped_column(Text)
    disclosed_on: Mapped[dt.date] = mapped_column(Date)
    pseudonyms: Mapped[list[str]] = mapped_column(JSON)
    request_reference: Mapped[str | None] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(120))


class Breach(Base):
    """A personal data breach, reported to the ICO or not (every breach is recorded)."""

    __tablename__ = "breaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    what: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    found_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    categories: Mapped[list[str]] = mapped_column(JSON)
    approx_people: Mapped[int] = mapped_column(Integer)
    approx_records: Mapped[int] = mapped_column(Integer)
    consequences: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    notify_ico: Mapped[bool | None] = mapped_column(Boolean)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    ico_notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ico_reference: Mapped[str | None] = mapped_column(String(60))
    late_reason: Mapped[str | None] = mapped_column(Text)
    notify_people: Mapped[bool | None] = mapped_column(Boolean)
    people_reason: Mapped[str | None] = mapped_column(Text)
    people_notified_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
