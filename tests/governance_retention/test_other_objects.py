"""Objects besides returns and store tables: recordings, transcripts and contact details of the
consent slice, objects removed outside a run, and NPD data kept until the SRS licence ends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from steward.errors import PermissionDenied, UserError
from steward.governance.access import User
from steward.governance.consent import service as consent
from steward.governance.consent.models import Participant, QualitativeItem
from steward.governance.consent.service import QualitativeVault
from steward.governance.db import session_scope
from steward.governance.retention import (
    CONTACT_DETAILS,
    LANDING_FILE,
    QUALITATIVE_ITEM,
    deleters,
    place_hold,
    plan,
    record_licence_end,
    register_object,
    run,
    sync_ledger,
)
from steward.landing import EncryptedObjectError, Landing
from steward.workspace import Workspace, init_workspace

from .helpers import DUE_DAY, D, certificates, ledger

START = D(2026, 5, 1)


@pytest.fixture
def empty_workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", key_dir=tmp_path / "keys")


def test_recordings_and_contact_details_are_deleted_when_due(
    engine: Engine, empty_workspace: Workspace, dpo: User
) -> None:
    vault = QualitativeVault.for_workspace(empty_workspace)
    with session_scope(engine) as session:
        for activity in ("interview", "contact"):
            consent.add_consent_text(session, dpo, activity=activity, text=f"I agree ({activity}).")
        person = consent.register_participant(
            session, dpo, vault, kind="professional", contact={"phone": "07700 900123"}
        )
        for activity in ("interview", "contact"):
            consent.give_consent(session, dpo, person.reference, activity=activity, on=START)
        items = [
            consent.store_item(session, dpo, vault, person.reference, activity="interview",
                               kind=kind, content=f"fictional {kind}".encode(), collected_on=START)
            for kind in ("recording", "transcript")
        ]  # fmt: skip
        rows = {r.key: r for r in plan(session, dpo, START, empty_workspace)}
        recording, transcript = (f"{QUALITATIVE_ITEM}:{i.id}" for i in items)
        contact = f"{CONTACT_DETAILS}:{person.reference}"
        assert set(rows) == {recording, transcript, contact}
        assert {r.category for r in rows.values()} == {"interview_data", "contact_details"}
        place_hold(session, dpo, transcript, "subject access request in progress", today=START)
    with session_scope(engine) as session:
        report = run(session, empty_workspace, dpo, DUE_DAY)
    assert sorted(report.deleted) == sorted([recording, contact])
    with pytest.raises(EncryptedObjectError, match="crypto-shredded"):
        vault.objects.read(str(items[0].sha256))
    assert vault.objects.read(str(items[1].sha256)) == b"fictional transcript"
    with session_scope(engine) as session:
        item = session.get(QualitativeItem, items[0].id)
        assert item is not None
        assert (item.deleted_on, item.deletion_reason) == (DUE_DAY, "retention_period_ended")
        person = session.get(Participant, person.id)
        assert person is not None and person.contact_sealed is None
        assert person.contact_deleted_on == DUE_DAY
    assert set(certificates(engine)) == {recording, contact}


def test_object_removed_outside_a_run_is_gone_and_starts_again_if_stored_again(
    engine: Engine, workspace: Workspace, dpo: User, tmp_path: Path
) -> None:
    landing = Landing.for_workspace(workspace)
    sha = landing.list()[0]
    original = tmp_path / "return.xlsx"
    original.write_bytes(landing.read(sha))
    key = f"{LANDING_FILE}:{sha}"
    with session_scope(engine) as session:
        sync_ledger(session, workspace, today=START)
    landing.shred(sha)  # e.g. an erasure: it keeps its own record
    with session_scope(engine) as session:
        report = sync_ledger(session, workspace, today=START)
        listed = {r.key for r in plan(session, dpo, START)}
    assert report.gone == 1 and ledger(engine)[key].status == "gone" and key not in listed
    landing.put(original, reland_shredded=True)
    with session_scope(engine) as session:
        report = sync_ledger(session, workspace, today=START)
    assert report.reappeared == 1 and ledger(engine)[key].status == "kept"
    with session_scope(engine) as session:
        run(session, workspace, dpo, DUE_DAY)
    assert certificates(engine)[key] == 1


def test_npd_data_is_due_when_the_srs_licence_ends(
    engine: Engine,
    empty_workspace: Workspace,
    dpo: User,
    researcher: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with session_scope(engine) as session:
        row = register_object(session, "npd_extract", "extract-2025", "dfe_education_extract",
                              workspace=empty_workspace, today=START)  # fmt: skip
        assert (row.rule_id, row.due_on, row.status) == ("srs_licence", None, "kept")
        with pytest.raises(PermissionDenied):
            record_licence_end(session, researcher, empty_workspace, D(2029, 12, 31), today=START)
        assert record_licence_end(session, dpo, empty_workspace, D(2029, 12, 31), today=START) == 1
        # A later extract inherits the licence end recorded for the study.
        later = register_object(session, "npd_extract", "extract-2026", "dfe_education_extract",
                                workspace=empty_workspace, today=START)  # fmt: skip
        sync_ledger(session, empty_workspace, today=dt.date(2030, 1, 1))
    rows = ledger(engine)
    assert rows["npd_extract:extract-2025"].due_on == D(2029, 12, 31)
    assert rows[later.key].status == "due"
    # The slice that keeps NPD extracts says how they are deleted.
    monkeypatch.setitem(deleters._DELETERS, "npd_extract", lambda context, row: {"method": "test"})
    with session_scope(engine) as session:
        report = run(session, empty_workspace, dpo, dt.date(2030, 1, 1))
    assert sorted(report.deleted) == ["npd_extract:extract-2025", "npd_extract:extract-2026"]
    with session_scope(engine) as session, pytest.raises(UserError, match="cannot be registered"):
        register_object(session, "npd_extract", "extract-2025", "dfe_education_extract",
                        workspace=empty_workspace, today=START)  # fmt: skip
