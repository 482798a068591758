"""Acting on a located person's data: restriction, objection, rectification.

Restriction and objection set a flag in the store's ``subject_flags``; every ``_current`` view
and so every later read (cohort, analysis, archive) leaves the child out. Erasure lives in
:mod:`.erasure`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from steward.errors import PolicyViolation, UserError, ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.rights.models import RightsActionRecord, RightsRequest
from steward.governance.rights.service import (
    RightsKeys,
    _require_open,
    add_action,
    get_request,
    require_releasable,
)
from steward.policy import default_registry
from steward.policy.model import Registry
from steward.store import ResearchStore
from steward.store.schema import EVENT_TABLES, PROVENANCE_COLUMNS

if TYPE_CHECKING:
    from steward.governance.consent.service import QualitativeVault

RECTIFICATION = "rectification"
# Columns a rectification may not change: identity and provenance of a row.
_FIXED_COLUMNS = frozenset({"child_pid", "referral_pid", *PROVENANCE_COLUMNS})


def located(request: RightsRequest, right: str) -> str:
    """The pseudonym of the request's subject, after the checks every action needs."""
    _require_open(request)
    require_releasable(request)
    if right not in request.rights:
        raise UserError(
            what=f"request {request.reference} does not invoke the right '{right}'",
            fix="Act only on the rights the request invokes (log a new request otherwise).",
        )
    if request.child_pid is None:
        raise UserError(
            what=f"the person of request {request.reference} has not been located in the data",
            fix="Locate them with the LA's child id first ('steward rights locate'), or "
            "forward the request to the LA.",
        )
    return request.child_pid


@requires(Permission.RIGHTS_MANAGE)
def restrict(
    session: Session, actor: User, store: ResearchStore, reference: str, *, reason: str
) -> RightsActionRecord:
    """Restrict use of the person's data: flagged ``restricted``, left out of every read."""
    request = get_request(session, reference)
    pid = located(request, "restriction")
    if not reason.strip():
        raise ValidationError(
            what="no ground for restriction was recorded",
            fix="Say which ground applies (accuracy contested, unlawful use, legal claims, "
            "pending objection).",
        )
    store.flag_subject(pid, "restricted", request.reference)
    return add_action(session, actor, request, "restricted", {"flag": "restricted"}, reason=reason)


def legitimate_interest_purposes(registry: Registry) -> list[str]:
    """Purposes whose lawful basis is legitimate interests (objection applies to these)."""
    return [
        p.id
        for p in registry.purposes
        if p.lawful_basis is not None and p.lawful_basis.basis == "legitimate_interests"
    ]


@requires(Permission.RIGHTS_MANAGE)
def object_to_processing(
    session: Session,
    actor: User,
    store: ResearchStore,
    reference: str,
    *,
    compelling_grounds: str | None = None,
    registry: Registry | None = None,
) -> RightsActionRecord:
    """Uphold an objection to legitimate-interests processing (flag ``objected``) unless the DPO
    records compelling legitimate grounds that override the person's interests."""
    request = get_request(session, reference)
    pid = located(request, "object")
    purposes = legitimate_interest_purposes(registry or default_registry())
    if not purposes:
        raise PolicyViolation(
            what="no purpose relies on legitimate interests, so there is nothing to object to",
            fix="Answer the requester explaining the lawful bases in the privacy notice.",
        )
    if compelling_grounds is not None:
        if not compelling_grounds.strip():
            raise ValidationError(
                what="compelling grounds were claimed but not stated",
                fix="The DPO must record the grounds that override the person's interests.",
            )
        return add_action(
            session,
            actor,
            request,
            "objection_not_upheld",
            {"purposes": purposes},
            reason=compelling_grounds,
        )
    store.flag_subject(pid, "objected", request.reference)
    return add_action(
        session, actor, request, "objection_upheld", {"flag": "objected", "purposes": purposes}
    )


def _sql_literal_ok(table: str, column: str) -> None:
    if table not in EVENT_TABLES or not EVENT_TABLES[table].has_children:
        raise ValidationError(
            what=f"{table!r} is not a child-level store table",
            fix=f"Use one of: {', '.join(t for t, s in EVENT_TABLES.items() if s.has_children)}.",
        )
    if column not in EVENT_TABLES[table].column_names or column in _FIXED_COLUMNS:
        raise ValidationError(
            what=f"column {column!r} of {table} cannot be rectified",
            fix="Rectify a data column (not an id or provenance column) that the table has.",
        )


@requires(Permission.RIGHTS_MANAGE)
def rectify(
    session: Session,
    actor: User,
    keys: RightsKeys,
    store: ResearchStore,
    reference: str,
    *,
    table: str,
    column: str,
    new_value: Any,
    where: dict[str, Any] | None = None,
) -> RightsActionRecord:
    """Set ``column`` to ``new_value`` on the person's rows of ``table`` (optionally only rows
    matching ``where``). The values before and after are sealed in the action record; the audit
    log holds only the table, column and row count."""
    request = get_request(session, reference)
    pid = located(request, RECTIFICATION)
    _sql_literal_ok(table, column)
    where = dict(where or {})
    for key in where:
        if key not in EVENT_TABLES[table].column_names:
            raise ValidationError(
                what=f"{table} has no column {key!r}", fix="Match on a column the table has."
            )
    condition = " AND ".join(["child_pid = ?", *(f'"{k}" = ?' for k in where)])
    params = [pid, *where.values()]
    before = store.query(
        f'SELECT "{column}" AS v, source_row, submission_id FROM "{table}" WHERE {condition}',
        params,
    ).to_pylist()
    if not before:
        raise UserError(
            what=f"no rows of {table} match the person and {where or 'no filter'}",
            fix="Check the table and the row filter.",
        )
    store.con.begin()
    try:
        store.con.execute(
            f'UPDATE "{table}" SET "{column}" = ? WHERE {condition}', [new_value, *params]
        )
        store.con.commit()
    except BaseException:
        store.con.rollback()
        raise
    values = {
        "table": table,
        "column": column,
        "before": [_plain(r["v"]) for r in before],
        "after": _plain(new_value),
    }
    row_id = f"{request.reference}-rect-{dt.datetime.now(dt.UTC).timestamp():.6f}"
    sealed = keys.sealer.seal(RECTIFICATION, row_id, {"id": row_id, **values})
    return add_action(
        session,
        actor,
        request,
        "rectified",
        {"table": table, "column": column, "rows": len(before), "sealed_id": row_id},
        sealed=(sealed.ciphertext, sealed.wrapped_key),
    )


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def rectification_values(keys: RightsKeys, action: RightsActionRecord) -> dict[str, Any]:
    """The sealed before/after values of a rectification."""
    row_id = action.summary["sealed_id"]
    return keys.sealer.open(RECTIFICATION, row_id, action.sealed, action.sealed_key)


@requires(Permission.RIGHTS_MANAGE)
def withdraw_consent_for_request(
    session: Session,
    actor: User,
    vault: QualitativeVault,
    reference: str,
    *,
    participant: str,
    activity: str,
    on: dt.date,
) -> RightsActionRecord:
    """Act on a request withdrawing consent: stop future use of ``participant``'s ``activity``
    and delete its qualitative data now (see :func:`consent.service.withdraw_consent`)."""
    from steward.governance.consent.service import withdraw_consent

    request = get_request(session, reference)
    _require_open(request)
    require_releasable(request)
    if "withdraw_consent" not in request.rights:
        raise UserError(
            what=f"request {reference} does not invoke the right 'withdraw_consent'",
            fix="Act only on the rights the request invokes (log a new request otherwise).",
        )
    deleted = withdraw_consent(session, actor, vault, participant, activity=activity, on=on)
    return add_action(
        session,
        actor,
        request,
        "consent_withdrawn",
        {"participant": participant, "activity": activity, "items_deleted": len(deleted)},
    )
