"""The DPO's rights requests: the queue, a new request, a request's page and its actions."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from steward.errors import UserError, ValidationError
from steward.governance.access import Permission
from steward.governance.audit import AuditAction
from steward.governance.audit.workspace import workspace_audit_log
from steward.governance.rights import service as rights
from steward.governance.rights.deadlines import rag_status
from steward.governance.rights.outcomes import close_request
from steward.governance.rights.outcomes import refuse as refuse_request
from steward.governance.rights.reporting import accountability_statistics
from steward.governance.rights.service import CHANNELS, OUTCOMES, RELATIONSHIPS, Right
from steward.web.context import db_session, get_context
from steward.web.csv_export import csv_text
from steward.web.guard import Principal, require
from steward.web.queue import PAGE_SIZES, STATUSES, QueueFilters, queue_all, queue_page
from steward.web.templating import render

router = APIRouter()
DPO = Depends(require(Permission.RIGHTS_MANAGE))
Db = Annotated[Session, Depends(db_session, scope="function")]
Text = Annotated[str, Form(max_length=2000)]
_PACK_NAME = re.compile(r"^pack-[0-9]{8}T[0-9]{12}$")
_REFERENCE = re.compile(r"^[A-Z]{2}-[0-9]{4}-[0-9]{4,6}$")


def _filters(
    status: str | None = "open",
    right: str | None = None,
    channel: str | None = None,
    la_code: str | None = None,
    reference: str | None = None,
) -> QueueFilters:
    return QueueFilters(status or None, right, channel, la_code, reference)


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            what=f"{field} {value!r} is not a date", fix="Write it as YYYY-MM-DD."
        ) from None


@router.get("/requests")
def request_queue(
    request: Request,
    db: Db,
    principal: Annotated[Principal, DPO],
    filters: Annotated[QueueFilters, Depends(_filters)],
    page: int = 1,
    per_page: int = 50,
) -> Response:
    """The queue: deadlines, RAG status and filters, one page at a time."""
    result = queue_page(db, principal.user, filters, page=page, per_page=per_page)
    return render(
        request, "requests/queue.html", principal, result=result, filters=filters.clean(),
        statuses=STATUSES, rights=[r.value for r in Right], channels=CHANNELS,
        page_sizes=PAGE_SIZES,
    )  # fmt: skip


@router.get("/requests.csv")
def request_queue_csv(
    db: Db,
    principal: Annotated[Principal, DPO],
    filters: Annotated[QueueFilters, Depends(_filters)],
) -> Response:
    """The filtered queue as CSV (formula-safe)."""
    rows = queue_all(db, principal.user, filters)
    body = csv_text(
        ["reference", "rights", "channel", "received_on", "due_on", "days_left", "rag",
         "identity", "locate", "la_code", "status", "outcome"],
        [[r.reference, " ".join(r.rights), r.channel, r.received_on, r.due_on, r.days_left,
          r.rag.value, r.identity_status, r.locate_status, r.la_code, r.status, r.outcome]
         for r in rows],
    )  # fmt: skip
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rights-requests.csv"'},
    )


@router.get("/requests/statistics.csv")
def statistics_csv(db: Db, principal: Annotated[Principal, DPO]) -> Response:
    """Accountability statistics (counts only) as CSV."""
    stats = accountability_statistics(db, principal.user, today=dt.date.today())
    rows: list[list[object]] = []
    for key, value in stats.items():
        if isinstance(value, dict):
            rows.extend([f"{key}.{k}", v] for k, v in value.items())
        else:
            rows.append([key, value])
    return Response(
        csv_text(["measure", "value"], rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="rights-statistics.csv"'},
    )


@router.get("/requests/new")
def new_request_form(request: Request, principal: Annotated[Principal, DPO]) -> Response:
    return render(
        request, "requests/new.html", principal, rights=[r.value for r in Right],
        channels=CHANNELS, relationships=RELATIONSHIPS, today=dt.date.today().isoformat(),
    )  # fmt: skip


@router.post("/requests/new")
async def new_request(request: Request, db: Db, principal: Annotated[Principal, DPO]) -> Response:
    """Log a request from the form (its rights are a multi-valued field)."""
    form = await request.form()
    chosen = [str(v) for v in form.getlist("rights")]

    def field(name: str, limit: int = 500) -> str:
        value = form.get(name)
        return value[:limit] if isinstance(value, str) else ""

    ctx = get_context(request)
    created = rights.log_request(
        db,
        principal.user,
        rights.RightsKeys.for_workspace(ctx.workspace),
        rights=chosen,
        requester=rights.Requester(
            name=field("name", 200),
            contact=field("contact", 300),
            address=field("address", 500),
        ),
        channel=field("channel"),
        received_on=_date(field("received_on") or dt.date.today().isoformat(), "received_on"),
        relationship=field("relationship") or "self",
        la_code=field("la_code", 9).strip().upper() or None,
    )
    reference = created.reference
    return RedirectResponse(f"/requests/{reference}", status_code=303)


@router.get("/requests/{reference}")
def request_detail(
    request: Request, reference: str, db: Db, principal: Annotated[Principal, DPO]
) -> Response:
    """One request: deadline, status, pauses, actions taken, and the next actions."""
    today = dt.date.today()
    item = rights.get_request(db, reference)
    deadline = rights.deadline_of(item, today)
    return render(
        request, "requests/detail.html", principal, item=item, deadline=deadline,
        rag=rag_status(deadline, today) if item.status == "open" else None, today=today,
        outcomes=OUTCOMES, message=request.query_params.get("done"),
    )  # fmt: skip


def _back(reference: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/requests/{reference}?done={done}", status_code=303)


@router.post("/requests/{reference}/verify-identity")
def verify_identity(
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
    evidence_ref: Text,
    verified: Annotated[str, Form(max_length=5)] = "yes",
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    rights.verify_identity(
        db, principal.user, reference, verified=verified == "yes", evidence_ref=evidence_ref,
        on=_date(on, "on") if on else dt.date.today(),
    )  # fmt: skip
    return _back(reference, "identity")


@router.post("/requests/{reference}/locate")
def locate(
    request: Request,
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
    la_code: Annotated[str, Form(max_length=9)],
    la_child_id: Annotated[str, Form(max_length=100)],
) -> Response:
    """Match the request to a child by the LA's own id (the id is used, never stored)."""
    from steward.governance.rights.locate import locate as locate_child
    from steward.store import ResearchStore

    ws = get_context(request).workspace
    with ResearchStore.open(ws) as store:
        locate_child(
            db, principal.user, rights.RightsKeys.for_workspace(ws), store, reference,
            la_code=la_code.strip().upper(), la_child_id=la_child_id,
        )  # fmt: skip
    return _back(reference, "located")


@router.post("/requests/{reference}/forward")
def forward(
    request: Request,
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
    la_code: Annotated[str, Form(max_length=9)],
) -> Response:
    from steward.governance.rights.locate import forward_to_la

    letter = forward_to_la(
        db, principal.user, reference, la_code=la_code.strip().upper(), on=dt.date.today()
    )
    return render(request, "requests/letter.html", principal, reference=reference, letter=letter)


@router.post("/requests/{reference}/pack")
def access_pack(
    request: Request, reference: str, db: Db, principal: Annotated[Principal, DPO]
) -> Response:
    """Build the access pack into ``outputs/rights/<reference>/pack-<time>/``."""
    from steward.governance.rights.access_pack import build_access_pack
    from steward.store import ResearchStore

    ctx = get_context(request)
    item = rights.get_request(db, reference)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    out = ctx.packs_dir / item.reference / f"pack-{stamp}"
    with ResearchStore.open(ctx.workspace) as store:
        pack = build_access_pack(
            db, principal.user, rights.RightsKeys.for_workspace(ctx.workspace), store,
            item.reference, out,
        )  # fmt: skip
    return render(request, "requests/pack.html", principal, reference=item.reference, pack=pack,
                  folder=out.relative_to(ctx.workspace.root), name=out.name)  # fmt: skip


def _pack_folder(request: Request, reference: str, pack: str) -> Path:
    """A pack folder of ``reference``; names are checked, so no path leaves the packs area."""
    root = get_context(request).packs_dir.resolve()
    if not _PACK_NAME.match(pack) or not _REFERENCE.match(reference):
        raise UserError(what=f"there is no pack {pack!r}", fix="Generate the pack first.")
    folder = (root / reference / pack).resolve()
    if not folder.is_relative_to(root) or not folder.is_dir():
        raise UserError(what=f"there is no pack {pack!r}", fix="Generate the pack first.")
    return folder


@router.get("/requests/{reference}/pack/{pack}.zip")
def download_pack(
    request: Request, reference: str, pack: str, principal: Annotated[Principal, DPO]
) -> Response:
    """The pack as one zip, to send through the secure route (the download is audited)."""
    folder = _pack_folder(request, reference, pack)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, path.name)
    workspace_audit_log(get_context(request).workspace).record(
        principal.user.username, AuditAction.RIGHTS_ACTION, "rights_request", reference,
        details={"step": "access_pack_downloaded", "pack": pack},
    )  # fmt: skip
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{reference}-{pack}.zip"'},
    )


@router.post("/requests/{reference}/extend")
def extend(
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
    months: Annotated[int, Form(ge=1, le=2)],
    reason: Text,
) -> Response:
    rights.extend(db, principal.user, reference, months=months, reason=reason,
                  told_on=dt.date.today())  # fmt: skip
    return _back(reference, "extended")


@router.post("/requests/{reference}/refuse")
def refuse(
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
    grounds: Annotated[str, Form(max_length=20)],
    reason: Text,
) -> Response:
    refuse_request(db, principal.user, reference, grounds=grounds, reason=reason,
                   on=dt.date.today())  # fmt: skip
    return _back(reference, "refused")


@router.post("/requests/{reference}/close")
def close(
    reference: str,
    db: Db,
    principal: Annotated[Principal, DPO],
    outcome: Annotated[str, Form(max_length=40)],
    reason: Text = "",
) -> Response:
    close_request(db, principal.user, reference, outcome=outcome, on=dt.date.today(), reason=reason)
    return _back(reference, "closed")


@router.post("/requests/{reference}/requester")
def requester(
    request: Request, reference: str, db: Db, principal: Annotated[Principal, DPO]
) -> Response:
    """Open the sealed requester details to reply (the opening is audited)."""
    ws = get_context(request).workspace
    details = rights.requester_details(
        db, principal.user, rights.RightsKeys.for_workspace(ws), reference
    )
    return render(request, "requests/requester.html", principal, reference=reference,
                  details=details)  # fmt: skip
