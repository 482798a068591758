"""A workspace with one user per role, the app on it, and logged-in test clients."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from steward.governance.access import Role, add_user, bootstrap_admin
from steward.governance.db import open_database, session_scope
from steward.web import create_app
from steward.workspace import Workspace, init_workspace, open_workspace

PASSWORD = "correct horse battery staple"
OWN_LA = "E08000005"  # Rochdale
OTHER_LA = "E06000003"  # Redcar and Cleveland
USERS = {
    "admin": (Role.ADMIN, None),
    "dpo": (Role.DPO, None),
    "researcher": (Role.RESEARCHER, None),
    "la-rochdale": (Role.LA_PROVIDER, OWN_LA),
    "la-redcar": (Role.LA_PROVIDER, OTHER_LA),
    "archivist": (Role.ARCHIVE_USER, None),
}


def add_users(workspace: Workspace) -> None:
    engine = open_database(workspace.database_url)
    try:
        with session_scope(engine) as session:
            admin = bootstrap_admin(session, "admin", PASSWORD)
            for name, (role, la) in USERS.items():
                if name == "admin":
                    continue
                add_user(
                    session, admin, name, PASSWORD, role, user_la_code=la,
                    accreditation_expires=dt.date.today() + dt.timedelta(days=365)
                    if role is Role.RESEARCHER else None,
                )  # fmt: skip
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def template_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with its users, made once (password hashing is slow by design)."""
    root = tmp_path_factory.mktemp("template")
    ws = init_workspace(root / "ws", key_dir=root / "keys")
    add_users(ws)
    return root


@pytest.fixture
def workspace(tmp_path: Path, template_workspace: Path) -> Workspace:
    """A fresh copy of the template workspace (and its own key folder)."""
    shutil.copytree(template_workspace, tmp_path / "copy")
    return open_workspace(tmp_path / "copy" / "ws", key_dir=tmp_path / "copy" / "keys")


@pytest.fixture
def app(workspace: Workspace) -> FastAPI:
    return create_app(workspace, max_upload_bytes=2 * 1024 * 1024)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` in; returns the session's CSRF token."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


@pytest.fixture
def client_for(app: FastAPI) -> Callable[[str], tuple[TestClient, str]]:
    """A new client logged in as ``username``, and its CSRF token."""

    def make(username: str) -> tuple[TestClient, str]:
        client = TestClient(app, base_url="http://testserver")
        return client, login(client, username)

    return make
