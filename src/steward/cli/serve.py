"""``steward serve``: the web app for the DPO, LA data teams and researchers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI

from steward.cli.common import WorkspaceOption, user_errors

UPLOAD_LIMIT_MB = 50


def serve(
    workspace: WorkspaceOption = Path("."),
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep 127.0.0.1 behind a proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    max_upload_mb: Annotated[
        int, typer.Option(help="Largest return file accepted by upload, in MB.")
    ] = UPLOAD_LIMIT_MB,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark the session cookie Secure (when served over HTTPS).")
    ] = False,
) -> None:
    """Serve the web app (pages and the JSON API under /api) for this workspace."""
    import uvicorn

    with user_errors():
        app = build_app(workspace, max_upload_mb=max_upload_mb, secure_cookies=secure_cookies)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def build_app(
    workspace: Path, *, max_upload_mb: int = UPLOAD_LIMIT_MB, secure_cookies: bool = False
) -> FastAPI:
    """The app for the workspace at ``workspace`` (opened and migrated)."""
    from steward.web import create_app
    from steward.workspace import open_workspace

    return create_app(
        open_workspace(workspace),
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        secure_cookies=secure_cookies,
    )
