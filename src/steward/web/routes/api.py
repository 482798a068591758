"""The JSON API (``/api``): the same services as the pages, one error shape, OpenAPI schema.

Authenticate with ``Authorization: Bearer <token>`` (``steward users token``) or a browser
session plus the ``X-CSRF-Token`` header on writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from steward.governance.access import Permission
from steward.governance.audit.service import read_entries, verify_log
from steward.governance.rights import service as rights
from steward.governance.rights.outcomes import close_request as close_rights_request
from steward.governance.rights.reporting import accountability_statistics
from steward.governance.rights.service import CHANNELS, OUTCOMES, RELATIONSHIPS, Right
from steward.web.context import db_session, get_context
from steward.web.errors import error_body
from steward.web.guard import Principal, require
from steward.web.queue import QueueFilters, queue_page
from steward.web.routes.uploads import SEE_UPLOADS, receive_upload
from steward.web.upload_records import UploadRecord, list_uploads

Db = Annotated[Session, Depends(db_session, scope="function")]
ChannelName = Literal[CHANNELS]  # type: ignore[valid-type]
RelationshipName = Literal[RELATIONSHIPS]  # type: ignore[valid-type]
OutcomeName = Literal[OUTCOMES]  # type: ignore[valid-type]
DPO = Depends(require(Permission.RIGHTS_MANAGE))


class ErrorDetail(BaseModel):
    code: str
    message: str
    fix: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (400, "The request cannot be carried out as asked"),
        (401, "Not logged in"),
        (403, "Not allowed for this role, or a missing CSRF token"),
        (404, "Not found"),
        (422, "Invalid input"),
    )
}
router = APIRouter(responses=_ERRORS)


class Me(BaseModel):
    username: str
    role: str
    la_code: str | None


class RequestSummary(BaseModel):
    reference: str
    rights: list[str]
    channel: str
    received_on: dt.date
    due_on: dt.date
    days_left: int
    rag: str
    identity_status: str
    locate_status: str
    la_code: str | None
    status: str
    outcome: str | None


class RequestPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[RequestSummary]


class NewRequest(BaseModel):
    rights: list[Right] = Field(min_length=1, max_length=7)
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=1, max_length=300)
    address: str = Field(default="", max_length=500)
    channel: ChannelName = "email"
    received_on: dt.date
    relationship: RelationshipName = "self"
    la_code: str | None = Field(default=None, pattern=r"^E\d{8}$")


class IdentityCheck(BaseModel):
    verified: bool
    evidence_ref: str = Field(min_length=1, max_length=120)
    on: dt.date


class Closing(BaseModel):
    outcome: OutcomeName
    on: dt.date
    reason: str = Field(default="", max_length=2000)


class AuditEntryOut(BaseModel):
    seq: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    summary: str


def _summary(req: Any, today: dt.date) -> RequestSummary:
    from steward.web.queue import to_row

    row = to_row(req, today)
    return RequestSummary(**{**row.__dict__, "rights": list(row.rights), "rag": row.rag.value})


@router.get("/me", response_model=Me)
def me(principal: Annotated[Principal, Depends(require(Permission.POLICY_READ))]) -> Me:
    """Who the token or session belongs to."""
    user = principal.user
    return Me(username=user.username, role=user.role, la_code=user.la_code)


@router.get("/requests", response_model=RequestPage)
def list_requests(
    db: Db,
    principal: Annotated[Principal, DPO],
    status: Literal["open", "closed", "refused"] | None = None,
    right: Right | None = None,
    la_code: Annotated[str | None, Query(max_length=9)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Literal[25, 50, 100, 200] = 50,
) -> RequestPage:
    """The request queue, oldest received first."""
    filters = QueueFilters(status, right.value if right else None, None, la_code)
    result = queue_page(db, principal.user, filters, page=page, per_page=per_page)
    return RequestPage(
        total=result.total, page=result.page, per_page=result.per_page,
        items=[RequestSummary(**{**r.__dict__, "rights": list(r.rights), "rag": r.rag.value})
               for r in result.rows],
    )  # fmt: skip


@router.post("/requests", response_model=RequestSummary, status_code=201)
def create_request(
    request: Request, body: NewRequest, db: Db, principal: Annotated[Principal, DPO]
) -> RequestSummary:
    """Log a new rights request (identity starts pending; the clock waits for it)."""
    created = rights.log_request(
        db, principal.user, rights.RightsKeys.for_workspace(get_context(request).workspace),
        rights=[r.value for r in body.rights],
        requester=rights.Requester(body.name, body.contact, body.address),
        channel=body.channel, received_on=body.received_on, relationship=body.relationship,
        la_code=body.la_code,
    )  # fmt: skip
    return _summary(created, dt.date.today())


@router.get("/requests/{reference}", response_model=RequestSummary)
def get_request(
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
) -> RequestSummary:
    return _summary(rights.get_request(db, reference), dt.date.today())


@router.post("/requests/{reference}/identity", response_model=RequestSummary)
def check_identity(
    reference: str, body: IdentityCheck, db: Db, principal: Annotated[Principal, DPO]
) -> RequestSummary:
    updated = rights.verify_identity(
        db, principal.user, reference, verified=body.verified, evidence_ref=body.evidence_ref,
        on=body.on,
    )  # fmt: skip
    return _summary(updated, dt.date.today())


@router.post("/requests/{reference}/close", response_model=RequestSummary)
def close_request_route(
    reference: str, body: Closing, db: Db, principal: Annotated[Principal, DPO]
) -> RequestSummary:
    updated = close_rights_request(
        db, principal.user, reference, outcome=body.outcome, on=body.on, reason=body.reason
    )
    return _summary(updated, body.on)


@router.get("/statistics")
def statistics(db: Db, principal: Annotated[Principal, DPO]) -> dict[str, Any]:
    """Accountability statistics: counts only."""
    return accountability_statistics(db, principal.user, today=dt.date.today())


@router.get("/uploads", response_model=list[UploadRecord])
def uploads(request: Request, principal: Annotated[Principal, Depends(SEE_UPLOADS)]) -> Any:
    """Uploads this user may see (an LA team: its own LA's only)."""
    return list_uploads(get_context(request).uploads_dir, la_code=principal.la_code)


@router.post("/uploads", response_model=UploadRecord, status_code=201)
async def upload(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.RETURNS_SUBMIT))],
    file: Annotated[UploadFile, File()],
) -> Any:
    """Upload one return; it is ingested as this user and its outcome returned."""
    return await receive_upload(request, principal, file)


@router.get("/audit/entries", response_model=list[AuditEntryOut])
def audit_entries(
    db: Db,
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    last: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[AuditEntryOut]:
    return [
        AuditEntryOut(seq=e.seq, at=e.at, actor=e.actor, action=e.action,
                      object_type=e.object_type, object_id=e.object_id)
        for e in read_entries(db, principal.user, last=last)
    ]  # fmt: skip


@router.post("/audit/verify", response_model=VerifyOut)
def audit_verify(
    db: Db, principal: Annotated[Principal, Depends(require(Permission.AUDIT_VERIFY))]
) -> VerifyOut:
    report = verify_log(db, principal.user)
    return VerifyOut(ok=report.ok, entries=report.entries, head_seq=report.head_seq,
                     summary=str(report))  # fmt: skip


__all__ = ["error_body", "router"]
