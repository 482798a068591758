"""Server-rendered pages: one Jinja2 environment with autoescaping always on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from steward.governance.access import LA_SCOPED, Permission, is_allowed
from steward.web.guard import Principal

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

# Autoescape for every template, whatever its name: free text typed by anyone is shown escaped.
environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` for ``principal`` (who sees the navigation their role allows)."""

    def can(permission: str) -> bool:
        if principal is None:
            return False
        perm = Permission(permission)
        la = principal.user.la_code if perm in LA_SCOPED else None
        return is_allowed(principal.user, perm, la_code=la)

    html = environment.get_template(template).render(
        request=request,
        principal=principal,
        user=principal.user if principal else None,
        csrf_token=principal.csrf if principal else context.pop("csrf_token", ""),
        can=can,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
