"""Every route × every role: 403 exactly where ROLE_PERMISSIONS denies, login for anonymous."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from steward.governance.access import ROLE_PERMISSIONS, Role
from steward.web.app import RouteInfo, route_table

from .conftest import USERS

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
SAMPLE_PARAMS = {
    "reference": "RR-2026-0001",
    "upload_id": "20260101T000000-deadbeef",
    "name": "quality/quality.html",
    "pack": "pack-20260101T000000000000",
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)


def call(client: TestClient, route: RouteInfo, csrf: str) -> int:
    url = concrete(route.path)
    if route.method == "GET":
        return client.get(url, follow_redirects=False).status_code
    if route.path.startswith("/api/"):
        return client.post(url, json={}, headers={"X-CSRF-Token": csrf},
                           follow_redirects=False).status_code  # fmt: skip
    return client.post(url, data={"csrf_token": csrf}, follow_redirects=False).status_code


def test_every_route_but_login_declares_a_permission() -> None:
    undeclared = {(r.method, r.path) for r in route_table() if r.permissions is None}
    assert undeclared == PUBLIC


@pytest.mark.parametrize("username", sorted(USERS))
def test_route_by_role(username: str, client_for: Callable[[str], tuple[TestClient, str]]) -> None:
    client, csrf = client_for(username)
    role = Role(USERS[username][0])
    wrong = []
    for route in route_table():
        if route.permissions is None:
            continue
        allowed = any(p in ROLE_PERMISSIONS[role] for p in route.permissions)
        status = call(client, route, csrf)
        if allowed and (status == 403 or status >= 500):
            wrong.append(f"{route.method} {route.path}: {status}, expected access")
        if not allowed and status != 403:
            wrong.append(f"{route.method} {route.path}: {status}, expected 403")
    assert not wrong, "\n".join(wrong)


def test_anonymous_gets_login_or_401_everywhere(app: FastAPI) -> None:
    client = TestClient(app)
    for route in route_table():
        if route.permissions is None:
            continue
        status = call(client, route, "")
        expected = 401 if route.path.startswith("/api/") else 303
        assert status == expected, f"{route.method} {route.path}: {status}"
