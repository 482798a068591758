"""Signed session cookies and their CSRF tokens.

The cookie holds only the user id, a random session id and the CSRF token, signed with a key
kept in the workspace's key folder (outside the workspace), and expires after a fixed lifetime.
A forged, tampered or expired cookie reads as "no session".
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "steward_session"
SESSION_KEY_FILE = "web-session.key"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def session_secret(key_folder: Path) -> bytes:
    """The workspace's session signing key, created on first use (mode 0600)."""
    key_folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = key_folder / SESSION_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        secret = secrets.token_bytes(32)
        fh.write(secret)
    return secret


@dataclass(frozen=True)
class WebSession:
    """What a session cookie says: who (None before login), which session, its CSRF token."""

    user_id: int | None
    session_id: str
    csrf: str


class SessionSigner:
    """Signs and reads session cookies; ``lifetime_seconds`` bounds their age."""

    def __init__(self, secret: bytes, *, lifetime_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="steward-session")
        self.lifetime_seconds = lifetime_seconds
        self._ended: set[str] = set()

    def new(self, user_id: int | None) -> WebSession:
        return WebSession(user_id, secrets.token_urlsafe(16), secrets.token_urlsafe(32))

    def dumps(self, session: WebSession) -> str:
        return self._serializer.dumps(
            {"u": session.user_id, "s": session.session_id, "c": session.csrf}
        )

    def loads(self, cookie: str | None) -> WebSession | None:
        """The session in ``cookie``, or None if it is missing, forged, expired or logged out."""
        if not cookie:
            return None
        try:
            data: Any = self._serializer.loads(cookie, max_age=self.lifetime_seconds)
        except BadSignature:  # includes SignatureExpired
            return None
        if not isinstance(data, dict):
            return None
        user_id, session_id, csrf = data.get("u"), data.get("s"), data.get("c")
        if not isinstance(session_id, str) or not isinstance(csrf, str):
            return None
        if user_id is not None and not isinstance(user_id, int):
            return None
        if session_id in self._ended:
            return None
        return WebSession(user_id, session_id, csrf)

    def end(self, session: WebSession) -> None:
        """Logging out: the cookie stops working here even if a copy of it survives."""
        self._ended.add(session.session_id)


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one a form or header sent."""
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
