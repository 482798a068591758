"""Home, the workspace status (researchers) and the reports a role may read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from steward.errors import UserError
from steward.governance.access import Permission
from steward.web.context import get_context
from steward.web.guard import Principal, require
from steward.web.templating import render
from steward.workspace import Workspace

router = APIRouter()
# A report is a page Steward wrote; it may not fetch anything or run script when opened here.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@router.get("/")
def home(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.POLICY_READ))]
) -> Response:
    """Each role's starting page: links to what it may do."""
    return render(request, "home.html", principal)


def workspace_status(workspace: Workspace) -> dict[str, Any]:
    """Submissions by LA and return type, and quarantine counts (no record-level data)."""
    from steward.store import ResearchStore

    if not workspace.store_file.exists():
        return {"submissions": [], "total_submissions": 0, "quarantined": 0}
    with ResearchStore.open(workspace) as store:
        table = store.query(
            "SELECT la_code, return_type, count(*) AS submissions, "
            "max(return_month) AS latest_month, sum(quarantined) AS quarantined "
            "FROM submissions GROUP BY la_code, return_type ORDER BY la_code, return_type"
        )
    rows = table.to_pylist()
    return {
        "submissions": rows,
        "total_submissions": sum(int(r["submissions"]) for r in rows),
        "quarantined": sum(int(r["quarantined"] or 0) for r in rows),
    }


@router.get("/status")
def status(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.STORE_QUERY))]
) -> Response:
    """What the store holds, by LA and return type."""
    return render(
        request, "status.html", principal, status=workspace_status(get_context(request).workspace)
    )


def report_files(workspace: Workspace) -> list[str]:
    """HTML reports under ``reports/`` (uploads have their own pages), as relative paths."""
    root = workspace.reports
    if not root.is_dir():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if p.is_file() and p.relative_to(root).parts[0] != "uploads"
    )


def resolve_report(workspace: Workspace, name: str) -> Path:
    """The report ``name`` inside ``reports/``; anything that escapes it is "not found"."""
    root = workspace.reports.resolve()
    candidate = (root / name).resolve()
    if (
        not candidate.is_relative_to(root)
        or candidate.suffix != ".html"
        or not candidate.is_file()
        or candidate.relative_to(root).parts[0] == "uploads"
    ):
        raise UserError(what=f"there is no report {name!r}", fix="Pick one from the list.")
    return candidate


_READ_REPORTS = Depends(require(Permission.QUALITY_REPORT_READ_ALL))


@router.get("/reports")
def reports(request: Request, principal: Annotated[Principal, _READ_REPORTS]) -> Response:
    return render(
        request, "reports.html", principal, files=report_files(get_context(request).workspace)
    )


@router.get("/reports/view/{name:path}")
def report(request: Request, name: str, principal: Annotated[Principal, _READ_REPORTS]) -> Response:
    path = resolve_report(get_context(request).workspace, name)
    return FileResponse(
        path, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP}
    )
