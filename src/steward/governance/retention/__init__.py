"""Retention: the ledger of stored objects and their due dates, legal holds, and retention runs
that delete (crypto-shred) what is due and certify each deletion in the audit log.

Public API::

    sync_ledger(session, workspace, *, today) -> SyncReport
    register_object(session, kind, object_id, category, rule=None, due_on=None, *, workspace,
                    today, la_code=None, licence_end=None, completed_on=None, recipient=None)
    register_deleter(kind, deleter)
    plan(session, actor, today, workspace=None) -> list[LedgerRow]          # retention.plan
    run(session, workspace, actor, today, *, progress=None) -> RunReport    # retention.run
    place_hold / release_hold(session, actor, object_key, reason, *, today)  # retention.run
    hold_local_authority(session, actor, la, reason, *, today)
    record_licence_end(session, actor, workspace, licence_end, *, today)   # retention.run
"""

from steward.governance.retention.deleters import (
    DeletionContext,
    deleter_for,
    register_deleter,
)
from steward.governance.retention.holds import (
    find_row,
    hold_local_authority,
    place_hold,
    release_hold,
)
from steward.governance.retention.ledger import (
    CONTACT_DETAILS,
    LANDING_FILE,
    QUALITATIVE_ITEM,
    QUARANTINE_BATCH,
    STORE_PARTITION,
    SyncReport,
    partition_id,
    register_object,
    sync_ledger,
)
from steward.governance.retention.licence import record_licence_end
from steward.governance.retention.models import STATUSES, LedgerRow
from steward.governance.retention.run import Certificate, RunReport, plan, run

__all__ = [
    "CONTACT_DETAILS",
    "LANDING_FILE",
    "QUALITATIVE_ITEM",
    "QUARANTINE_BATCH",
    "STATUSES",
    "STORE_PARTITION",
    "Certificate",
    "DeletionContext",
    "LedgerRow",
    "RunReport",
    "SyncReport",
    "deleter_for",
    "find_row",
    "hold_local_authority",
    "partition_id",
    "place_hold",
    "plan",
    "record_licence_end",
    "register_deleter",
    "register_object",
    "release_hold",
    "run",
    "sync_ledger",
]
