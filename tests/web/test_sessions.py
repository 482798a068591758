"""Login, sessions (forged, expired, logged out) and CSRF on every POST."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient

from steward.web import create_app
from steward.web.sessions import COOKIE_NAME, SessionSigner, session_secret
from steward.workspace import Workspace

from .conftest import PASSWORD, csrf_of, login


def test_login_sets_a_strict_httponly_cookie_and_opens_the_home_page(app: FastAPI) -> None:
    client = TestClient(app)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "dpo", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "Rights request queue" in home.text


def test_wrong_password_is_refused_without_saying_which_part(app: FastAPI) -> None:
    client = TestClient(app)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "dpo", "password": "wrong password!!", "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 401
    assert "username or password" in response.text
    assert client.get("/requests", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    response = client.post("/login", data={"username": "dpo", "password": PASSWORD})
    assert response.status_code == 403


def test_anonymous_pages_redirect_to_login_and_api_answers_401(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/requests?status=open", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=%2Frequests")
    api = client.get("/api/requests")
    assert api.status_code == 401
    assert set(api.json()["error"]) == {"code", "message", "fix"}


def test_next_never_leads_off_site(app: FastAPI) -> None:
    client = TestClient(app)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "dpo", "password": PASSWORD, "csrf_token": csrf_of(form.text),
              "next": "//evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/"


def test_forged_cookie_is_no_session(app: FastAPI, workspace: Workspace) -> None:
    forger = SessionSigner(b"not the workspace secret" * 2, lifetime_seconds=3600)
    client = TestClient(app)
    client.cookies.set(COOKIE_NAME, forger.dumps(forger.new(1)))
    assert client.get("/requests", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE_NAME, "garbage.value.here")
    assert client.get("/api/me").status_code == 401


def test_tampered_cookie_is_no_session(client_for) -> None:  # type: ignore[no-untyped-def]
    client, _ = client_for("archivist")
    value = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert client.get("/api/me").status_code == 401


def test_expired_session_is_no_session(workspace: Workspace) -> None:
    app = create_app(workspace, session_lifetime_seconds=1)
    client = TestClient(app)
    login(client, "dpo")
    assert client.get("/api/me").status_code == 200
    time.sleep(2.1)
    assert client.get("/api/me").status_code == 401


def test_session_secret_lives_in_the_key_folder_not_the_workspace(workspace: Workspace) -> None:
    secret = session_secret(workspace.keys.folder)
    assert session_secret(workspace.keys.folder) == secret
    assert not any(p.read_bytes() == secret for p in workspace.root.rglob("*") if p.is_file())


def test_logout_ends_the_session_even_for_a_kept_copy(client_for) -> None:  # type: ignore[no-untyped-def]
    client, csrf = client_for("dpo")
    copy = client.cookies[COOKIE_NAME]
    assert (
        client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    )
    other = TestClient(client.app)
    other.cookies.set(COOKIE_NAME, copy)
    assert other.get("/api/me").status_code == 401


def test_post_without_or_with_a_wrong_csrf_token_is_refused(client_for) -> None:  # type: ignore[no-untyped-def]
    client, csrf = client_for("dpo")
    form = {"rights": "access", "name": "Ann Example", "contact": "ann@example.org",
            "channel": "email", "received_on": "2026-01-05"}  # fmt: skip
    assert client.post("/requests/new", data=form).status_code == 403
    assert client.post("/requests/new", data={**form, "csrf_token": "x" + csrf}).status_code == 403
    api = client.post("/api/audit/verify")
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf_failed"
    ok = client.post("/api/audit/verify", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json()["ok"] is True


def test_a_deactivated_users_session_stops_working(client_for) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from steward.governance.access import User, set_active
    from steward.governance.db import session_scope

    client, _ = client_for("researcher")
    assert client.get("/api/me").status_code == 200
    with session_scope(client.app.state.ctx.engine) as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        set_active(session, admin, "researcher", False)
    assert client.get("/api/me").status_code == 401
    assert client.get("/status", follow_redirects=False).status_code == 303
