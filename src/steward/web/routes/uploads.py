"""LA data teams (and the evaluation team): upload a return, see its quality report; LA teams
also answer the rights requests forwarded to them. An LA team sees nothing of other LAs."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from steward.errors import UserError
from steward.governance.access import Permission
from steward.web.context import db_session, get_context
from steward.web.guard import Principal, require
from steward.web.la_requests import answer_forwarded, forwarded_requests
from steward.web.routes.status import REPORT_CSP
from steward.web.templating import render
from steward.web.upload_records import (
    get_upload,
    ingest_upload,
    list_uploads,
    report_path,
    sanitise_filename,
    save_stream,
    staging_folder,
)

router = APIRouter()
SEE_UPLOADS = require(
    Permission.RETURNS_SUBMIT,
    Permission.QUALITY_REPORT_READ_OWN_LA,
    Permission.QUALITY_REPORT_READ_ALL,
)
LA_TEAM = Depends(require(Permission.QUALITY_REPORT_READ_OWN_LA))
CHUNK = 1024 * 1024


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


async def receive_upload(request: Request, principal: Principal, upload: UploadFile):  # type: ignore[no-untyped-def]
    """Stage the file under a sanitised name, then ingest it as the uploading user."""
    ctx = get_context(request)
    file_name = sanitise_filename(upload.filename or "")
    with staging_folder() as folder:
        staged = Path(folder) / file_name
        await save_stream(_chunks(upload), staged, ctx.max_upload_bytes)
        return await run_in_threadpool(
            ingest_upload, ctx.workspace, ctx.uploads_dir, staged, file_name=file_name,
            actor=principal.user,
        )  # fmt: skip


@router.get("/uploads")
def uploads(request: Request, principal: Annotated[Principal, Depends(SEE_UPLOADS)]) -> Response:
    """This LA's uploads (or every upload, for the DPO and the evaluation team)."""
    records = list_uploads(get_context(request).uploads_dir, la_code=principal.la_code)
    return render(request, "uploads/list.html", principal, records=records)


@router.post("/uploads")
async def upload(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.RETURNS_SUBMIT))],
    file: Annotated[UploadFile, File()],
) -> Response:
    record = await receive_upload(request, principal, file)
    return RedirectResponse(f"/uploads/{record.upload_id}", status_code=303)


@router.get("/uploads/{upload_id}")
def upload_detail(
    request: Request, upload_id: str, principal: Annotated[Principal, Depends(SEE_UPLOADS)]
) -> Response:
    record = get_upload(get_context(request).uploads_dir, upload_id, la_code=principal.la_code)
    return render(request, "uploads/detail.html", principal, record=record)


@router.get("/uploads/{upload_id}/report")
def upload_report(
    request: Request, upload_id: str, principal: Annotated[Principal, Depends(SEE_UPLOADS)]
) -> Response:
    """The quality report of that upload's run."""
    ctx = get_context(request)
    record = get_upload(ctx.uploads_dir, upload_id, la_code=principal.la_code)
    path = report_path(ctx.uploads_dir, record)
    if not record.has_report or not path.is_file():
        raise UserError(
            what=f"there is no quality report for upload {upload_id!r}",
            fix="A report is written only when the file could be read.",
        )
    return FileResponse(
        path, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP}
    )


@router.get("/la/requests")
def la_requests(
    request: Request,
    db: Annotated[Session, Depends(db_session, scope="function")],
    principal: Annotated[Principal, LA_TEAM],
) -> Response:
    """Requests the DPO forwarded to this LA."""
    items = forwarded_requests(db, principal.user, la_code=principal.user.la_code)
    return render(request, "la_requests.html", principal, items=items)


@router.post("/la/requests/{reference}/answer")
def la_answer(
    reference: str,
    db: Annotated[Session, Depends(db_session, scope="function")],
    principal: Annotated[Principal, LA_TEAM],
    answer: Annotated[str, Form(max_length=4000)],
) -> Response:
    answer_forwarded(db, principal.user, reference, la_code=principal.user.la_code,
                     answer=answer, on=dt.date.today())  # fmt: skip
    return RedirectResponse("/la/requests", status_code=303)
