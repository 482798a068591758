"""The audit log viewer and the chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.governance.access import Permission
from steward.governance.audit.service import read_entries, verify_log
from steward.web.context import db_session
from steward.web.guard import Principal, require
from steward.web.templating import render

router = APIRouter()
MAX_ENTRIES = 1000


@router.get("/audit")
def audit_log(
    request: Request,
    db: Annotated[Session, Depends(db_session, scope="function")],
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_READ))],
    last: int = 100,
) -> Response:
    """The newest entries (hashes, codes and pseudonyms only)."""
    entries = read_entries(db, principal.user, last=max(1, min(last, MAX_ENTRIES)))
    return render(request, "audit.html", principal, entries=list(reversed(entries)), report=None,
                  last=last)  # fmt: skip


@router.post("/audit/verify")
def audit_verify(
    request: Request,
    db: Annotated[Session, Depends(db_session, scope="function")],
    principal: Annotated[Principal, Depends(require(Permission.AUDIT_VERIFY))],
) -> Response:
    """Walk the whole chain and show whether it is intact."""
    report = verify_log(db, principal.user)
    entries = (
        read_entries(db, principal.user, last=100)
        if principal.user.role in ("dpo", "admin")
        else []
    )
    return render(request, "audit.html", principal, entries=list(reversed(entries)),
                  report=report, last=100)  # fmt: skip
