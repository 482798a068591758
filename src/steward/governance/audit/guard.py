"""Refuse personal data on its way into the audit log.

The log holds actors, actions, object ids and pseudonyms only. This guard is a safety net, not a
classifier: it refuses keys that name personal data (name, address, date of birth, postcode, UPN,
LA child id, …) and values shaped like a UPN, a full postcode, an e-mail address or a date of
birth, and it insists that pseudonyms look like Steward's keyed pseudonyms (lowercase hex).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from steward.errors import PolicyViolation

# Keys refused outright (compared after lower-casing and dropping '-', ' ' and '.').
_FORBIDDEN_KEYS = frozenset(
    {
        "name", "first_name", "firstname", "forename", "forenames", "given_name", "middle_name",
        "surname", "last_name", "lastname", "family_name", "full_name", "fullname",
        "preferred_name", "child_name", "parent_name", "carer_name",
        "address", "home_address", "address_line1", "address_line_1", "street",
        "dob", "date_of_birth", "birth_date", "birthdate", "person_birth_date",
        "postcode", "post_code", "home_postcode",
        "upn", "former_upn", "uln", "unique_pupil_number",
        "child_id", "la_child_id", "child_la_id", "person_id", "la_person_id",
        "nhs_number", "ni_number", "national_insurance_number",
        "email", "email_address", "phone", "telephone", "phone_number", "mobile",
    }
)  # fmt: skip
# Any key containing one of these parts is refused too (e.g. "mother_dob", "child_upn").
_FORBIDDEN_KEY_PARTS = ("birth", "dob", "postcode", "upn", "address", "surname", "forename")

_UPN = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[^@\s]+@[^@\s]+\.[a-z]{2,}\b", re.IGNORECASE)
_FULL_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\b")
# Keys whose full-date values are event dates, not birth dates (due_on, as_of, created_at, …).
_EVENT_DATE_KEY = re.compile(
    r"(^|_)(at|on|as_of|date|until|from|to|since|before|after|expires|deadline|due|period|day)$"
)
PSEUDONYM = re.compile(r"^[0-9a-f]{32,64}$")


def _refuse(what: str, fix: str) -> PolicyViolation:
    return PolicyViolation(what=f"the audit entry would hold personal data: {what}", fix=fix)


def _normal_key(key: str) -> str:
    return re.sub(r"[\s.\-]+", "_", key.strip().lower())


def _check_key(key: str, path: str) -> None:
    norm = _normal_key(key)
    if norm in _FORBIDDEN_KEYS or any(part in norm for part in _FORBIDDEN_KEY_PARTS):
        raise _refuse(
            f"details key {path!r} names personal data",
            "Record the subject's pseudonym in 'pseudonyms' and leave identifying fields out "
            "of the audit log.",
        )


def _check_text(text: str, path: str, key: str) -> None:
    # The message never repeats the value: it may be the very personal data being refused.
    if _UPN.search(text):
        kind = "a UPN"
    elif _POSTCODE.search(text):
        kind = "a postcode"
    elif _EMAIL.search(text):
        kind = "an e-mail address"
    elif _FULL_DATE.search(text) and not _EVENT_DATE_KEY.search(_normal_key(key)):
        kind = "a full date (possibly a date of birth)"
    else:
        return
    raise _refuse(
        f"the value at {path!r} looks like {kind}",
        "Record pseudonyms and ids only. An event date is allowed under a key that says so "
        "(e.g. 'due_on', 'as_of', 'created_at').",
    )


def _walk(value: Any, path: str, key: str) -> None:
    if isinstance(value, str):
        _check_text(value, path, key)
    elif isinstance(value, bool) or value is None or isinstance(value, int):
        return
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise PolicyViolation(
                what=f"the audit detail at {path!r} is not a finite number",
                fix="Record finite numbers only.",
            )
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise PolicyViolation(
                    what=f"an audit detail key under {path!r} is not text",
                    fix="Use text keys in audit details.",
                )
            _check_key(k, f"{path}.{k}")
            _walk(v, f"{path}.{k}", k)
    elif isinstance(value, Sequence):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", key)
    else:
        raise PolicyViolation(
            what=f"the audit detail at {path!r} is a {type(value).__name__}, not a JSON value",
            fix="Convert it to text, a number, a list or a mapping before recording it.",
        )


def check_entry(
    *, object_id: str, pseudonyms: Sequence[str], details: Mapping[str, Any]
) -> dict[str, Any]:
    """Raise ``PolicyViolation`` if the entry looks like it holds personal data.

    Returns the details as a plain JSON dict (what will be stored and hashed).
    """
    _check_text(object_id, "object_id", "object_id")
    for i, pseudonym in enumerate(pseudonyms):
        if not isinstance(pseudonym, str) or not PSEUDONYM.match(pseudonym):
            raise _refuse(
                f"pseudonyms[{i}] is not a keyed pseudonym",
                "Pass the subject's pseudonym (lowercase hex from steward.pseudonymise), never "
                "a raw identifier.",
            )
    _walk(details, "details", "details")
    plain: dict[str, Any] = json.loads(json.dumps(details, allow_nan=False))
    return plain
