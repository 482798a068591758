"""Tables of access control: users and their API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.governance.db import Base


class User(Base):
    """A person who uses Steward, with one role.

    ``la_code`` is set for LA data providers (the only LA they may act for);
    ``accreditation_expires`` for accredited researchers (last day of their accreditation).
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    la_code: Mapped[str | None] = mapped_column(String(9))
    accreditation_expires: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    def __repr__(self) -> str:  # never shows the password hash
        return f"User(username={self.username!r}, role={self.role!r}, active={self.active})"


class ApiToken(Base):
    """An API token; only its SHA-256 is stored (the token is shown once, when issued)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")
