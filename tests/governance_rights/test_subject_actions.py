"""Locating the person and acting on their data, end to end on an ingested workspace."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from sqlalchemy import Engine

from steward.cohort.builder import build_cohort
from steward.errors import PolicyViolation, UserError
from steward.governance.access import User
from steward.governance.db import session_scope
from steward.governance.rights import reporting
from steward.governance.rights import service as rights
from steward.governance.rights.access_pack import build_access_pack
from steward.governance.rights.actions import (
    object_to_processing,
    rectification_values,
    rectify,
    restrict,
)
from steward.governance.rights.locate import (
    birth_year_month,
    forward_to_la,
    locate,
    record_la_answer,
)
from steward.governance.rights.service import RightsKeys
from steward.store import ResearchStore
from steward.study.definition import load_study
from steward.workspace import Workspace

from .conftest import Child
from .helpers import located_request as _located
from .helpers import open_request as _open_request

D = dt.date


def test_locate_hashes_the_la_id_and_never_stores_it(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child = children[0]
    reference = _located(engine, dpo, keys, workspace, child, ["access"])
    with engine.connect() as conn:
        dumped = " ".join(
            str(row)
            for table in ("rights_requests", "rights_actions", "audit_entries")
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
        )
    assert child.la_child_id not in dumped
    assert reference in dumped


def test_person_not_in_the_data_is_forwarded_to_the_la(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    reference = _open_request(engine, dpo, keys, ["access"])
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        request = locate(session, dpo, keys, store, reference, la_code=children[0].la_code,
                         la_child_id="NOT-A-CHILD-0001")  # fmt: skip
        assert request.locate_status == "not_found" and request.child_pid is None
        with pytest.raises(UserError, match="not been located"):
            build_access_pack(session, dpo, keys, store, reference, workspace.root / "pack")
        letter = forward_to_la(session, dpo, reference, la_code=children[0].la_code,
                               on=D(2026, 10, 2))  # fmt: skip
        assert reference in letter and "Sam" not in letter
        answered = record_la_answer(session, dpo, reference, answer="LA answered directly",
                                    on=D(2026, 10, 9))  # fmt: skip
        assert answered.la_answered_on == D(2026, 10, 9)
        stats = reporting.accountability_statistics(session, dpo, today=D(2026, 10, 10))
    assert stats["forwarded_to_la"] == 1


def test_parent_asking_for_a_child_of_16_or_over_needs_the_childs_consent(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    with ResearchStore.open(workspace) as store:
        older = next(
            c for c in children
            if (born := birth_year_month(store, c.pid)) is not None and born <= D(2010, 1, 1)
        )  # fmt: skip
    reference = _open_request(engine, dpo, keys, ["access"], relationship="parent")
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        request = locate(session, dpo, keys, store, reference, la_code=older.la_code,
                         la_child_id=older.la_child_id)  # fmt: skip
        assert request.child_holds_right
        with pytest.raises(PolicyViolation, match="16 or over"):
            build_access_pack(session, dpo, keys, store, reference, workspace.root / "pack")
        rights.record_child_consent(session, dpo, reference, status="child_consented",
                                    evidence_ref="signed form CF-9")  # fmt: skip
        pack = build_access_pack(session, dpo, keys, store, reference, workspace.root / "pack")
    assert pack.parts


def test_access_pack_holds_every_record_with_a_manifest(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child = children[1]
    reference = _located(engine, dpo, keys, workspace, child, ["access", "portability"])
    out = workspace.root / "pack"
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        expected = {
            table: store.query(f'SELECT count(*) FROM "{table}" WHERE child_pid = ?', [child.pid])
            .column(0)[0].as_py()
            for table in ("dr2_referrals", "dr2_cp", "dr2_cla", "dr3_periods_of_care")
        }  # fmt: skip
        pack = build_access_pack(session, dpo, keys, store, reference, out)
    for table, rows in expected.items():
        assert pack.parts.get(table, 0) == rows
    manifest = json.loads((out / "manifest.json").read_text())
    referrals = next(p for p in manifest["parts"] if p["part"] == "dr2_referrals")
    assert referrals["label"] == "Referrals to children's social care"
    assert any("legitimate interests" in b for b in referrals["lawful_bases"])
    assert any("five years" in r for r in referrals["retention"])
    assert "Ethnicity" in referrals["what"] or "Ethnic group" in str(referrals["what"])
    assert "dr2_referrals" in manifest["review_before_sending"]  # referral may concern others
    with (out / "dr2_referrals.csv").open() as fh:
        header = next(csv.reader(fh))
    assert "Month and year of birth" in header and "child_pid" not in header
    data = json.loads((out / "data.json").read_text())
    assert len(data["dr2_referrals"]) == expected["dr2_referrals"]
    with (
        pytest.raises(UserError, match="not empty"),
        session_scope(engine) as session,
        ResearchStore.open(workspace) as store,
    ):
        build_access_pack(session, dpo, keys, store, reference, out)


def test_restriction_and_objection_drop_out_of_the_cohort(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    study = load_study("no_wrong_door")
    with ResearchStore.open(workspace) as store:
        before = set(build_cohort(store.sql, study).data["child_pid"])
    restricted, objecting = [c for c in children if c.pid in before][:2]
    ref_r = _located(engine, dpo, keys, workspace, restricted, ["restriction"])
    ref_o = _located(engine, dpo, keys, workspace, objecting, ["object"])
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        restrict(session, dpo, store, ref_r, reason="accuracy contested")
        object_to_processing(session, dpo, store, ref_o)
    with ResearchStore.open(workspace) as store:
        after = set(build_cohort(store.sql, study).data["child_pid"])
        current = set(store.current("dr2_referrals").column("child_pid").to_pylist())
    assert restricted.pid not in after and objecting.pid not in after
    assert restricted.pid not in current and objecting.pid not in current
    assert before - after == {restricted.pid, objecting.pid}


def test_objection_not_upheld_needs_compelling_grounds(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child = children[2]
    reference = _located(engine, dpo, keys, workspace, child, ["object"])
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        with pytest.raises(Exception, match="not stated"):
            object_to_processing(session, dpo, store, reference, compelling_grounds=" ")
        action = object_to_processing(
            session, dpo, store, reference,
            compelling_grounds="statutory inspection of the evaluation requires the record",
        )  # fmt: skip
        assert action.kind == "objection_not_upheld"
        flags = store.query("SELECT * FROM subject_flags WHERE child_pid = ?", [child.pid])
    assert flags.num_rows == 0


def test_rectification_keeps_before_and_after_sealed(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child = children[3]
    reference = _located(engine, dpo, keys, workspace, child, ["rectification"])
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        old = store.query("SELECT gender FROM dr2_referrals WHERE child_pid = ?", [child.pid])
        new_value = "9" if old.column(0)[0].as_py() != "9" else "1"
        action = rectify(session, dpo, keys, store, reference, table="dr2_referrals",
                         column="gender", new_value=new_value)  # fmt: skip
        after = store.query("SELECT DISTINCT gender FROM dr2_referrals WHERE child_pid = ?",
                            [child.pid]).column(0).to_pylist()  # fmt: skip
        with pytest.raises(Exception, match="cannot be rectified"):
            rectify(session, dpo, keys, store, reference, table="dr2_referrals",
                    column="child_pid", new_value="x")  # fmt: skip
    assert after == [new_value]
    values = rectification_values(keys, action)
    assert values["after"] == new_value and values["before"] == old.column(0).to_pylist()
    with engine.connect() as conn:
        details = [r[0] for r in conn.exec_driver_sql("SELECT details FROM audit_entries")]
    assert all("before" not in str(d) for d in details)
