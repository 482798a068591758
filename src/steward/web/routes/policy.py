"""The policy pages: the privacy notice and the record of processing activities (ROPA)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from steward.governance.access import Permission
from steward.web.context import get_context
from steward.web.csv_export import csv_text
from steward.web.guard import Principal, require
from steward.web.templating import render

router = APIRouter()
_READ = Depends(require(Permission.POLICY_READ))


def _registry(request: Request):  # type: ignore[no-untyped-def]
    from steward.policy.loader import load_registry, registry_path

    return load_registry(registry_path(get_context(request).workspace.root))


@router.get("/policy/notice")
def notice(request: Request, principal: Annotated[Principal, _READ]) -> Response:
    """The privacy notice as rendered from the registry (self-contained, escaped HTML)."""
    from steward.policy.notice import render_notice

    ws = get_context(request).workspace
    html = render_notice(
        _registry(request), final_report_date=ws.settings.final_report_date, fmt="html"
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'none'; "
                                       "style-src 'unsafe-inline'"})  # fmt: skip


def _ropa(request: Request) -> tuple[list[str], list[dict[str, str]]]:
    from steward.policy.ropa import ROPA_COLUMNS, ropa_rows

    ws = get_context(request).workspace
    rows = ropa_rows(_registry(request), final_report_date=ws.settings.final_report_date)
    return list(ROPA_COLUMNS), rows


@router.get("/policy/ropa")
def ropa(request: Request, principal: Annotated[Principal, _READ]) -> Response:
    columns, rows = _ropa(request)
    return render(request, "ropa.html", principal, columns=columns, rows=rows)


@router.get("/policy/ropa.csv")
def ropa_csv(request: Request, principal: Annotated[Principal, _READ]) -> Response:
    columns, rows = _ropa(request)
    return Response(
        csv_text(columns, [[row.get(c, "") for c in columns] for row in rows]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="ropa.csv"'},
    )
