"""Erasure: remove a person from every store table, the quarantine and derived outputs.

What happens, in order:

1. the DPO may record that the research exemption applies (DPA 2018 Sch.2 para 27): nothing is
   deleted and the reasoning is kept with the request;
2. the person's rows go from every store table (``subject_flags`` included), then the DuckDB
   file is rewritten, because DuckDB keeps deleted values in free blocks until a file is copied;
3. each quarantine batch holding the person is re-encrypted without their rows as a new object
   and the old object's key is shredded (both shas recorded);
4. each landing file that held the person (the submissions their rows came from) is rewritten
   without their rows as a new encrypted object and the old one shredded (both shas recorded);
   with ``shred_landing`` the whole file is shredded instead; a file that cannot be rewritten
   here (not xlsx or CSV) is recorded as due for rewrite;
5. derived outputs that mention the pseudonym are deleted and recorded as due for rebuild;
   the person's research participation (if linked to them) loses its qualitative data (crypto-
   shredded), its contact details and its link to the pseudonym;
6. if an anonymised archive was already built, the request records that it cannot be deleted
   from it (it identifies no one), as the privacy notice says;
7. a one-way tombstone digest is kept so a later return cannot bring the person back, and the
   request forgets the pseudonym.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.rights.actions import located
from steward.governance.rights.landing_rewrite import rewrite_without
from steward.governance.rights.locate import child_tables, tombstone_digest
from steward.governance.rights.models import ErasureTombstone, RightsActionRecord
from steward.governance.rights.service import RightsKeys, add_action, get_request
from steward.ingest import study_local_authorities
from steward.landing import Landing, Quarantine
from steward.pseudonymise.pseudonym import pseudonym_reference
from steward.store import ResearchStore
from steward.workspace import Workspace

ARCHIVE_NOTE = (
    "The anonymised archive copy cannot be erased: it no longer identifies anyone, so the "
    "person's data in it cannot be found (privacy notice, 'Archiving for future research')."
)


@requires(Permission.RIGHTS_MANAGE)
def erase(
    session: Session,
    actor: User,
    keys: RightsKeys,
    workspace: Workspace,
    reference: str,
    *,
    research_exemption: str | None = None,
    shred_landing: bool = False,
    archive_built: bool = False,
) -> RightsActionRecord:
    """Erase the located person of request ``reference`` (see the module docstring).

    The research store must not be open elsewhere: its file is rewritten.
    """
    request = get_request(session, reference)
    pid = located(request, "erasure")
    if research_exemption is not None:
        if not research_exemption.strip():
            raise ValidationError(
                what="the research exemption was claimed without reasoning",
                fix="The DPO must record why erasure would seriously impair the research.",
            )
        return add_action(
            session, actor, request, "erasure_exempt", {"erased": False}, reason=research_exemption
        )
    with ResearchStore.open(workspace) as store:
        submissions, rows = _erase_from_store(store, pid)
    compact_store(workspace.store_file)
    quarantine = _erase_from_quarantine(
        Quarantine.for_workspace(workspace), keys, pid, request.la_code
    )
    landing = Landing.for_workspace(workspace)
    landed = {s: n for s, n in sorted(submissions.items()) if landing.exists(s)}
    shredded = [s for s in landed if shred_landing and landing.shred(s)]
    rewritten: list[dict[str, Any]] = []
    due: list[str] = []
    if not shred_landing:
        authorities = study_local_authorities(workspace)
        for sha, file_name in landed.items():
            done = rewrite_without(
                landing, sha, Path(file_name).suffix, keys.pseudonym, pid, authorities
            )
            if done is None:
                due.append(sha)
            else:
                rewritten.append(
                    {"old_sha": done.old_sha, "new_sha": done.new_sha, "rows": done.rows_removed}
                )
    outputs = _erase_from_outputs(workspace.outputs, pid)
    participants = _erase_participation(session, workspace, pid)
    summary: dict[str, Any] = {
        "erased": True,
        "store_rows": rows,
        "quarantine_rewritten": quarantine,
        "landing_shredded": shredded,
        "landing_rewritten": rewritten,
        "landing_due_rewrite": due,
        "outputs_due_rebuild": outputs,
        "participants_erased": participants,
        "archive_copy_kept": archive_built,
    }
    action = add_action(
        session,
        actor,
        request,
        "erased",
        summary,
        reason=ARCHIVE_NOTE if archive_built else None,
    )
    session.add(
        ErasureTombstone(
            digest=tombstone_digest(pid),
            request_reference=request.reference,
            erased_at=dt.datetime.now(dt.UTC),
        )
    )
    request.child_pid = None
    session.flush()
    return action


def _erase_from_store(store: ResearchStore, pid: str) -> tuple[dict[str, str], dict[str, int]]:
    """Delete every row of ``pid``; the submissions (landing shas → file names) they came from."""
    found_ids: set[str] = set()
    rows: dict[str, int] = {}
    store.con.begin()
    try:
        for table in child_tables():
            columns = store.query(f'SELECT * FROM "{table}" LIMIT 0').column_names
            if "submission_id" in columns:
                found = store.query(
                    f'SELECT DISTINCT submission_id FROM "{table}" WHERE child_pid = ?', [pid]
                )
                found_ids.update(s for s in found.column(0).to_pylist() if s)
            count = store.con.execute(
                f'SELECT count(*) FROM "{table}" WHERE child_pid = ?', [pid]
            ).fetchall()[0][0]
            if count:
                store.con.execute(f'DELETE FROM "{table}" WHERE child_pid = ?', [pid])
                rows[table] = int(count)
        ledger = store.query("SELECT submission_id, file_name FROM submissions").to_pylist()
        submissions = {
            r["submission_id"]: r["file_name"] for r in ledger if r["submission_id"] in found_ids
        }
        store.con.commit()
    except BaseException:
        store.con.rollback()
        raise
    return submissions, rows


def compact_store(path: Path) -> None:
    """Rewrite the DuckDB file so deleted values leave no trace in its free blocks.

    Copies every table into a fresh file and atomically replaces the old one; the views are
    re-created by the next ``ResearchStore`` open.
    """
    import duckdb

    fresh = path.with_name(f".{path.name}.compact")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("CHECKPOINT")
        name = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"ATTACH '{fresh}' AS steward_fresh")
        con.execute(f'COPY FROM DATABASE "{name}" TO steward_fresh')
        con.execute("DETACH steward_fresh")
    finally:
        con.close()
    os.replace(fresh, path)
    Path(f"{path}.wal").unlink(missing_ok=True)


def _erase_from_quarantine(
    quarantine: Quarantine, keys: RightsKeys, pid: str, la_code: str | None
) -> list[dict[str, str | None]]:
    """Re-encrypt each quarantine batch holding ``pid`` without those rows; shred the old one."""
    rewritten: list[dict[str, str | None]] = []
    for sha in quarantine.list():
        batch = quarantine.read(sha)
        if "child_id" not in batch.column_names:
            continue
        ids = batch.column("child_id").to_pylist()
        las = (
            batch.column("la_code").to_pylist()
            if "la_code" in batch.column_names
            else [la_code] * batch.num_rows
        )
        keep = [
            pseudonym_reference(keys.pseudonym, la, str(raw) if raw is not None else None) != pid
            for la, raw in zip(las, ids, strict=True)
        ]
        if all(keep):
            continue
        remainder = batch.filter(pa.array(keep))
        new_sha = quarantine.put(remainder).sha256 if remainder.num_rows else None
        quarantine.shred(sha)
        rewritten.append({"old_sha": sha, "new_sha": new_sha})
    return rewritten


def _mentions(path: Path, pid: str) -> bool:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return any(
            pa.types.is_string(col.type) and pc.any(pc.equal(col, pid)).as_py()
            for col in table.columns
        )
    return pid.encode() in path.read_bytes()


def _erase_from_outputs(outputs: Path, pid: str) -> list[str]:
    """Delete derived output files that mention ``pid``; they are due for rebuild."""
    removed: list[str] = []
    if not outputs.is_dir():
        return removed
    for path in sorted(p for p in outputs.rglob("*") if p.is_file()):
        if _mentions(path, pid):
            path.unlink()
            removed.append(str(path.relative_to(outputs)))
    return removed


def _erase_participation(session: Session, workspace: Workspace, pid: str) -> int:
    """Shred the qualitative data and contact details of participants linked to ``pid``."""
    from steward.governance.consent.models import Participant, QualitativeItem
    from steward.governance.consent.service import QualitativeVault

    people = list(session.scalars(select(Participant).where(Participant.child_pid == pid)))
    if not people:
        return 0
    objects = QualitativeVault.for_workspace(workspace).objects
    today = dt.date.today()
    for person in people:
        for item in session.scalars(
            select(QualitativeItem).where(QualitativeItem.participant_id == person.id)
        ):
            if item.sha256 is not None and item.deleted_on is None:
                objects.shred(item.sha256)
            item.deleted_on = item.deleted_on or today
            item.deletion_reason = item.deletion_reason or "erasure"
        person.contact_sealed = person.contact_key = None
        person.contact_deleted_on = person.contact_deleted_on or today
        person.child_pid = None
    session.flush()
    return len(people)
