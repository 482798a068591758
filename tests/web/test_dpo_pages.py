"""The DPO's and researchers' pages on the real services: audit, policy, retention, consent,
status and reports (with path tricks refused)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from steward.governance.consent.service import QualitativeVault, register_participant
from steward.governance.db import session_scope
from steward.workspace import Workspace

Clients = Callable[[str], tuple[TestClient, str]]


def test_audit_viewer_and_chain_check(client_for: Clients) -> None:
    dpo, csrf = client_for("dpo")
    page = dpo.get("/audit")
    assert page.status_code == 200 and "login" in page.text and "user_added" in page.text
    checked = dpo.post("/audit/verify", data={"csrf_token": csrf})
    assert "audit log intact" in checked.text


def test_policy_pages_render_from_the_registry(client_for: Clients) -> None:
    la, _ = client_for("la-rochdale")
    notice = la.get("/policy/notice")
    assert notice.status_code == 200 and "No Wrong Door" in notice.text
    ropa = la.get("/policy/ropa")
    assert ropa.status_code == 200 and "<table" in ropa.text
    csv = la.get("/policy/ropa.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert not any(line.startswith(("=", "+", "-", "@")) for line in csv.text.splitlines())


def test_retention_calendar_lists_rules_and_stored_objects(client_for: Clients) -> None:
    dpo, _ = client_for("dpo")
    page = dpo.get("/retention")
    assert page.status_code == 200
    assert 'id="ledger"' in page.text and "Rules" in page.text


def test_consent_register_shows_references_not_contacts(
    client_for: Clients, workspace: Workspace
) -> None:
    dpo, _ = client_for("dpo")
    assert "No participants registered" in dpo.get("/consent").text
    from sqlalchemy import select

    from steward.governance.access import User

    app = dpo.app
    with session_scope(app.state.ctx.engine) as session:  # type: ignore[attr-defined]
        actor = session.scalar(select(User).where(User.username == "dpo"))
        register_participant(
            session, actor, QualitativeVault.for_workspace(workspace), kind="parent_guardian",
            contact={"name": "Eve Example", "email": "eve@example.org"}, la_code="E08000005",
        )  # fmt: skip
    page = dpo.get("/consent").text
    assert "parent_guardian" in page and "eve@example.org" not in page


def test_researcher_sees_status_and_reports_but_no_path_tricks(
    client_for: Clients, workspace: Workspace
) -> None:
    (workspace.reports / "quality").mkdir(parents=True, exist_ok=True)
    (workspace.reports / "quality" / "quality.html").write_text("<p>report</p>", "utf-8")
    (workspace.root / "secret.html").write_text("<p>secret</p>", "utf-8")
    researcher, _ = client_for("researcher")
    assert researcher.get("/status").status_code == 200
    listing = researcher.get("/reports").text
    assert "quality/quality.html" in listing
    assert researcher.get("/reports/view/quality/quality.html").text == "<p>report</p>"
    for trick in ("../secret.html", "..%2Fsecret.html", "quality/../../secret.html",
                  "%2e%2e/secret.html", "/etc/passwd"):  # fmt: skip
        response = researcher.get(f"/reports/view/{trick}")
        assert response.status_code == 404, trick
        assert "<p>secret</p>" not in response.text


def test_statistics_csv_is_counts_only(client_for: Clients) -> None:
    dpo, csrf = client_for("dpo")
    dpo.post("/requests/new", data={
        "csrf_token": csrf, "rights": "access", "name": "Fay Example",
        "contact": "fay@example.org", "channel": "letter",
        "received_on": dt.date.today().isoformat()})  # fmt: skip
    body = dpo.get("/requests/statistics.csv").text
    assert "requests,1" in body and "Fay" not in body and "fay@" not in body


def test_pack_download_refuses_path_tricks(client_for: Clients) -> None:
    dpo, _ = client_for("dpo")
    for url in (
        "/requests/RR-2026-0001/pack/..%2F..%2Fsteward.zip",
        "/requests/..%2F..%2F/pack/pack-20260101T000000000000.zip",
        "/requests/RR-2026-0001/pack/pack-20260101T000000000000.zip",
    ):
        assert dpo.get(url).status_code == 404, url


def test_extend_and_refuse_from_the_request_page(client_for: Clients) -> None:
    dpo, csrf = client_for("dpo")
    made = dpo.post("/requests/new", data={
        "csrf_token": csrf, "rights": "erasure", "name": "Gil Example",
        "contact": "gil@example.org", "channel": "email",
        "received_on": dt.date.today().isoformat()}, follow_redirects=False)  # fmt: skip
    url = made.headers["location"]
    extended = dpo.post(url + "/extend", data={"csrf_token": csrf, "months": "2",
                                               "reason": "many records"})  # fmt: skip
    assert extended.status_code == 200 and "extended" in extended.text
    refused = dpo.post(url + "/refuse", data={"csrf_token": csrf, "grounds": "excessive",
                                              "reason": "repeated request"})  # fmt: skip
    assert refused.status_code == 200
    assert "refused" in dpo.get(url).text
