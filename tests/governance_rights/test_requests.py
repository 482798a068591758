"""The request log: logging, identity, the clock, duplicates, refusal, closing, statistics."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from sqlalchemy import Engine, select

from steward.errors import PermissionDenied, PolicyViolation, UserError, ValidationError
from steward.governance.access import User
from steward.governance.audit import AuditEntry, verify
from steward.governance.db import session_scope
from steward.governance.rights import outcomes, reporting
from steward.governance.rights import service as rights
from steward.governance.rights.deadlines import Rag
from steward.governance.rights.models import RightsRequest
from steward.governance.rights.service import Requester, RightsKeys
from steward.policy import default_registry

D = dt.date
KEYS = RightsKeys(pseudonym=secrets.token_bytes(32), master=secrets.token_bytes(32))
ALICE = Requester(name="Alice Fictional", contact="alice@example.org", address="1 Nowhere Lane")


def _log(engine: Engine, actor: User, **kw: object) -> str:
    args: dict[str, object] = dict(
        rights=["access"], requester=ALICE, channel="email", received_on=D(2026, 9, 2)
    )
    args.update(kw)
    with session_scope(engine) as session:
        return rights.log_request(session, actor, KEYS, **args).reference  # type: ignore[arg-type]


def test_log_request_seals_the_requester_and_audits_no_personal_data(
    engine: Engine, dpo: User
) -> None:
    reference = _log(engine, dpo)
    assert reference == "RR-2026-0001"
    with session_scope(engine) as session:
        request = rights.get_request(session, reference)
        assert request.identity_status == "pending"
        assert request.requester_sealed is not None
        assert b"Alice" not in request.requester_sealed
        assert rights.deadline_of(request, D(2026, 9, 10)).paused  # waiting for identity
        assert rights.requester_details(session, dpo, KEYS, reference)["name"] == ALICE.name
        entries = session.scalars(select(AuditEntry)).all()
    dumped = json.dumps([(e.object_id, e.details) for e in entries])
    assert "Alice" not in dumped and "alice@example.org" not in dumped and "Nowhere" not in dumped
    with session_scope(engine) as session:
        assert verify(session).ok


def test_identity_restarts_the_clock_and_deadline_moves(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo)
    with session_scope(engine) as session:
        request = rights.verify_identity(
            session, dpo, reference, verified=True, evidence_ref="ID-1 passport seen",
            on=D(2026, 9, 12),
        )  # fmt: skip
        deadline = rights.deadline_of(request, D(2026, 9, 20))
    assert not deadline.paused
    assert deadline.paused_days == 10
    assert deadline.due_on == D(2026, 10, 12)


def test_pause_resume_and_extension(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo)
    with session_scope(engine) as session:
        rights.verify_identity(
            session, dpo, reference, verified=True, evidence_ref="ID-2", on=D(2026, 9, 2)
        )
        rights.pause_clock(session, dpo, reference, reason="clarification", on=D(2026, 9, 10))
        with pytest.raises(UserError, match="already paused"):
            rights.pause_clock(session, dpo, reference, reason="fee", on=D(2026, 9, 11))
        rights.resume_clock(session, dpo, reference, on=D(2026, 9, 15))
        with pytest.raises(ValidationError, match="only: identity, clarification, fee"):
            rights.pause_clock(session, dpo, reference, reason="holiday", on=D(2026, 9, 16))
        with pytest.raises(ValidationError, match="1 to 2"):
            rights.extend(session, dpo, reference, months=3, reason="x", told_on=D(2026, 9, 20))
        request = rights.extend(
            session, dpo, reference, months=2, reason="numerous records across five LAs",
            told_on=D(2026, 9, 20),
        )  # fmt: skip
        deadline = rights.deadline_of(request, D(2026, 9, 20))
    assert deadline.statutory_on == D(2026, 12, 2)
    assert deadline.due_on == D(2026, 12, 7)  # + 5 paused days


def test_extension_told_too_late_is_refused(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo)
    with session_scope(engine) as session:
        rights.verify_identity(
            session, dpo, reference, verified=True, evidence_ref="ID-3", on=D(2026, 9, 2)
        )
        with pytest.raises(PolicyViolation, match="after the first month"):
            rights.extend(session, dpo, reference, months=1, reason="complex",
                          told_on=D(2026, 10, 20))  # fmt: skip


def test_duplicate_request_is_refused_unless_allowed(engine: Engine, dpo: User) -> None:
    first = _log(engine, dpo)
    # Same person, differently typed: still a duplicate.
    same = Requester(name="  alice   FICTIONAL", contact="Alice@Example.org ")
    with pytest.raises(UserError, match=f"duplicates open request {first}"):
        _log(engine, dpo, requester=same, rights=["access", "erasure"])
    second = _log(engine, dpo, requester=same, rights=["erasure"])  # another right: not a duplicate
    third = _log(engine, dpo, requester=same, allow_duplicate=True)
    assert len({first, second, third}) == 3


def test_bad_input_is_named(engine: Engine, dpo: User) -> None:
    with pytest.raises(ValidationError, match="unknown right"):
        _log(engine, dpo, rights=["everything"])
    with pytest.raises(ValidationError, match="channel"):
        _log(engine, dpo, channel="pigeon")
    with pytest.raises(ValidationError, match="future"):
        _log(engine, dpo, received_on=dt.date.today() + dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="empty"):
        _log(engine, dpo, requester=Requester(name="", contact="x"))


def test_unverified_identity_releases_nothing(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo)
    with session_scope(engine) as session:
        request = rights.verify_identity(
            session, dpo, reference, verified=False, evidence_ref="ID-4 documents did not match",
            on=D(2026, 9, 5),
        )  # fmt: skip
        with pytest.raises(PolicyViolation, match="not verified"):
            rights.require_releasable(request)
        with pytest.raises(PolicyViolation, match="not verified"):
            rights.resume_clock(session, dpo, reference, on=D(2026, 9, 6))


def test_parent_needs_verified_authority(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo, relationship="parent")
    with session_scope(engine) as session:
        request = rights.verify_identity(
            session, dpo, reference, verified=True, evidence_ref="ID-5", on=D(2026, 9, 3)
        )
        assert request.authority_status == "pending"
        with pytest.raises(PolicyViolation, match="authority"):
            rights.require_releasable(request)
        request = rights.verify_identity(
            session, dpo, reference, verified=True, evidence_ref="ID-5 + birth certificate",
            on=D(2026, 9, 3), authority_verified=True,
        )  # fmt: skip
        rights.require_releasable(request)


def test_refusal_needs_grounds_and_reason_and_tells_of_ico(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo)
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="unfounded"):
            outcomes.refuse(
                session, dpo, reference, grounds="annoying", reason="x", on=D(2026, 9, 9)
            )
        with pytest.raises(ValidationError, match="reason"):
            outcomes.refuse(
                session, dpo, reference, grounds="excessive", reason=" ", on=D(2026, 9, 9)
            )
        request = outcomes.refuse(
            session, dpo, reference, grounds="excessive",
            reason="the fifth identical request this month", on=D(2026, 9, 9),
        )  # fmt: skip
        letter = outcomes.refusal_letter(request, complaints=default_registry().complaints)
    assert request.status == "refused" and request.outcome == "refused_excessive"
    assert "fifth identical request" in letter and "0303 123 1113" in letter


def test_fee_pauses_the_clock(engine: Engine, dpo: User) -> None:
    reference = _log(engine, dpo)
    with session_scope(engine) as session:
        rights.verify_identity(
            session, dpo, reference, verified=True, evidence_ref="ID-6", on=D(2026, 9, 2)
        )
        request = outcomes.refuse(
            session, dpo, reference, grounds="excessive", reason="further copies requested",
            on=D(2026, 9, 4), fee_pence=1000,
        )  # fmt: skip
        assert request.status == "open" and request.fee_pence == 1000
        assert rights.deadline_of(request, D(2026, 9, 10)).paused
        rights.resume_clock(session, dpo, reference, on=D(2026, 9, 14))
        assert rights.deadline_of(request, D(2026, 9, 20)).due_on == D(2026, 10, 12)


def test_close_reminders_and_statistics(engine: Engine, dpo: User) -> None:
    on_time = _log(engine, dpo)
    late = _log(engine, dpo, requester=Requester(name="Bob Fictional", contact="b@example.org"),
                rights=["erasure"], received_on=D(2026, 8, 3))  # fmt: skip
    open_red = _log(engine, dpo, requester=Requester(name="Cy Fictional", contact="c@example.org"),
                    rights=["object"], received_on=D(2026, 9, 1))  # fmt: skip
    with session_scope(engine) as session:
        for ref in (on_time, late, open_red):
            rights.verify_identity(session, dpo, ref, verified=True, evidence_ref="ID",
                                   on=rights.get_request(session, ref).received_on)  # fmt: skip
        with pytest.raises(ValidationError, match="reason"):
            outcomes.close_request(
                session, dpo, late, outcome="refused_exemption", on=D(2026, 9, 30)
            )
        outcomes.close_request(session, dpo, on_time, outcome="completed", on=D(2026, 9, 25))
        outcomes.close_request(session, dpo, late, outcome="completed", on=D(2026, 9, 30))
        reminders = reporting.reminders(session, dpo, today=D(2026, 9, 29))
        stats = reporting.accountability_statistics(session, dpo, today=D(2026, 10, 5))
    assert [(r.reference, r.rag) for r in reminders] == [(open_red, Rag.RED)]
    assert stats["requests"] == 3 and stats["closed"] == 2 and stats["closed_on_time"] == 1
    assert stats["percent_on_time"] == 50.0 and stats["open_overdue"] == 1
    assert stats["by_right"] == {"access": 1, "erasure": 1, "object": 1}
    text = json.dumps(stats)
    assert "Fictional" not in text and "example.org" not in text and "RR-" not in text


def test_researcher_may_not_manage_requests(engine: Engine, researcher: User) -> None:
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        rights.log_request(
            session, researcher, KEYS, rights=["access"], requester=ALICE, channel="email",
            received_on=D(2026, 9, 2),
        )  # fmt: skip
    with session_scope(engine) as session:
        assert session.scalars(select(RightsRequest)).all() == []
