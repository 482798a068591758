"""Retention runs: exactly the due, unheld objects are deleted and certified; copies of shredded
objects no longer decrypt; everything else is untouched; legal holds are respected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from steward.errors import PermissionDenied, UserError
from steward.governance.access import User
from steward.governance.audit import AuditEntry
from steward.governance.db import session_scope
from steward.governance.retention import (
    LANDING_FILE,
    QUARANTINE_BATCH,
    STORE_PARTITION,
    hold_local_authority,
    place_hold,
    plan,
    register_object,
    release_hold,
    run,
)
from steward.landing import EncryptedObjectError, Landing, Quarantine
from steward.workspace import Workspace

from .helpers import DUE_DAY, HELD_LA, D, certificates, ledger, object_files, store_rows


def test_plan_lists_what_falls_due_and_when(
    engine: Engine, workspace: Workspace, researcher: User
) -> None:
    with session_scope(engine) as session:
        register_object(session, "npd_extract", "extract-2025", "dfe_education_extract",
                        workspace=workspace, today=D(2027, 1, 4), licence_end=D(2029, 12, 31))  # fmt: skip
        rows = plan(session, researcher, D(2030, 1, 1), workspace)
    assert rows[0].key == "npd_extract:extract-2025" and rows[0].status == "due"
    assert {(r.due_on, r.status) for r in rows[1:]} == {(D(2031, 6, 30), "kept")}
    assert {r.kind for r in rows} >= {LANDING_FILE, QUARANTINE_BATCH, STORE_PARTITION}


def test_run_deletes_exactly_the_due_objects_and_certifies_each(
    engine: Engine, workspace: Workspace, dpo: User, tmp_path: Path
) -> None:
    landing = Landing.for_workspace(workspace)
    backup = tmp_path / "backup"
    shutil.copytree(workspace.landing, backup)  # a backup taken before the run
    with session_scope(engine) as session:
        plan(session, dpo, D(2027, 1, 4), workspace)
        held = hold_local_authority(session, dpo, HELD_LA, "litigation hold LH-17", today=D(2027, 1, 4))  # fmt: skip
    held_keys = {r.key for r in held}
    held_files = {r.object_id for r in held if r.kind == LANDING_FILE}
    assert held_files and any(r.kind == STORE_PARTITION for r in held)
    rows_before = store_rows(workspace)
    held_bytes = {sha: landing.read(sha) for sha in held_files}
    untouched_before = {k: v for k, v in object_files(workspace.landing).items()
                        if any(sha in k for sha in held_files)}  # fmt: skip

    with session_scope(engine) as session:
        report = run(session, workspace, dpo, DUE_DAY)

    rows = ledger(engine)
    due = {k for k, r in rows.items() if k not in held_keys}
    assert set(report.deleted) == due and set(report.held) == held_keys and not report.blocked
    assert {r.status for k, r in rows.items() if k in due} == {"deleted"}
    assert {r.status for k, r in rows.items() if k in held_keys} == {"held"}
    # One certificate per deleted object, none for held ones; the chain still verifies.
    certified = certificates(engine)
    assert set(certified) == due and set(certified.values()) == {1}
    certificate = next(c for c in report.certificates if c.key.startswith(STORE_PARTITION))
    assert certificate.rule_id == "study_data_five_years" and certificate.deleted_by == dpo.username
    assert certificate.details["rows_deleted_now"] == certificate.details["extent"] > 0

    # Shredded files no longer decrypt, not even from the backup copy of their ciphertext.
    gone = [r.object_id for k, r in rows.items() if k in due and r.kind == LANDING_FILE]
    assert gone and not any(landing.exists(sha) for sha in gone)
    for sha in gone[:3]:
        shutil.copy(backup / "objects" / sha, workspace.landing / "objects" / sha)
        with pytest.raises(EncryptedObjectError, match="crypto-shredded"):
            landing.read(sha)
    assert not Quarantine.for_workspace(workspace).list()
    # The held LA's files and rows are untouched, byte for byte; every other LA's rows are gone.
    assert {sha: landing.read(sha) for sha in held_files} == held_bytes
    after = object_files(workspace.landing)
    assert {k: after[k] for k in untouched_before} == untouched_before
    rows_after = store_rows(workspace)
    assert {k: n for k, n in rows_before.items() if k[1] == HELD_LA} == +rows_after
    assert all(la == HELD_LA for _, la in rows_after)

    # A second run on the same day has nothing left to do.
    with session_scope(engine) as session:
        again = run(session, workspace, dpo, DUE_DAY)
    assert again.certificates == [] and certificates(engine) == certified


def test_holds_are_listed_respected_and_released(
    engine: Engine, workspace: Workspace, dpo: User, researcher: User
) -> None:
    key = f"{STORE_PARTITION}:dr2_referrals:{HELD_LA}"
    with session_scope(engine) as session:
        plan(session, dpo, D(2027, 1, 4), workspace)
        with pytest.raises(PermissionDenied):
            place_hold(session, researcher, key, "no", today=D(2027, 1, 4))
        with pytest.raises(UserError, match="no object"):
            place_hold(session, dpo, "store_partition:nope:1", "x", today=D(2027, 1, 4))
        with pytest.raises(UserError, match="needs a reason"):
            place_hold(session, dpo, key, "  ", today=D(2027, 1, 4))
        place_hold(session, dpo, key, "ICO investigation IC-1234", today=D(2027, 1, 4))
        listed = {r.key: r.status for r in plan(session, researcher, DUE_DAY)}
    assert listed[key] == "held" and set(listed.values()) == {"held", "due"}
    with session_scope(engine) as session, pytest.raises(PermissionDenied):
        run(session, workspace, researcher, DUE_DAY)
    with session_scope(engine) as session:
        first = run(session, workspace, dpo, DUE_DAY)
    assert key not in first.deleted and first.held == [key]
    assert store_rows(workspace)[("dr2_referrals", HELD_LA)] > 0
    with session_scope(engine) as session:
        with pytest.raises(UserError, match="already deleted"):
            place_hold(session, dpo, first.deleted[0], "too late", today=DUE_DAY)
        released = release_hold(session, dpo, key, "investigation closed", today=DUE_DAY)
        assert released.status == "due"
    with session_scope(engine) as session:
        second = run(session, workspace, dpo, DUE_DAY)
    assert second.deleted == [key] and ("dr2_referrals", HELD_LA) not in store_rows(workspace)
    with session_scope(engine) as session:
        steps = [e.details.get("step") for e in session.scalars(
            select(AuditEntry).where(AuditEntry.object_id == key).order_by(AuditEntry.seq))]  # fmt: skip
    assert steps == ["hold_placed", "hold_released", None]  # the last is the certificate


def test_due_object_without_a_deleter_is_reported_not_marked_deleted(
    engine: Engine, workspace: Workspace, dpo: User
) -> None:
    with session_scope(engine) as session:
        register_object(session, "paper_file", "box-3", "consent_record", "box_rule",
                        D(2028, 1, 1), workspace=workspace, today=D(2027, 1, 4))  # fmt: skip
        report = run(session, workspace, dpo, D(2028, 1, 2))
    assert report.blocked == ["paper_file:box-3"] and report.certificates == []
    assert ledger(engine)["paper_file:box-3"].status == "due"
