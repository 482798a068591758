"""What every request handler needs: the workspace, the governance database and settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from steward.governance.db import session_scope
from steward.web.sessions import SessionSigner
from steward.workspace import Workspace

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
DEFAULT_SESSION_LIFETIME_SECONDS = 8 * 60 * 60


@dataclass
class WebContext:
    """Application-wide state, held on ``app.state.ctx``."""

    workspace: Workspace
    engine: Engine
    signer: SessionSigner
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    secure_cookies: bool = False

    @property
    def uploads_dir(self) -> Path:
        return self.workspace.reports / "uploads"

    @property
    def packs_dir(self) -> Path:
        return self.workspace.outputs / "rights"


def get_context(request: Request) -> WebContext:
    """The app's :class:`WebContext` (a FastAPI dependency)."""
    ctx: WebContext = request.app.state.ctx
    return ctx


def db_session(request: Request) -> Iterator[Session]:
    """A governance database session committed when the handler returns (a dependency)."""
    with session_scope(get_context(request).engine) as session:
        yield session
