"""Logging in and out (password → signed session cookie with a fresh CSRF token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from steward.governance.access import AuthenticationFailed, authenticate
from steward.web.context import WebContext, db_session, get_context
from steward.web.guard import CsrfFailed, read_session
from steward.web.sessions import COOKIE_NAME, WebSession, csrf_matches
from steward.web.templating import render

router = APIRouter()


def set_session_cookie(response: Response, ctx: WebContext, session: WebSession) -> None:
    """HttpOnly, SameSite=Strict, expiring with the session's signed lifetime."""
    response.set_cookie(
        COOKIE_NAME,
        ctx.signer.dumps(session),
        max_age=ctx.signer.lifetime_seconds,
        httponly=True,
        samesite="strict",
        secure=ctx.secure_cookies,
        path="/",
    )


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' or '\\' tricks) is followed."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\r\n\\"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The login form; sets a pre-login session so the form carries a CSRF token."""
    ctx = get_context(request)
    session = read_session(request) or ctx.signer.new(None)
    response = render(
        request, "login.html", None, csrf_token=session.csrf, next=safe_next(next), error=None
    )
    set_session_cookie(response, ctx, session)
    return response


@router.post("/login")
def login(
    request: Request,
    db: Annotated[Session, Depends(db_session, scope="function")],
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the credentials; on success a new session (new id, new CSRF token) replaces the old."""
    ctx = get_context(request)
    pre = read_session(request)
    if pre is None or not csrf_matches(pre.csrf, csrf_token):
        raise CsrfFailed(
            what="the login form has expired or did not come from this site",
            fix="Open the login page again and log in from there.",
        )
    try:
        user = authenticate(db, username.strip(), password)
    except AuthenticationFailed as exc:
        response = render(
            request, "login.html", None, csrf_token=pre.csrf, next=safe_next(next),
            error=f"{exc.what}. {exc.fix}", status_code=401,
        )  # fmt: skip
        return response
    ctx.signer.end(pre)
    redirect = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(redirect, ctx, ctx.signer.new(user.id))
    return redirect


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session (its cookie stops working here) and go back to the login page."""
    ctx = get_context(request)
    session = read_session(request)
    if session is not None:
        from steward.web.guard import check_csrf

        await check_csrf(request, session)
        ctx.signer.end(session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
