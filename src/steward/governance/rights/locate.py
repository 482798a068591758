"""Finding the person a request is about, without holding names.

The evaluator cannot identify anyone. A request is matched only through the LA's own child id,
supplied by the LA for this request and turned into the keyed pseudonym at the moment of lookup
(the raw id is never stored). When no id is supplied, or the pseudonym is not in the store, the
request is forwarded to the LA (the controller who can identify the person) and its answer
tracked.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import UserError, ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.rights.models import ErasureTombstone, RightsRequest
from steward.governance.rights.service import (
    RightsKeys,
    _audit,
    _require_open,
    get_request,
)
from steward.pseudonymise.pseudonym import pseudonym_reference
from steward.store import ResearchStore
from steward.store.schema import STORE_TABLES

ADULT_DECIDES_AGE = 16
ON_BEHALF = ("parent", "carer")


def tombstone_digest(child_pid: str) -> str:
    """The one-way digest an erased pseudonym leaves behind."""
    return hashlib.sha256(("erased\x1f" + child_pid).encode()).hexdigest()


def is_erased(session: Session, child_pid: str) -> bool:
    """Whether this pseudonym was erased (the ingest should refuse to load it again)."""
    return session.get(ErasureTombstone, tombstone_digest(child_pid)) is not None


def child_tables() -> list[str]:
    """Store tables that hold rows about a child."""
    return [name for name, table in STORE_TABLES.items() if table.has_children]


def rows_about(store: ResearchStore, child_pid: str) -> dict[str, pa.Table]:
    """Every row about ``child_pid`` in every store table (history included, flags ignored)."""
    out = {}
    for name in child_tables():
        rows = store.query(f'SELECT * FROM "{name}" WHERE child_pid = ?', [child_pid])
        if rows.num_rows:
            out[name] = rows
    return out


def birth_year_month(store: ResearchStore, child_pid: str) -> dt.date | None:
    """The latest birth year-month any table holds for the child (None if none does); the store
    holds it as text ``YYYY-MM``, returned here as the 1st of that month."""
    found: list[dt.date] = []
    for name in child_tables():
        if "birth_year_month" in STORE_TABLES[name].column_names:
            value = (
                store.query(
                    f'SELECT max(birth_year_month) AS m FROM "{name}" WHERE child_pid = ?',
                    [child_pid],
                )
                .column("m")[0]
                .as_py()
            )
            if value:
                found.append(dt.date(int(str(value)[:4]), int(str(value)[5:7]), 1))
    return max(found) if found else None


def age_on(birth_month: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``, taking the birthday as the 1st of the birth month (the
    store holds year-month only, so the child is treated as older rather than younger)."""
    years = day.year - birth_month.year
    return years if day.month >= birth_month.month else years - 1


@requires(Permission.RIGHTS_MANAGE)
def locate(
    session: Session,
    actor: User,
    keys: RightsKeys,
    store: ResearchStore,
    reference: str,
    *,
    la_code: str,
    la_child_id: str,
) -> RightsRequest:
    """Match the request to a child through the LA's own id; ``not_found`` if not in the data.

    For a parent or carer asking about a child who was 16 or over when the request arrived, the
    request is flagged: the right belongs to the child.
    """
    request = get_request(session, reference)
    _require_open(request)
    if not la_child_id.strip():
        raise ValidationError(
            what="no LA child id was given",
            fix="Ask the LA for its own child id of this person, or forward the request to it.",
        )
    pid = pseudonym_reference(keys.pseudonym, la_code, la_child_id.strip())
    assert pid is not None
    request.la_code = la_code
    if is_erased(session, pid):
        request.locate_status = "not_found"
        session.flush()
        _audit(session, actor, request, "located", {"found": False, "previously_erased": True})
        return request
    if not rows_about(store, pid):
        request.locate_status = "not_found"
        request.child_pid = None
        session.flush()
        _audit(session, actor, request, "located", {"found": False})
        return request
    request.child_pid = pid
    request.locate_status = "matched"
    born = birth_year_month(store, pid)
    if (
        request.requester_relationship in ON_BEHALF
        and born is not None
        and age_on(born, request.received_on) >= ADULT_DECIDES_AGE
    ):
        request.child_holds_right = True
    session.flush()
    _audit(
        session, actor, request, "located",
        {"found": True, "child_holds_right": request.child_holds_right},
    )  # fmt: skip
    return request


@requires(Permission.RIGHTS_MANAGE)
def forward_to_la(
    session: Session, actor: User, reference: str, *, la_code: str, on: dt.date
) -> str:
    """Mark the request forwarded to the LA and return the forwarding letter (plain text).

    The letter names no one: the LA identifies the requester from its own records and the
    request reference; the requester's details travel with it only through the LA's secure route.
    """
    request = get_request(session, reference)
    _require_open(request)
    request.la_code = la_code
    request.locate_status = "forwarded"
    session.flush()
    _audit(
        session, actor, request, "forwarded_to_la", {"la_code": la_code, "sent_on": on.isoformat()}
    )
    rights = ", ".join(request.rights)
    return (
        f"To: the data protection officer, local authority {la_code}\n"
        f"Date: {on.isoformat()}\n"
        f"Our reference: {request.reference}\n\n"
        f"We received a request under UK data protection law on "
        f"{request.received_on.isoformat()} invoking: {rights}.\n\n"
        "As evaluator of the No Wrong Door programme we hold only pseudonymised data and "
        "cannot identify the person the request is about. You are the controller who can.\n"
        "Please either (a) answer the request directly, as the data you sent us derives from "
        "your records, or (b) send us, through the secure transfer route, your own child id for "
        f"this person quoting {request.reference}, so that we can find their data in our copy.\n\n"
        "Please tell us which you have done. The statutory time limit runs from the date we "
        "received the request.\n"
    )


@requires(Permission.RIGHTS_MANAGE)
def record_la_answer(
    session: Session, actor: User, reference: str, *, answer: str, on: dt.date
) -> RightsRequest:
    """Record the LA's answer to a forwarded request (then ``locate`` if it sent an id)."""
    request = get_request(session, reference)
    if request.locate_status != "forwarded":
        raise UserError(
            what=f"request {reference} was not forwarded to an LA",
            fix="Forward it first ('steward rights locate --forward').",
        )
    if not answer.strip():
        raise ValidationError(what="the LA's answer is empty", fix="Summarise what the LA said.")
    request.la_answer = answer
    request.la_answered_on = on
    session.flush()
    _audit(session, actor, request, "la_answered", {"answered_on": on.isoformat()})
    return request


def tombstones(session: Session) -> set[str]:
    """Every erasure digest (for the ingest to check new pseudonyms against)."""
    return set(session.scalars(select(ErasureTombstone.digest)))
