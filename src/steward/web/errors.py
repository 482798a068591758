"""One error shape for the JSON API, readable error pages for the browser.

Every 4xx/5xx under ``/api`` is ``{"error": {"code", "message", "fix"}}``; pages show the same
what/how-to-fix text. Nothing shows a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from steward.errors import PermissionDenied, UserError
from steward.web.guard import CsrfFailed, NotLoggedIn

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_logged_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid_input",
    500: "internal_error",
}


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_body(code: str, message: str, fix: str) -> dict[str, Any]:
    """The API's one error shape."""
    return {"error": {"code": code, "message": message, "fix": fix}}


def error_response(request: Request, status: int, code: str, message: str, fix: str) -> Response:
    """JSON for the API, an escaped HTML page for the browser."""
    if is_api(request):
        return JSONResponse(error_body(code, message, fix), status_code=status)
    from steward.web.templating import environment

    html = environment.get_template("error.html").render(
        status=status, message=message, fix=fix, principal=None, user=None, csrf_token="",
        can=lambda _p: False,
    )  # fmt: skip
    return Response(html, status_code=status, media_type="text/html")


def _user_error_status(exc: UserError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    what = exc.what.lower()
    if what.startswith(("there is no ", "no such ")):
        return 404
    return 422 if type(exc).__name__ == "ValidationError" else 400


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the shapes above."""

    @app.exception_handler(NotLoggedIn)
    async def _not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if is_api(request):
            return JSONResponse(
                error_body(
                    "not_logged_in",
                    "no valid session or API token",
                    "Log in, or send 'Authorization: Bearer <token>'.",
                ),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_response(request, 403, "csrf_failed", exc.what, exc.fix)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> Response:
        status = _user_error_status(exc)
        code = "permission_denied" if status == 403 else type(exc).__name__.lower()
        message = exc.what + (f" ({exc.where})" if str(exc.where) else "")
        return error_response(request, status, code, message, exc.fix)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return error_response(
            request, 422, "invalid_input", f"the request is not valid: {problems}",
            "Correct the named fields and send it again.",
        )  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "error")
        fix = {
            404: "Check the address.",
            405: "Use the method the API documents.",
            413: "Send a smaller file.",
        }.get(exc.status_code, "Try again or ask the administrator.")
        response = error_response(request, exc.status_code, code, str(exc.detail), fix)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Logged by type only: the message may quote data.
        log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(
            request, 500, "internal_error", "something went wrong inside Steward",
            "Try again; if it happens again, tell the administrator the time it happened.",
        )  # fmt: skip
