"""Request and response guards: a hard cap on request bodies, enforced while the body streams in
(before it is parsed), and the security headers every response carries."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: 413 for a body over ``max_bytes`` (declared or actually sent)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        limit_mb = self.max_bytes / (1024 * 1024)
        message = f"the upload is larger than the limit of {limit_mb:g} MB"
        if str(scope.get("path", "")).startswith("/api"):
            body = json.dumps(
                {"error": {"code": "too_large", "message": message,
                           "fix": "Split the return into smaller files, or ask the "
                                  "administrator to raise the limit."}}
            ).encode()  # fmt: skip
            media = b"application/json"
        else:
            body = (
                f"<!doctype html><title>Too large</title><p>{message}. Split the return into "
                "smaller files, or ask the administrator to raise the limit.</p>"
            ).encode()
            media = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", media),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


# Pages load only Steward's own stylesheet; nothing may frame them or guess content types.
SECURITY_HEADERS = {
    b"content-security-policy": b"default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
    b"cache-control": b"no-store",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` unless a route set its own policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
