"""Who is asking and may they: the ``require(...)`` dependency every protected route declares.

A request is authenticated by its signed session cookie or by ``Authorization: Bearer`` with an
API token. Unsafe methods (POST, PUT, PATCH, DELETE) with a session cookie must carry the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``); token-authenticated
API calls carry no ambient credentials, so they need none.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select

from steward.errors import PermissionDenied
from steward.governance.access import (
    LA_SCOPED,
    AuthenticationFailed,
    Permission,
    Role,
    User,
    authenticate_token,
    authorise,
)
from steward.governance.db import session_scope
from steward.web.context import get_context
from steward.web.sessions import COOKIE_NAME, CSRF_FIELD, CSRF_HEADER, WebSession, csrf_matches

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotLoggedIn(Exception):
    """No valid session or token: pages redirect to the login form, the API answers 401."""


class CsrfFailed(PermissionDenied):
    """An unsafe request with a session cookie but without the session's CSRF token."""


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request and how they were authenticated."""

    user: User
    session: WebSession | None  # None for API-token requests

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def la_code(self) -> str | None:
        """The only LA an LA data provider may see; None for every other role."""
        return self.user.la_code if self.role is Role.LA_PROVIDER else None

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


def read_session(request: Request) -> WebSession | None:
    """The request's valid session (logged in or not), or None."""
    return get_context(request).signer.loads(request.cookies.get(COOKIE_NAME))


async def check_csrf(request: Request, session: WebSession) -> None:
    """Refuse an unsafe request whose CSRF token does not match the session's."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(session.csrf, given):
        raise CsrfFailed(
            what="the form was not sent from a Steward page of your current session",
            fix="Reload the page and submit it again.",
        )


async def authenticate_request(request: Request) -> Principal:
    """The principal of ``request`` (cookie or bearer token), or ``NotLoggedIn``."""
    ctx = get_context(request)
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
        try:
            with session_scope(ctx.engine) as db:
                user = authenticate_token(db, token)
        except AuthenticationFailed:
            raise NotLoggedIn() from None
        return Principal(user, None)
    session = read_session(request)
    if session is None or session.user_id is None:
        raise NotLoggedIn()
    with session_scope(ctx.engine) as db:
        found = db.scalar(select(User).where(User.id == session.user_id))
    if found is None or not found.active:
        raise NotLoggedIn()
    user = found
    if request.method in UNSAFE_METHODS:
        await check_csrf(request, session)
    return Principal(user, session)


class Require:
    """Dependency: the request's principal must hold one of ``permissions``.

    An LA data provider's LA-scoped permissions are checked for their own LA; every handler
    then limits what it shows to that LA (:attr:`Principal.la_code`).
    """

    def __init__(self, *permissions: Permission) -> None:
        if not permissions:
            raise ValueError("a route must require at least one permission")
        self.permissions = tuple(Permission(p) for p in permissions)

    async def __call__(self, request: Request) -> Principal:
        principal = await authenticate_request(request)
        denied: PermissionDenied | None = None
        for permission in self.permissions:
            la = principal.user.la_code if permission in LA_SCOPED else None
            try:
                authorise(principal.user, permission, la_code=la)
            except PermissionDenied as exc:
                denied = denied or exc
                continue
            return principal
        assert denied is not None
        raise denied

    def __repr__(self) -> str:
        return f"require({', '.join(p.value for p in self.permissions)})"


def require(*permissions: Permission) -> Require:
    """The dependency a route declares: ``Depends(require(Permission.RIGHTS_MANAGE))``."""
    return Require(*permissions)


def route_permissions(route: object) -> tuple[Permission, ...] | None:
    """The permissions a route declared through :func:`require`, or None for a public route."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Require):
            return dep.call.permissions
        stack.extend(dep.dependencies)
    return None
