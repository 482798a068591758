"""How each kind of object in the retention ledger is deleted.

Every deleter must be idempotent: a retention run interrupted after it started deleting an
object calls the deleter again on the rerun, so deleting what is already gone must succeed
(shredding an absent key, deleting rows that are no longer there). A deleter returns details
for the deletion certificate: counts and methods only, never personal data.

Encrypted objects (landing files, quarantined batches, recordings and transcripts) are
crypto-shredded: their wrapped data key is destroyed, so every copy of the ciphertext, backups
included, becomes unreadable. A store partition's rows are deleted in one transaction and the
store is checkpointed, so the deleted rows leave the write-ahead log as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from steward.errors import UserError
from steward.governance.retention.ledger import (
    CONTACT_DETAILS,
    LANDING_FILE,
    QUALITATIVE_ITEM,
    QUARANTINE_BATCH,
    STORE_PARTITION,
    split_partition,
)
from steward.governance.retention.models import LedgerRow
from steward.workspace import Workspace

if TYPE_CHECKING:
    from steward.landing.objects import EncryptedObjectStore
    from steward.store import ResearchStore

RETENTION_REASON = "retention_period_ended"


@dataclass
class DeletionContext:
    """What a deleter may use: the workspace, the governance session, the day of the run.

    The research store is opened on first use and kept open for the rest of the run.
    """

    workspace: Workspace
    session: Session
    today: dt.date
    _store: ResearchStore | None = field(default=None, repr=False)
    _master: bytes | None = field(default=None, repr=False)

    def store(self) -> ResearchStore:
        """The workspace's research store (opened once per run)."""
        if self._store is None:
            from steward.store import ResearchStore

            self._store = ResearchStore.open(self.workspace)
        return self._store

    def objects(self, folder_name: str) -> EncryptedObjectStore:
        """The encrypted object store in ``folder_name`` of the workspace."""
        from steward.landing.objects import EncryptedObjectStore
        from steward.pseudonymise.keys import MASTER_KEY

        if self._master is None:
            self._master = self.workspace.keys.load(MASTER_KEY)
        return EncryptedObjectStore(self.workspace.root / folder_name, self._master)

    def close(self) -> None:
        """Close the research store if this run opened it."""
        if self._store is not None:
            self._store.close()
            self._store = None


Deleter = Callable[[DeletionContext, LedgerRow], dict[str, Any]]
_DELETERS: dict[str, Deleter] = {}


def register_deleter(kind: str, deleter: Deleter) -> None:
    """Say how objects of ``kind`` are deleted (replacing any earlier deleter for it)."""
    _DELETERS[kind] = deleter


def deleter_for(kind: str) -> Deleter | None:
    """The deleter of ``kind``, or None if nothing knows how to delete it."""
    return _DELETERS.get(kind)


def _shred(folder_name: str) -> Deleter:
    def shred(context: DeletionContext, row: LedgerRow) -> dict[str, Any]:
        had = context.objects(folder_name).shred(row.object_id)
        return {"method": "crypto_shred", "key_destroyed_now": had}

    return shred


def delete_store_partition(context: DeletionContext, row: LedgerRow) -> dict[str, Any]:
    """Delete one LA's rows from one research-store table, in one transaction, then checkpoint."""
    from steward.store.schema import STORE_TABLES

    table, la_code = split_partition(row.object_id)
    if table not in STORE_TABLES or not la_code:
        raise UserError(
            what=f"the ledger names a store partition {row.object_id!r} that cannot exist",
            fix="Check the retention ledger row; store partitions are 'table:la_code'.",
        )
    store = context.store()
    store.con.begin()
    try:
        deleted = store.con.execute(
            f'DELETE FROM "{table}" WHERE la_code = ?', [la_code]
        ).fetchall()
        store.con.commit()
    except BaseException:
        store.con.rollback()
        raise
    store.checkpoint()
    return {"method": "delete_rows", "rows_deleted_now": int(deleted[0][0]) if deleted else 0}


def delete_qualitative_item(context: DeletionContext, row: LedgerRow) -> dict[str, Any]:
    """Crypto-shred a recording, transcript or note and mark it deleted in the consent slice."""
    from steward.governance.consent.models import QualitativeItem

    item = context.session.get(QualitativeItem, int(row.object_id))
    had = False
    if item is not None:
        if item.sha256 is not None:
            had = context.objects("qualitative").shred(item.sha256)
        if item.deleted_on is None:
            item.deleted_on, item.deletion_reason = context.today, RETENTION_REASON
    return {"method": "crypto_shred", "key_destroyed_now": had}


def delete_contact_details(context: DeletionContext, row: LedgerRow) -> dict[str, Any]:
    """Destroy a participant's sealed contact details (the sealed copy and its key)."""
    from sqlalchemy import select

    from steward.governance.consent.models import Participant

    person = context.session.scalar(
        select(Participant).where(Participant.reference == row.object_id)
    )
    if person is not None:
        person.contact_sealed = person.contact_key = None
        person.contact_deleted_on = person.contact_deleted_on or context.today
    return {"method": "destroy_sealed_copy"}


register_deleter(LANDING_FILE, _shred("landing"))
register_deleter(QUARANTINE_BATCH, _shred("quarantine"))
register_deleter(STORE_PARTITION, delete_store_partition)
register_deleter(QUALITATIVE_ITEM, delete_qualitative_item)
register_deleter(CONTACT_DETAILS, delete_contact_details)
