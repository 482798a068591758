"""Erasure end to end: no trace of the pseudonym anywhere afterwards; exemption and archive."""

from __future__ import annotations

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
