"""Consent, sealed contact details, encrypted qualitative data, transcription hand-offs."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steward.errors import PermissionDenied, PolicyViolation, UserError
from steward.governance.access import User
from steward.governance.consent import service as consent
from steward.governance.consent.models import QualitativeItem
from steward.governance.consent.service import QualitativeVault
from steward.governance.db import session_scope
from steward.landing import EncryptedObjectError

D = dt.date
CONTACT = {"name": "Pat Fictional", "phone": "07700 900123"}


@pytest.fixture
def vault(tmp_path: Path) -> QualitativeVault:
    return QualitativeVault(tmp_path / "qualitative", secrets.token_bytes(32))


def _participant(engine: Engine, dpo: User, vault: QualitativeVault) -> str:
    with session_scope(engine) as session:
        for activity in ("interview", "contact", "survey"):
            consent.add_consent_text(
                session, dpo, activity=activity, text=f"I agree to the {activity} (fictional)."
            )
        person = consent.register_participant(
            session, dpo, vault, kind="parent_guardian", contact=CONTACT
        )
        consent.give_consent(session, dpo, person.reference, activity="interview", on=D(2026, 5, 1))
        consent.give_consent(session, dpo, person.reference, activity="contact", on=D(2026, 5, 1))
        return person.reference


def test_consent_text_versions_count_up(engine: Engine, dpo: User) -> None:
    with session_scope(engine) as session:
        first = consent.add_consent_text(session, dpo, activity="interview", text="v1 wording")
        second = consent.add_consent_text(session, dpo, activity="interview", text="v2 wording")
        other = consent.add_consent_text(session, dpo, activity="survey", text="survey wording")
    assert (first.version, second.version, other.version) == (1, 2, 1)


def test_contact_details_are_sealed_and_deleted(
    engine: Engine, dpo: User, vault: QualitativeVault
) -> None:
    reference = _participant(engine, dpo, vault)
    with session_scope(engine) as session:
        assert consent.contact_details(session, dpo, vault, reference) == CONTACT
    with engine.connect() as conn:
        raw = b"".join(
            r[0] for r in conn.exec_driver_sql("SELECT contact_sealed FROM participants")
        )
        audit = str(list(conn.exec_driver_sql("SELECT details FROM audit_entries")))
    assert b"Pat" not in raw and "Pat" not in audit and "07700" not in audit
    with session_scope(engine) as session:
        consent.delete_contact_details(session, dpo, reference, on=D(2026, 7, 1))
        with pytest.raises(UserError, match="erased"):
            consent.contact_details(session, dpo, vault, reference)


def test_items_need_consent_and_withdrawal_deletes_them(
    engine: Engine, dpo: User, vault: QualitativeVault
) -> None:
    reference = _participant(engine, dpo, vault)
    with session_scope(engine) as session:
        with pytest.raises(PolicyViolation, match="no current consent to survey"):
            consent.store_item(session, dpo, vault, reference, activity="survey",
                               kind="survey_response", content=b"answers", collected_on=D(2026, 5, 2))  # fmt: skip
        item = consent.store_item(session, dpo, vault, reference, activity="interview",
                                  kind="recording", content=b"fictional audio bytes",
                                  collected_on=D(2026, 5, 3))  # fmt: skip
        sha = item.sha256
        assert sha is not None
        assert vault.objects.read(sha) == b"fictional audio bytes"
        assert b"fictional audio" not in (vault.folder / "objects" / sha).read_bytes()
        deleted = consent.withdraw_consent(session, dpo, vault, reference, activity="interview",
                                           on=D(2026, 6, 1))  # fmt: skip
        assert deleted == [item.id]
        with pytest.raises(PolicyViolation):
            consent.store_item(session, dpo, vault, reference, activity="interview",
                               kind="transcript", content=b"x", collected_on=D(2026, 6, 2))  # fmt: skip
        stored = session.get(QualitativeItem, item.id)
        assert stored is not None and stored.deletion_reason == "consent_withdrawn"
    with pytest.raises(EncryptedObjectError, match="shredded"):
        vault.objects.read(sha)


def test_interview_data_is_never_archivable(
    engine: Engine, dpo: User, vault: QualitativeVault
) -> None:
    reference = _participant(engine, dpo, vault)
    with session_scope(engine) as session:
        item = consent.store_item(session, dpo, vault, reference, activity="interview",
                                  kind="transcript", content=b"t", collected_on=D(2026, 5, 3))  # fmt: skip
        with pytest.raises(PolicyViolation, match="never archived"):
            consent.check_archivable(item)


def test_transcription_deletion_due_seven_days_after_completion(
    engine: Engine, dpo: User, vault: QualitativeVault
) -> None:
    reference = _participant(engine, dpo, vault)
    with session_scope(engine) as session:
        item = consent.store_item(session, dpo, vault, reference, activity="interview",
                                  kind="recording", content=b"a", collected_on=D(2026, 5, 3))  # fmt: skip
        handoff = consent.hand_off_for_transcription(session, dpo, item.id, sent_on=D(2026, 5, 4))
        with pytest.raises(UserError, match="not completed"):
            consent.confirm_transcription_deletion(session, dpo, handoff.id,
                                                   confirmed_on=D(2026, 5, 5))  # fmt: skip
        consent.transcription_completed(session, dpo, handoff.id, completed_on=D(2026, 5, 10))
        assert handoff.deletion_due_on == D(2026, 5, 17)
        assert consent.transcription_reminders(session, dpo, today=D(2026, 5, 16)) == []
        assert consent.transcription_reminders(session, dpo, today=D(2026, 5, 17)) == [handoff]
        consent.confirm_transcription_deletion(
            session, dpo, handoff.id, confirmed_on=D(2026, 5, 17)
        )
        assert consent.transcription_reminders(session, dpo, today=D(2026, 5, 20)) == []


def test_researcher_may_not_manage_consent(engine: Engine, researcher: User) -> None:
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        consent.add_consent_text(session, researcher, activity="interview", text="x")


def test_rights_request_withdrawing_consent(
    engine: Engine, dpo: User, vault: QualitativeVault
) -> None:
    from steward.governance.rights import service as rights
    from steward.governance.rights.actions import withdraw_consent_for_request
    from steward.governance.rights.service import Requester, RightsKeys

    reference = _participant(engine, dpo, vault)
    keys = RightsKeys(pseudonym=secrets.token_bytes(32), master=vault.master_key)
    with session_scope(engine) as session:
        consent.store_item(session, dpo, vault, reference, activity="interview",
                           kind="recording", content=b"a", collected_on=D(2026, 5, 3))  # fmt: skip
        request = rights.log_request(
            session, dpo, keys, rights=["withdraw_consent"], channel="email",
            received_on=D(2026, 6, 1), requester=Requester(name="Pat Fictional", contact="p@x.org"),
        )  # fmt: skip
        with pytest.raises(PolicyViolation, match="not verified"):
            withdraw_consent_for_request(session, dpo, vault, request.reference,
                                         participant=reference, activity="interview",
                                         on=D(2026, 6, 2))  # fmt: skip
        rights.verify_identity(session, dpo, request.reference, verified=True,
                               evidence_ref="ID", on=D(2026, 6, 2))  # fmt: skip
        action = withdraw_consent_for_request(session, dpo, vault, request.reference,
                                              participant=reference, activity="interview",
                                              on=D(2026, 6, 2))  # fmt: skip
    assert action.summary["items_deleted"] == 1
