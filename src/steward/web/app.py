"""The app factory: ``create_app(workspace)`` wires routers, sessions, limits and error shapes."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from steward.governance.access import Permission
from steward.governance.db import open_database
from steward.web.context import (
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_SESSION_LIFETIME_SECONDS,
    WebContext,
)
from steward.web.errors import install_error_handlers
from steward.web.guard import route_permissions
from steward.web.limits import BodySizeLimit, SecurityHeaders
from steward.web.sessions import SessionSigner, session_secret
from steward.web.templating import STATIC
from steward.workspace import Workspace

# Multipart framing around the file itself.
_FORM_OVERHEAD = 64 * 1024


def mounted_routers() -> list[tuple[str, APIRouter, bool]]:
    """Every router of the app: (prefix, router, shown in the OpenAPI schema)."""
    from steward.web.routes import api, audit, auth, consent, policy, requests, status, uploads

    pages = [
        (module.router) for module in (auth, status, requests, consent, audit, policy, uploads)
    ]
    return [("", router, False) for router in pages] + [("/api", api.router, True)]


@dataclass(frozen=True)
class RouteInfo:
    """One endpoint and the permissions it declared (None: public, e.g. the login form)."""

    method: str
    path: str
    permissions: tuple[Permission, ...] | None


def route_table() -> list[RouteInfo]:
    """Every endpoint of every router, for the route × role checks."""
    table = []
    for prefix, router, _ in mounted_routers():
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods or ()):
                    table.append(RouteInfo(method, prefix + route.path, route_permissions(route)))
    return table


def create_app(
    workspace: Workspace,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    session_lifetime_seconds: int = DEFAULT_SESSION_LIFETIME_SECONDS,
    secure_cookies: bool = False,
) -> FastAPI:
    """The Steward web app for ``workspace``.

    ``secure_cookies`` marks the session cookie Secure (set it when served over HTTPS).
    """
    engine = open_database(workspace.database_url)
    signer = SessionSigner(
        session_secret(workspace.keys.folder), lifetime_seconds=session_lifetime_seconds
    )
    app = FastAPI(
        title="Steward",
        summary="Governance and data service of the No Wrong Door evaluation",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = WebContext(
        workspace=workspace,
        engine=engine,
        signer=signer,
        max_upload_bytes=max_upload_bytes,
        secure_cookies=secure_cookies,
    )
    install_error_handlers(app)
    for prefix, router, in_schema in mounted_routers():
        app.include_router(router, prefix=prefix, include_in_schema=in_schema)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodySizeLimit, max_bytes=max_upload_bytes + _FORM_OVERHEAD)
    app.add_middleware(SecurityHeaders)
    return app
