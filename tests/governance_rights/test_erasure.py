"""Erasure end to end: no trace of the pseudonym anywhere afterwards; exemption and archive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from steward.errors import UserError
from steward.governance.access import User
from steward.governance.db import session_scope
from steward.governance.rights import service as rights
from steward.governance.rights.erasure import erase
from steward.governance.rights.locate import is_erased
from steward.governance.rights.models import RightsActionRecord
from steward.governance.rights.service import RightsKeys
from steward.landing import Landing, Quarantine
from steward.store import ResearchStore
from steward.workspace import Workspace

from .conftest import Child
from .helpers import located_request as _located


def _all_text(workspace: Workspace, landing: Landing, quarantine: Quarantine) -> bytes:
    """Every byte of the workspace's files, plus every decrypted landing and quarantine object."""
    blobs = [p.read_bytes() for p in workspace.root.rglob("*") if p.is_file()]
    blobs += [landing.read(sha) for sha in landing.list()]
    for sha in quarantine.list():
        blobs.append(str(quarantine.read(sha).to_pylist()).encode())
    return b"\n".join(blobs)


@pytest.mark.slow
def test_erasure_leaves_no_trace_of_the_pseudonym(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child, other = children[4], children[5]
    # A derived output naming the child, and a quarantine batch holding their raw id.
    workspace.outputs.mkdir(exist_ok=True)
    pq.write_table(pa.table({"child_pid": [child.pid, other.pid]}), workspace.outputs / "c.parquet")
    (workspace.outputs / "unrelated.csv").write_text("a,b\n1,2\n")
    quarantine = Quarantine.for_workspace(workspace)
    quarantine.put(pa.table({
        "child_id": [child.la_child_id, other.la_child_id],
        "la_code": [child.la_code, other.la_code],
        "reason": ["R1 fictional rule", "R1 fictional rule"],
    }))  # fmt: skip
    landing = Landing.for_workspace(workspace)
    assert child.pid.encode() in (workspace.store_file.read_bytes())
    reference = _located(engine, dpo, keys, workspace, child, ["erasure"])
    with session_scope(engine) as session:
        action = erase(session, dpo, keys, workspace, reference, shred_landing=True)
        summary = action.summary
    assert summary["erased"] and summary["store_rows"]
    assert summary["outputs_due_rebuild"] == ["c.parquet"]
    assert summary["landing_shredded"]  # the files the child came from
    assert len(summary["quarantine_rewritten"]) == 1
    everything = _all_text(workspace, landing, quarantine)
    assert child.pid.encode() not in everything
    assert child.la_child_id.encode() not in everything
    with ResearchStore.open(workspace) as store:
        for table in (
            store.query("SELECT table_name FROM information_schema.tables").column(0).to_pylist()
        ):
            columns = store.query(f'SELECT * FROM "{table}" LIMIT 0').column_names
            for column in columns:
                hits = (
                    store.query(
                        f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS VARCHAR) = ?',
                        [child.pid],
                    )
                    .column(0)[0]
                    .as_py()
                )
                assert hits == 0, (table, column)
        # Other children are untouched.
        assert store.query("SELECT count(*) FROM dr2_referrals WHERE child_pid = ?",
                           [other.pid]).column(0)[0].as_py() > 0  # fmt: skip
    assert (workspace.outputs / "unrelated.csv").exists()
    kept = [
        raw
        for sha in quarantine.list()
        for raw in quarantine.read(sha).column("child_id").to_pylist()
    ]
    assert other.la_child_id in kept  # the other person in the rewritten batch stays
    with session_scope(engine) as session:
        assert is_erased(session, child.pid)
        request = rights.get_request(session, reference)
        assert request.child_pid is None
        assert session.scalars(select(RightsActionRecord)).all()


def test_erasure_exemption_and_archive_are_recorded(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child = children[6]
    reference = _located(engine, dpo, keys, workspace, child, ["erasure"])
    with session_scope(engine) as session:
        action = erase(session, dpo, keys, workspace, reference,
                       research_exemption="erasure would seriously impair the trial analysis "
                       "(DPA 2018 Sch.2 para 27); data pseudonymised")  # fmt: skip
        assert action.kind == "erasure_exempt" and "seriously impair" in (action.reason or "")
    with ResearchStore.open(workspace) as store:
        assert store.query("SELECT count(*) FROM dr2_referrals WHERE child_pid = ?",
                           [child.pid]).column(0)[0].as_py() > 0  # fmt: skip
    with session_scope(engine) as session:
        action = erase(session, dpo, keys, workspace, reference, archive_built=True)
        assert action.summary["archive_copy_kept"] and "cannot be erased" in (action.reason or "")


def test_rights_not_invoked_are_refused(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    reference = _located(engine, dpo, keys, workspace, children[7], ["access"])
    with session_scope(engine) as session, pytest.raises(UserError, match="does not invoke"):
        erase(session, dpo, keys, workspace, reference)


def _landed_child_ids(workspace: Workspace, landing: Landing, la_code: str) -> dict[str, list[str]]:
    """Every child id in the LA's readable landed files, decrypted and read as the ingest does
    (files of the LA's earlier submissions, and anything landed since, i.e. the rewrites)."""
    from steward.ingest import study_local_authorities
    from steward.returns import read_return

    with ResearchStore.open(workspace) as store:
        ledger = store.query(
            "SELECT submission_id, file_name, la_code FROM submissions"
        ).to_pylist()
    names = {r["submission_id"]: r["file_name"] for r in ledger}
    others = {r["submission_id"] for r in ledger if r["la_code"] != la_code}
    out: dict[str, list[str]] = {}
    for sha in landing.list():
        if sha in others:
            continue
        suffix = Path(names.get(sha, "x.xlsx")).suffix
        with landing.open_plaintext(sha, suffix) as path:
            reading = read_return(path, local_authorities=study_local_authorities(workspace))
        out[sha] = [
            raw
            for table in reading.tables
            if "child_id" in table.data.column_names
            for raw in table.data.column("child_id").to_pylist()
            if raw
        ]
    return out


@pytest.mark.slow
def test_erasure_rewrites_landed_files_without_the_person(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    child = children[8]
    landing = Landing.for_workspace(workspace)
    before = _landed_child_ids(workspace, landing, child.la_code)
    holding = {sha for sha, ids in before.items() if child.la_child_id in ids}
    assert holding
    reference = _located(engine, dpo, keys, workspace, child, ["erasure"])
    with session_scope(engine) as session:
        summary = erase(session, dpo, keys, workspace, reference).summary
    rewritten = {r["old_sha"]: r for r in summary["landing_rewritten"]}
    assert set(rewritten) == holding and summary["landing_due_rewrite"] == []
    after = _landed_child_ids(workspace, landing, child.la_code)
    for old_sha, record in rewritten.items():
        assert old_sha not in after  # shredded
        new_ids = after[record["new_sha"]]
        old_ids = before[old_sha]
        assert child.la_child_id not in new_ids
        # Everyone else's rows are still there, in order.
        assert new_ids == [i for i in old_ids if i != child.la_child_id]
        assert record["rows"] == old_ids.count(child.la_child_id)


def test_participation_is_in_the_access_pack_and_erased_with_the_person(
    engine: Engine, dpo: User, keys: RightsKeys, workspace: Workspace, children: list[Child]
) -> None:
    from steward.governance.consent import service as consent
    from steward.governance.consent.models import Participant, QualitativeItem
    from steward.governance.rights.access_pack import build_access_pack

    child = children[9]
    vault = consent.QualitativeVault.for_workspace(workspace)
    with session_scope(engine) as session:
        for activity in ("interview", "contact"):
            consent.add_consent_text(session, dpo, activity=activity, text=f"{activity} wording")
        person = consent.register_participant(
            session, dpo, vault, kind="child", contact={"phone": "07700 900456"},
            la_code=child.la_code, la_child_id=child.la_child_id, pseudonym_key=keys.pseudonym,
        )  # fmt: skip
        assert person.child_pid == child.pid
        consent.give_consent(session, dpo, person.reference, activity="interview",
                             on=dt.date(2026, 5, 1))  # fmt: skip
        item = consent.store_item(session, dpo, vault, person.reference, activity="interview",
                                  kind="transcript", content=b"fictional words",
                                  collected_on=dt.date(2026, 5, 2))  # fmt: skip
        sha, person_id = item.sha256, person.id
    reference = _located(engine, dpo, keys, workspace, child, ["access", "erasure"])
    out = workspace.root.parent / "pack"
    with session_scope(engine) as session, ResearchStore.open(workspace) as store:
        pack = build_access_pack(session, dpo, keys, store, reference, out)
    assert pack.parts["participation"] == 1 and pack.parts["qualitative_items"] == 1
    assert "qualitative_items" in pack.review_needed
    assert "07700 900456" in (out / "participation.csv").read_text()
    with session_scope(engine) as session:
        summary = erase(session, dpo, keys, workspace, reference).summary
        assert summary["participants_erased"] == 1
        stored = session.get(Participant, person_id)
        assert stored is not None and stored.child_pid is None and stored.contact_sealed is None
        items = session.scalars(select(QualitativeItem)).all()
        assert [i.deletion_reason for i in items] == ["erasure"]
    assert sha is not None and not vault.objects.exists(sha)
