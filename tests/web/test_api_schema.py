"""The JSON API: one error shape, the OpenAPI schema, and a bounded schemathesis run (no 5xx)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from steward.governance.access import issue_token
from steward.governance.access.models import User
from steward.governance.db import session_scope

from .conftest import OWN_LA


def token_for(app: FastAPI, username: str) -> str:
    with session_scope(app.state.ctx.engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return issue_token(session, user)


def test_openapi_schema_lists_only_the_api(app: FastAPI) -> None:
    schema = TestClient(app).get("/api/openapi.json").json()
    assert schema["paths"] and all(p.startswith("/api/") for p in schema["paths"])


def test_errors_share_one_shape(app: FastAPI) -> None:
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token_for(app, 'dpo')}"}
    cases = [
        client.get("/api/requests/RR-2026-9999", headers=headers),  # 404 (service)
        client.get("/api/nowhere", headers=headers),  # 404 (routing)
        client.post("/api/requests", headers=headers, json={"rights": []}),  # 422
        client.get("/api/audit/entries", headers={"Authorization": "Bearer stw_forged"}),  # 401
        client.get("/api/uploads", headers=headers),  # allowed: 200
    ]
    for response in cases[:4]:
        assert response.status_code in (401, 404, 422)
        assert set(response.json()) == {"error"}
        assert set(response.json()["error"]) == {"code", "message", "fix"}
    assert cases[4].status_code == 200
    la = {"Authorization": f"Bearer {token_for(app, 'la-rochdale')}"}
    denied = client.get("/api/requests", headers=la)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"


def test_token_requests_need_no_csrf_token(app: FastAPI) -> None:
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token_for(app, 'dpo')}"}
    created = client.post("/api/requests", headers=headers, json={
        "rights": ["access"], "name": "Cy Example", "contact": "cy@example.org",
        "received_on": "2026-02-02", "la_code": OWN_LA})  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["identity_status"] == "pending"


@pytest.mark.slow
def test_schemathesis_finds_no_server_errors(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    token = token_for(app, "dpo")
    failures: list[str] = []
    calls: list[int] = []
    for operation in schema.get_all_operations():
        op = operation.ok()
        if op.path == "/api/uploads" and op.method.upper() == "POST":
            continue  # multipart upload: exercised by the upload tests

        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=op.as_strategy())
        def run(case):  # type: ignore[no-untyped-def]
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        run()
    assert len(calls) > 50, "schemathesis made too few calls to mean anything"
    assert any(status < 300 for status in calls), "no generated call was ever accepted"
    assert not failures, failures
