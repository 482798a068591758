"""Personal data is refused on its way into the audit log (no database needed for most)."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import Engine, func, select

from steward.errors import PolicyViolation
from steward.governance.audit import AuditAction, AuditEntry, AuditLog
from steward.governance.audit.guard import check_entry
from steward.governance.db import session_scope

PSEUDONYM = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    "details",
    [
        {"name": "Fictional Person"},
        {"Surname": "Example"},
        {"child_id": "C123"},
        {"LA Child ID": "C123"},
        {"dob": "2012-03-04"},
        {"date_of_birth": "2012-03-04"},
        {"mother_dob": "1990"},
        {"postcode": "ZZ99 9ZZ"},
        {"home_address": "1 Example Street"},
        {"upn": "A123456789012"},
        {"nested": {"records": [{"email": "x"}]}},
    ],
)
def test_personal_keys_refused(details: dict[str, object]) -> None:
    with pytest.raises(PolicyViolation, match="names personal data"):
        check_entry(object_id="x", pseudonyms=(), details=details)


@pytest.mark.parametrize(
    ("details", "kind"),
    [
        ({"note": "pupil A123456789012 moved"}, "a UPN"),
        ({"note": "lives near M1 1AE"}, "a postcode"),
        ({"values": ["ok", "SW1A 1AA"]}, "a postcode"),
        ({"note": "contact someone@example.org"}, "an e-mail address"),
        ({"value": "2012-03-04"}, "a full date"),
        ({"value": "04/03/2012"}, "a full date"),
        ({"fields": {"born": "2011-12-01"}}, "a full date"),
    ],
)
def test_personal_values_refused_without_repeating_them(
    details: dict[str, object], kind: str
) -> None:
    with pytest.raises(PolicyViolation) as caught:
        check_entry(object_id="x", pseudonyms=(), details=details)
    message = str(caught.value)
    assert kind in message
    for forbidden in (
        "A123456789012",
        "M1 1AE",
        "SW1A 1AA",
        "someone@",
        "2012-03-04",
        "2011-12-01",
    ):
        assert forbidden not in message


def test_object_id_and_pseudonyms_checked() -> None:
    with pytest.raises(PolicyViolation, match="object_id"):
        check_entry(object_id="A123456789012", pseudonyms=(), details={})
    with pytest.raises(PolicyViolation, match="not a keyed pseudonym"):
        check_entry(object_id="x", pseudonyms=("CHILD-0042",), details={})
    with pytest.raises(PolicyViolation, match="not a keyed pseudonym"):
        check_entry(object_id="x", pseudonyms=(PSEUDONYM.upper(),), details={})


def test_non_json_and_non_finite_refused() -> None:
    import datetime as dt

    with pytest.raises(PolicyViolation, match="not a JSON value"):
        check_entry(object_id="x", pseudonyms=(), details={"when": dt.date(2025, 1, 1)})
    with pytest.raises(PolicyViolation, match="finite"):
        check_entry(object_id="x", pseudonyms=(), details={"ratio": math.nan})


def test_ordinary_details_pass() -> None:
    details = {
        "la_code": "E08000005",
        "sheet_name": "DR1",
        "file_sha256": "9f" * 32,
        "rows": 1200,
        "share": 0.25,
        "received_on": "2025-01-31",
        "created_at": "2025-01-31T10:00:00Z",
        "rules_failed": ["DR1-004", "DR1-011"],
        "year": 2024,
    }
    assert (
        check_entry(object_id="returns/E08000005/2024", pseudonyms=(PSEUDONYM,), details=details)
        == details
    )


def test_refused_entry_is_not_written(engine: Engine) -> None:
    log = AuditLog(engine)
    with pytest.raises(PolicyViolation):
        log.record("analyst1", AuditAction.INGEST, "return", "r1", details={"postcode": "M1 1AE"})
    log.record("analyst1", AuditAction.INGEST, "return", "r1", details={"rows": 3})
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1
