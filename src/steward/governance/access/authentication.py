"""Who is acting: passwords (argon2id) and API tokens (random, stored as SHA-256).

Failures all raise the same :class:`AuthenticationFailed`, whatever the cause (unknown user,
wrong password, deactivated account, expired or revoked token), and an unknown username costs
the same argon2 work as a known one, so neither the message nor the timing tells whether an
account exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import PermissionDenied, UserError
from steward.governance.access.models import ApiToken, User
from steward.governance.audit.actions import AuditAction
from steward.governance.audit.log import lock_head, record_in

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "stw_"
DEFAULT_TOKEN_LIFETIME = dt.timedelta(days=90)


def default_password_hasher() -> PasswordHasher:
    """argon2id with the RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)."""
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


_hasher = default_password_hasher()


class AuthenticationFailed(PermissionDenied):
    """Credentials were not accepted. The message never says which part was wrong."""


def _failed() -> AuthenticationFailed:
    return AuthenticationFailed(
        what="the username or password (or token) was not accepted",
        fix="Check them and try again; ask an admin if your account or token may have expired.",
    )


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; refuses passwords shorter than 12 characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            what=f"the password is shorter than {MIN_PASSWORD_LENGTH} characters",
            fix="Choose a longer password (a passphrase of several words works well).",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (constant time within argon2)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=4)
def _dummy_hash_for(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def _dummy_hash() -> str:
    # Made with the current hasher's parameters, so it costs what a real account's hash costs.
    return _dummy_hash_for(_hasher)


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials, or ``AuthenticationFailed``.

    Writes ``login`` or ``login_failed`` to the audit log and commits ``session``, so a failed
    attempt is kept even though the caller will unwind. Call it with a session that has no other
    pending work. A failed attempt for an unknown username is recorded without the name (it may
    be a mistyped password).
    """
    # Take the log's lock before reading, so the later append cannot meet a newer snapshot.
    lock_head(session)
    user = session.scalar(select(User).where(User.username == username))
    # Verify against a dummy hash for an unknown user, so the time taken does not tell.
    matched = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not matched or not user.active:
        actor = user.username if user else "unknown"
        reason = "unknown_user" if user is None else ("inactive" if matched else "bad_password")
        record_in(
            session, actor, AuditAction.LOGIN_FAILED, "user", actor, details={"reason": reason}
        )
        session.commit()
        raise _failed()
    record_in(
        session,
        user.username,
        AuditAction.LOGIN,
        "user",
        user.username,
        details={"method": "password"},
    )
    session.commit()
    return user


def _token_digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough and allows an indexed lookup.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    user: User,
    *,
    lifetime: dt.timedelta = DEFAULT_TOKEN_LIFETIME,
) -> str:
    """A new API token for ``user``. Returned once; only its hash is stored.

    The token and its ``token_issued`` audit entry join ``session``'s transaction; the caller
    commits.
    """
    if not user.active:
        raise _failed()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_digest(token),
        created_at=now,
        expires_at=now + lifetime,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    record_in(
        session,
        user.username,
        AuditAction.TOKEN_ISSUED,
        "api_token",
        str(row.id),
        details={"expires_at": row.expires_at.isoformat()},
    )
    return token


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def authenticate_token(session: Session, token: str, *, now: dt.datetime | None = None) -> User:
    """The active user an unexpired, unrevoked token belongs to, or ``AuthenticationFailed``."""
    now = now or dt.datetime.now(dt.UTC)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None or _as_utc(row.expires_at) <= now:
        raise _failed()
    user = row.user
    if not user.active:
        raise _failed()
    return user


def revoke_token(session: Session, token: str) -> None:
    """Revoke ``token`` (no error if it is already revoked; ``AuthenticationFailed`` if unknown)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None:
        raise _failed()
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)
        session.flush()
        record_in(session, row.user.username, AuditAction.TOKEN_REVOKED, "api_token", str(row.id))
