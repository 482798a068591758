"""How an audit entry is hashed: SHA-256 over a canonical JSON text that includes prev_hash.

Canonical JSON: keys sorted, no whitespace, UTF-8, no NaN/Infinity; ``at`` as an ISO 8601 UTC
time with microseconds and a ``Z``. Any backend that returns the same values gives the same text,
so a log moved from SQLite to PostgreSQL still verifies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any


def canonical_json(value: Any) -> str:
    """The one JSON text of ``value`` that is hashed and signed."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def utc_iso(at: dt.datetime) -> str:
    """``at`` as ISO 8601 UTC with microseconds; a naive time (SQLite) is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    pseudonyms: Sequence[str],
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """The hex SHA-256 that an entry with these fields must carry."""
    body = {
        "seq": seq,
        "at": utc_iso(at),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "pseudonyms": list(pseudonyms),
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def hash_of(entry: Any, *, seq: int | None = None) -> str:
    """Recompute the hash of a stored entry (anything with the entry's attributes), optionally
    as if it stood at another ``seq``."""
    return entry_hash(
        seq=entry.seq if seq is None else seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        pseudonyms=entry.pseudonyms,
        details=entry.details,
        prev_hash=entry.prev_hash,
    )
