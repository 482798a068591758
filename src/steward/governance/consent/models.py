"""Tables of the consent slice: participants, consent texts, consents, qualitative items and
hand-offs to the transcription service.

Contact details are sealed per participant (see :mod:`steward.governance.rights.sealed`) and
deleted when no longer needed; recordings and transcripts live in an encrypted object store, the
database holds only their SHA-256.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.governance.db import Base


class Participant(Base):
    """A person taking part in direct data collection (child, parent or professional)."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # child/parent_guardian/professional
    la_code: Mapped[str | None] = mapped_column(String(9))
    child_pid: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    consents: Mapped[list[Consent]] = relationship(
        back_populates="participant", order_by="Consent.id"
    )


class ConsentText(Base):
    """One version of the consent wording for an activity."""

    __tablename__ = "consent_texts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Consent(Base):
    """A participant's consent to one activity under one version of its text."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    activity: Mapped[str] = mapped_column(String(20))
    text_id: Mapped[int] = mapped_column(ForeignKey("consent_texts.id"))
    given_on: Mapped[dt.date] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)

    participant: Mapped[Participant] = relationship(back_populates="consents")
    text: Mapped[ConsentText] = relationship()


class QualitativeItem(Base):
    """A recording, transcript, observation note or survey response, stored encrypted."""

    __tablename__ = "qualitative_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    activity: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # recording/transcript/notes/survey_response
    category: Mapped[str] = mapped_column(String(40))  # the registry's data category
    sha256: Mapped[str | None] = mapped_column(String(64))
    collected_on: Mapped[dt.date] = mapped_column(Date)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    deletion_reason: Mapped[str | None] = mapped_column(String(60))


class TranscriptionHandoff(Base):
    """A recording sent to the transcription service; its copy there is deleted 7 days after."""

    __tablename__ = "transcription_handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("qualitative_items.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(40))
    sent_on: Mapped[dt.date] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    deletion_due_on: Mapped[dt.date | None] = mapped_column(Date)
    deletion_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
