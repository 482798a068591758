"""The rights request log: logging, identity and authority, the clock (pause, resume, extend).
Refusal and closing are in :mod:`.outcomes`; reminders and statistics in :mod:`.reporting`.

Every function takes the acting :class:`User` and checks ``rights.manage``; every step writes an
audit entry (request reference and pseudonym only) in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import PolicyViolation, UserError, ValidationError
from steward.governance.access import Permission, User, requires
from steward.governance.audit import AuditAction
from steward.governance.audit.log import record_in
from steward.governance.rights.deadlines import (
    MAX_EXTENSION_MONTHS,
    Deadline,
    Pause,
    PauseReason,
    compute_deadline,
    extension_notice_due,
)
from steward.governance.rights.models import RequestPause, RightsActionRecord, RightsRequest
from steward.governance.rights.sealed import Sealer

REQUESTER = "requester"


class Right(StrEnum):
    """The rights a request may invoke (ids of the policy registry's ``rights``)."""

    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECT = "object"
    PORTABILITY = "portability"
    WITHDRAW_CONSENT = "withdraw_consent"


CHANNELS = ("email", "letter", "phone", "web_form", "in_person", "via_la")
RELATIONSHIPS = ("self", "parent", "carer", "representative")
CHILD_CONSENT = ("child_consented", "child_lacks_competence", "child_refused")
OUTCOMES = (
    "completed",
    "partly_completed",
    "not_held",
    "refused_unfounded",
    "refused_excessive",
    "refused_exemption",
    "withdrawn",
    "forwarded_to_la",
)


@dataclass(frozen=True)
class RightsKeys:
    """The two workspace keys the rights services need (never printed or logged)."""

    pseudonym: bytes
    master: bytes

    @classmethod
    def for_workspace(cls, workspace: Any) -> RightsKeys:
        keys = workspace.keys
        return cls(pseudonym=keys.load("pseudonym"), master=keys.load("master"))

    @property
    def sealer(self) -> Sealer:
        return Sealer(self.master)


@dataclass(frozen=True)
class Requester:
    """Who asked. Held sealed; never logged."""

    name: str
    contact: str  # e-mail, phone or postal address
    address: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "contact": self.contact, "address": self.address}


def requester_digest(pseudonym_key: bytes, requester: Requester) -> str:
    """A keyed digest of the requester's normalised name and contact (duplicate detection)."""
    text = "requester\x1f" + " ".join(requester.name.lower().split())
    text += "\x1f" + "".join(requester.contact.lower().split())
    return hmac.new(pseudonym_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _audit(
    session: Session,
    actor: User,
    request: RightsRequest,
    step: str,
    details: dict[str, Any] | None = None,
) -> None:
    pseudonyms = [request.child_pid] if request.child_pid else []
    record_in(
        session,
        actor.username,
        AuditAction.RIGHTS_ACTION,
        "rights_request",
        request.reference,
        pseudonyms,
        {"step": step, **(details or {})},
    )


def add_action(
    session: Session,
    actor: User,
    request: RightsRequest,
    kind: str,
    summary: dict[str, Any],
    *,
    reason: str | None = None,
    sealed: tuple[bytes, bytes] | None = None,
) -> RightsActionRecord:
    """Record an action on ``request`` (and audit it with the same summary)."""
    row = RightsActionRecord(
        request=request,
        kind=kind,
        at=dt.datetime.now(dt.UTC),
        actor=actor.username,
        summary=summary,
        reason=reason,
        sealed=sealed[0] if sealed else None,
        sealed_key=sealed[1] if sealed else None,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, request, kind, {"action_id": row.id, **summary})
    return row


def _next_reference(session: Session, prefix: str, year: int, column: Any) -> str:
    count = session.scalar(select(func.count()).where(column.like(f"{prefix}-{year}-%"))) or 0
    return f"{prefix}-{year}-{count + 1:04d}"


def get_request(session: Session, reference: str) -> RightsRequest:
    """The request with this reference, or a clear error."""
    request = session.scalar(select(RightsRequest).where(RightsRequest.reference == reference))
    if request is None:
        raise UserError(
            what=f"there is no rights request {reference!r}",
            fix="Check the reference with 'steward rights list'.",
        )
    return request


def _require_open(request: RightsRequest) -> None:
    if request.status != "open":
        raise UserError(
            what=f"request {request.reference} is {request.status}",
            fix="Only an open request can be changed; log a new request if needed.",
        )


@requires(Permission.RIGHTS_MANAGE)
def log_request(
    session: Session,
    actor: User,
    keys: RightsKeys,
    *,
    rights: list[str],
    requester: Requester,
    channel: str,
    received_on: dt.date,
    relationship: str = "self",
    la_code: str | None = None,
    identity_evidence_ref: str | None = None,
    allow_duplicate: bool = False,
) -> RightsRequest:
    """Log a new request. Identity starts ``pending``; the clock is paused until it is verified.

    A request from the same requester for an overlapping right while one is open is refused as a
    duplicate (naming the open one) unless ``allow_duplicate``.
    """
    try:
        invoked = sorted({Right(r).value for r in rights})
    except ValueError:
        raise ValidationError(
            what=f"unknown right in {rights!r}",
            fix=f"Use one or more of: {', '.join(r.value for r in Right)}.",
        ) from None
    if not invoked:
        raise ValidationError(what="no right was given", fix="Name at least one right.")
    if channel not in CHANNELS:
        raise ValidationError(
            what=f"unknown channel {channel!r}", fix=f"Use one of: {', '.join(CHANNELS)}."
        )
    if relationship not in RELATIONSHIPS:
        raise ValidationError(
            what=f"unknown relationship {relationship!r}",
            fix=f"Use one of: {', '.join(RELATIONSHIPS)}.",
        )
    if not requester.name.strip() or not requester.contact.strip():
        raise ValidationError(
            what="the requester's name or contact is empty",
            fix="Record who asked and how to reply to them.",
        )
    if received_on > dt.date.today():
        raise ValidationError(
            what="the received date is in the future", fix="Give the day the request arrived."
        )
    digest = requester_digest(keys.pseudonym, requester)
    if not allow_duplicate:
        for other in session.scalars(
            select(RightsRequest).where(
                RightsRequest.requester_digest == digest, RightsRequest.status == "open"
            )
        ):
            if set(other.rights) & set(invoked):
                raise UserError(
                    what=f"this duplicates open request {other.reference} from the same "
                    "requester for the same right",
                    fix=f"Add to {other.reference} instead, or pass --allow-duplicate if it is "
                    "a genuinely separate request.",
                )
    reference = _next_reference(session, "RR", received_on.year, RightsRequest.reference)
    sealed = keys.sealer.seal(REQUESTER, reference, requester.as_dict())
    request = RightsRequest(
        reference=reference,
        rights=invoked,
        channel=channel,
        received_on=received_on,
        requester_relationship=relationship,
        authority_status="not_needed" if relationship == "self" else "pending",
        identity_status="pending",
        identity_evidence_ref=identity_evidence_ref,
        requester_digest=digest,
        requester_sealed=sealed.ciphertext,
        requester_key=sealed.wrapped_key,
        la_code=la_code,
        locate_status="pending",
        extension_months=0,
        status="open",
        created_by=actor.username,
        created_at=dt.datetime.now(dt.UTC),
        child_holds_right=False,
    )
    # Waiting for identity stops the clock from day one (Article 12A).
    request.pauses.append(RequestPause(reason=PauseReason.IDENTITY.value, started_on=received_on))
    session.add(request)
    session.flush()
    _audit(
        session,
        actor,
        request,
        "logged",
        {"rights": invoked, "channel": channel, "relationship": relationship,
         "received_on": received_on.isoformat()},
    )  # fmt: skip
    return request


def _open_pause(request: RightsRequest) -> RequestPause | None:
    return next((p for p in request.pauses if p.ended_on is None), None)


@requires(Permission.RIGHTS_MANAGE)
def verify_identity(
    session: Session,
    actor: User,
    reference: str,
    *,
    verified: bool,
    evidence_ref: str,
    on: dt.date,
    authority_verified: bool | None = None,
) -> RightsRequest:
    """Record the identity check (and, for someone acting for another, their authority).

    A successful check restarts the clock paused for identity.
    """
    request = get_request(session, reference)
    _require_open(request)
    if not evidence_ref.strip():
        raise ValidationError(
            what="no evidence reference was given",
            fix="Say what was checked (e.g. 'ID-2026-014: passport seen'), never copy it in.",
        )
    request.identity_status = "verified" if verified else "failed"
    request.identity_evidence_ref = evidence_ref
    if authority_verified is not None and request.requester_relationship != "self":
        request.authority_status = "verified" if authority_verified else "refused"
    pause = _open_pause(request)
    if verified and pause is not None and pause.reason == PauseReason.IDENTITY:
        pause.ended_on = max(on, pause.started_on)
    session.flush()
    _audit(
        session,
        actor,
        request,
        "identity_checked",
        {"verified": verified, "authority_status": request.authority_status,
         "checked_on": on.isoformat()},
    )  # fmt: skip
    return request


@requires(Permission.RIGHTS_MANAGE)
def pause_clock(
    session: Session, actor: User, reference: str, *, reason: str, on: dt.date
) -> RightsRequest:
    """Stop the clock while waiting for identity, clarification or a fee."""
    request = get_request(session, reference)
    _require_open(request)
    try:
        why = PauseReason(reason)
    except ValueError:
        raise ValidationError(
            what=f"the clock cannot be paused for {reason!r}",
            fix="Article 12A allows only: identity, clarification, fee.",
        ) from None
    if _open_pause(request) is not None:
        raise UserError(
            what=f"the clock of {reference} is already paused",
            fix="Resume it first ('steward rights resume').",
        )
    if on < request.received_on:
        raise ValidationError(
            what="a pause cannot start before the request was received", fix="Check the date."
        )
    request.pauses.append(RequestPause(reason=why.value, started_on=on))
    session.flush()
    _audit(session, actor, request, "paused", {"reason": why.value, "paused_on": on.isoformat()})
    return request


@requires(Permission.RIGHTS_MANAGE)
def resume_clock(session: Session, actor: User, reference: str, *, on: dt.date) -> RightsRequest:
    """Restart the clock (the identity, clarification or fee arrived)."""
    request = get_request(session, reference)
    _require_open(request)
    pause = _open_pause(request)
    if pause is None:
        raise UserError(what=f"the clock of {reference} is not paused", fix="Nothing to resume.")
    if on < pause.started_on:
        raise ValidationError(
            what="the clock cannot restart before it stopped", fix="Check the date."
        )
    if pause.reason == PauseReason.IDENTITY and request.identity_status != "verified":
        raise PolicyViolation(
            what=f"the identity of the requester of {reference} is not verified",
            fix="Record the check with 'steward rights verify-identity' (it restarts the clock).",
        )
    pause.ended_on = on
    session.flush()
    _audit(session, actor, request, "resumed", {"resumed_on": on.isoformat()})
    return request


@requires(Permission.RIGHTS_MANAGE)
def extend(
    session: Session,
    actor: User,
    reference: str,
    *,
    months: int,
    reason: str,
    told_on: dt.date,
) -> RightsRequest:
    """Extend the time limit by up to two further months (complex or numerous requests)."""
    request = get_request(session, reference)
    _require_open(request)
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValidationError(
            what=f"an extension of {months} months is not allowed",
            fix=f"Extend by 1 to {MAX_EXTENSION_MONTHS} further months.",
        )
    if not reason.strip():
        raise ValidationError(
            what="no reason was given for the extension",
            fix="Say why the request is complex or numerous; the requester must be told it.",
        )
    if told_on > extension_notice_due(request.received_on) + dt.timedelta(
        days=deadline_of(request, told_on).paused_days
    ):
        raise PolicyViolation(
            what="the requester was told of the extension after the first month",
            fix="An extension must be notified within one month of receipt; respond now.",
        )
    request.extension_months = months
    request.extension_reason = reason
    request.extension_told_on = told_on
    session.flush()
    _audit(session, actor, request, "extended", {"months": months, "told_on": told_on.isoformat()})
    return request


def deadline_of(request: RightsRequest, today: dt.date | None = None) -> Deadline:
    """The request's current deadline."""
    pauses = [Pause(PauseReason(p.reason), p.started_on, p.ended_on) for p in request.pauses]
    return compute_deadline(
        request.received_on, pauses, extension_months=request.extension_months, today=today
    )


def require_releasable(request: RightsRequest) -> None:
    """Refuse to release or act on data until identity (and authority) are established."""
    if request.identity_status != "verified":
        raise PolicyViolation(
            what=f"the requester's identity for {request.reference} is not verified "
            f"({request.identity_status}); no data is released",
            fix="Verify identity first ('steward rights verify-identity').",
        )
    if request.authority_status not in ("not_needed", "verified"):
        raise PolicyViolation(
            what=f"the requester's authority to act for the person ({request.reference}) is "
            f"{request.authority_status}",
            fix="Record proof of authority (e.g. parental responsibility) first.",
        )
    if request.child_holds_right and request.child_consent_status not in (
        "child_consented",
        "child_lacks_competence",
    ):
        raise PolicyViolation(
            what=f"the child in {request.reference} is 16 or over, so the right is theirs",
            fix="Record the child's consent, or evidence that the child lacks competence "
            "('steward rights child-consent').",
        )


@requires(Permission.RIGHTS_MANAGE)
def record_child_consent(
    session: Session, actor: User, reference: str, *, status: str, evidence_ref: str
) -> RightsRequest:
    """For a parent's request about a child of 16+: the child's consent or lack of competence."""
    request = get_request(session, reference)
    if status not in CHILD_CONSENT:
        raise ValidationError(
            what=f"unknown child consent status {status!r}",
            fix=f"Use one of: {', '.join(CHILD_CONSENT)}.",
        )
    if not evidence_ref.strip():
        raise ValidationError(what="no evidence reference", fix="Say what the evidence is.")
    request.child_consent_status = status
    session.flush()
    _audit(session, actor, request, "child_consent", {"status": status})
    return request


@requires(Permission.RIGHTS_MANAGE)
def list_requests(
    session: Session, actor: User, *, status: str | None = None
) -> list[RightsRequest]:
    """Requests, newest first, optionally only those with ``status``."""
    query = select(RightsRequest).order_by(RightsRequest.received_on.desc(), RightsRequest.id)
    if status:
        query = query.where(RightsRequest.status == status)
    return list(session.scalars(query))


@requires(Permission.RIGHTS_MANAGE)
def requester_details(
    session: Session, actor: User, keys: RightsKeys, reference: str
) -> dict[str, Any]:
    """The sealed requester details (for replying); the opening is audited."""
    request = get_request(session, reference)
    details = keys.sealer.open(
        REQUESTER, request.reference, request.requester_sealed, request.requester_key
    )
    _audit(session, actor, request, "requester_details_opened")
    return details
