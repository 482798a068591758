"""Complaints log, disclosures register and breach register."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import Engine

from steward.errors import PermissionDenied, ValidationError
from steward.governance.access import User
from steward.governance.db import session_scope
from steward.governance.registers import service as registers
from steward.governance.rights.sealed import Sealer

D = dt.date
UTC = dt.UTC
SEALER = Sealer(secrets.token_bytes(32))


def test_complaint_acknowledged_within_30_days_and_ico_route_required(
    engine: Engine, dpo: User
) -> None:
    with session_scope(engine) as session:
        complaint = registers.log_complaint(
            session, dpo, SEALER, received_on=D(2026, 7, 1), channel="email",
            complainant={"name": "Lee Fictional"}, summary="my request was slow",
        )  # fmt: skip
        assert complaint.acknowledge_by == D(2026, 7, 31)
        assert complaint.sealed is not None and b"Lee" not in complaint.sealed
        assert registers.overdue_acknowledgements(session, dpo, today=D(2026, 8, 1)) == [complaint]
        registers.acknowledge_complaint(session, dpo, complaint.reference, on=D(2026, 7, 3))
        with pytest.raises(ValidationError, match="ICO"):
            registers.record_complaint_outcome(
                session, dpo, complaint.reference, outcome="upheld", summary="apologised",
                on=D(2026, 7, 20), ico_route_given=False,
            )  # fmt: skip
        done = registers.record_complaint_outcome(
            session, dpo, complaint.reference, outcome="upheld", summary="apologised",
            on=D(2026, 7, 20), ico_route_given=True,
        )  # fmt: skip
        assert done.outcome == "upheld" and done.ico_route_given
        assert registers.overdue_acknowledgements(session, dpo, today=D(2026, 8, 1)) == []
    assert "0303 123 1113" in registers.complaint_reply_footer()


def test_disclosure_register(engine: Engine, dpo: User) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="legal basis"):
            registers.record_disclosure(session, dpo, recipient="Court", legal_basis=" ",
                                        what="x", disclosed_on=D(2026, 3, 1))  # fmt: skip
        row = registers.record_disclosure(
            session, dpo, recipient="Family Court (fictional)",
            legal_basis="court order under the Children Act 1989 s.37 (fictional case)",
            what="dates of referrals for one child", disclosed_on=D(2026, 3, 1),
            pseudonyms=["0123456789abcdef0123456789abcdef"],
        )  # fmt: skip
        assert [d.reference for d in registers.list_disclosures(session, dpo)] == [row.reference]


def test_breach_72_hour_clock_and_reasons(engine: Engine, dpo: User) -> None:
    found = dt.datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        with pytest.raises(ValidationError, match="categories"):
            registers.record_breach(
                session, dpo, what="x", found_at=found, categories=["gossip"], approx_people=1,
                approx_records=1, consequences="c", measures="m",
            )  # fmt: skip
        breach = registers.record_breach(
            session, dpo, what="quality report e-mailed to the wrong LA", found_at=found,
            categories=["social_care_event"], approx_people=40, approx_records=120,
            consequences="pseudonymised rows seen by another LA", measures="recalled, deleted",
        )  # fmt: skip
        minor = registers.record_breach(
            session, dpo, what="laptop lost, encrypted", found_at=found + dt.timedelta(hours=5),
            categories=["contact_details"], approx_people=3, approx_records=3,
            consequences="none likely: full-disk encryption", measures="remote wipe",
        )  # fmt: skip
        waiting = registers.breaches_awaiting_decision(
            session, dpo, now=found + dt.timedelta(hours=70)
        )
        assert [b.reference for b, _ in waiting] == [breach.reference, minor.reference]
        assert waiting[0][1] == dt.timedelta(hours=2)
        with pytest.raises(ValidationError, match="72-hour"):
            registers.decide_ico_notification(
                session, dpo, breach.reference, notify=True, reason="risk to children",
                notified_at=found + dt.timedelta(hours=80),
            )  # fmt: skip
        late = registers.decide_ico_notification(
            session, dpo, breach.reference, notify=True, reason="risk to children",
            notified_at=found + dt.timedelta(hours=80), ico_reference="ICO-FICT-1",
            late_reason="the LA confirmed the recipients only on day 3",
        )  # fmt: skip
        assert late.notify_ico and late.late_reason
        with pytest.raises(ValidationError, match="reason"):
            registers.decide_ico_notification(
                session, dpo, minor.reference, notify=False, reason=""
            )
        kept = registers.decide_ico_notification(
            session, dpo, minor.reference, notify=False,
            reason="unlikely to result in a risk: data encrypted at rest",
        )  # fmt: skip
        assert kept.notify_ico is False  # recorded although not reported
        registers.decide_people_notification(
            session, dpo, breach.reference, notify=False,
            reason="pseudonymised data only; no high risk to the people",
        )  # fmt: skip
        assert registers.breaches_awaiting_decision(session, dpo, now=found) == []


def test_registers_need_the_right_role(engine: Engine, researcher: User) -> None:
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        registers.record_disclosure(session, researcher, recipient="x", legal_basis="y",
                                    what="z", disclosed_on=D(2026, 1, 1))  # fmt: skip
