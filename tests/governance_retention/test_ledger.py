"""The retention ledger: every stored object found, its rule and its due date from the settings."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select

from steward.errors import UserError
from steward.governance.db import alembic_config, current_revision, load_models, session_scope
from steward.governance.retention import (
    LANDING_FILE,
    QUARANTINE_BATCH,
    STORE_PARTITION,
    LedgerRow,
    partition_id,
    register_object,
    sync_ledger,
)
from steward.landing import Landing, Quarantine
from steward.store import ResearchStore
from steward.workspace import Workspace, open_workspace

D = dt.date
BEFORE = D(2027, 1, 4)


def _rows(engine: Engine) -> dict[str, LedgerRow]:
    with session_scope(engine) as session:
        return {r.key: r for r in session.scalars(select(LedgerRow))}


def test_migration_gives_the_models_schema_at_the_single_head(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, load_models()) == []
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1 and current_revision(engine) == heads[0]


def test_sync_finds_every_landing_file_quarantine_batch_and_store_partition(
    engine: Engine, workspace: Workspace
) -> None:
    with session_scope(engine) as session:
        report = sync_ledger(session, workspace, today=BEFORE)
    rows = _rows(engine)
    kinds = Counter(r.kind for r in rows.values())
    assert kinds[LANDING_FILE] == len(Landing.for_workspace(workspace).list()) > 0
    assert kinds[QUARANTINE_BATCH] == len(Quarantine.for_workspace(workspace).list()) > 0
    with ResearchStore.open(workspace) as store:
        counts = dict(
            zip(
                *store.query("SELECT la_code, count(*) FROM dr2_referrals GROUP BY 1").columns,
                strict=True,
            )
        )
        las = set(store.query("SELECT DISTINCT la_code FROM submissions").column(0).to_pylist())
    for la, n in counts.items():
        row = rows[f"{STORE_PARTITION}:{partition_id('dr2_referrals', la.as_py())}"]
        assert (row.la_code, row.extent) == (la.as_py(), n.as_py())
    assert {r.la_code for r in rows.values() if r.kind == LANDING_FILE} == las
    assert report.added == len(rows) and report.due == 0 and report.held == 0
    # The notice: "we will delete all of the data in 2031" (five years after 30 June 2026).
    assert {(r.rule_id, r.due_on, r.status) for r in rows.values()} == {
        ("study_data_five_years", D(2031, 6, 30), "kept")
    }


def test_due_dates_follow_the_final_report_date_and_status_follows_today(
    engine: Engine, workspace: Workspace
) -> None:
    with session_scope(engine) as session:
        sync_ledger(session, workspace, today=BEFORE)
    later = open_workspace(workspace.root, final_report_date=D(2027, 3, 31))
    with session_scope(engine) as session:
        report = sync_ledger(session, later, today=D(2032, 3, 31))
    rows = _rows(engine)
    assert report.added == 0 and report.redated == len(rows) == report.due
    assert {(r.due_on, r.status) for r in rows.values()} == {(D(2032, 3, 31), "due")}
    with session_scope(engine) as session:
        sync_ledger(session, later, today=D(2032, 3, 30))
    assert {r.status for r in _rows(engine).values()} == {"kept"}


def test_registered_objects_licence_end_and_fixed_dates(
    engine: Engine, workspace: Workspace
) -> None:
    with session_scope(engine) as session:
        npd = register_object(
            session, "npd_extract", "extract-2025", "dfe_education_extract",
            workspace=workspace, today=BEFORE, licence_end=D(2029, 12, 31),
        )  # fmt: skip
        assert (npd.rule_id, npd.due_on) == ("srs_licence", D(2029, 12, 31))
        fixed = register_object(
            session, "transcript_copy", "handoff-7", "interview_data", "provider_7_days",
            D(2026, 1, 8), workspace=workspace, today=D(2026, 1, 9),
        )  # fmt: skip
        assert (fixed.rule_id, fixed.due_on, fixed.status) == (
            "provider_7_days", D(2026, 1, 8), "due",
        )  # fmt: skip
        with pytest.raises(UserError, match="found by the ledger itself"):
            register_object(session, LANDING_FILE, "x", "social_care_event",
                            workspace=workspace, today=BEFORE)  # fmt: skip
    # A later final report moves the study-data rule, not the licence or a fixed date.
    later = open_workspace(workspace.root, final_report_date=D(2027, 3, 31))
    with session_scope(engine) as session:
        sync_ledger(session, later, today=BEFORE)
    rows = _rows(engine)
    assert rows["npd_extract:extract-2025"].due_on == D(2029, 12, 31)
    assert rows["transcript_copy:handoff-7"].due_on == D(2026, 1, 8)
    assert rows[next(k for k in rows if k.startswith(LANDING_FILE))].due_on == D(2032, 3, 31)


def test_unknown_category_is_a_clear_error(engine: Engine, workspace: Workspace) -> None:
    from steward.errors import ConfigError

    with session_scope(engine) as session, pytest.raises(ConfigError, match="unknown data"):
        register_object(session, "npd_extract", "e1", "shoe_size", workspace=workspace,
                        today=BEFORE)  # fmt: skip
