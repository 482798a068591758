"""Uploads (LA scoping, size, file names), escaping of free text and formula-safe CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from steward.errors import InputFileError
from steward.web.csv_export import csv_text, neutralise
from steward.web.upload_records import sanitise_filename

Clients = Callable[[str], tuple[TestClient, str]]


def upload(client: TestClient, csrf: str, path: Path, name: str | None = None):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return client.post(
            "/uploads",
            data={"csrf_token": csrf},
            files={"file": (name or path.name, fh, "application/octet-stream")},
            follow_redirects=False,
        )


def test_la_uploads_a_return_sees_its_report_and_other_las_see_nothing(
    client_for: Clients, tiny_returns: Path
) -> None:
    rochdale, csrf = client_for("la-rochdale")
    response = upload(rochdale, csrf, tiny_returns / "rochdale_dr1_apr22.xlsx",
                      name="..\\..\\C:/evil/../rochdale_dr1_apr22.xlsx")  # fmt: skip
    assert response.status_code == 303
    detail_url = response.headers["location"]
    detail = rochdale.get(detail_url)
    assert ">loaded<" in detail.text, detail.text
    assert "rochdale_dr1_apr22.xlsx" in detail.text
    assert "evil" not in detail.text
    report = rochdale.get(detail_url + "/report")
    assert (
        report.status_code == 200
        and "default-src 'none'" in report.headers["content-security-policy"]
    )
    redcar, _ = client_for("la-redcar")
    assert "rochdale_dr1_apr22" not in redcar.get("/uploads").text
    assert redcar.get(detail_url).status_code == 404
    assert redcar.get(detail_url + "/report").status_code == 404
    assert redcar.get("/api/uploads").json() == []
    dpo, _ = client_for("dpo")
    assert "rochdale_dr1_apr22" in dpo.get("/uploads").text


def test_la_cannot_submit_another_las_return(client_for: Clients, tiny_returns: Path) -> None:
    rochdale, csrf = client_for("la-rochdale")
    response = upload(rochdale, csrf, tiny_returns / "redcar_dr1_nov21.xlsx")
    detail = rochdale.get(response.headers["location"])
    # The ingest service refused it for the signed-in account, before anything was kept.
    assert "refused" in detail.text and "only for their own local authority" in detail.text
    assert "redcar_dr1_nov21.xlsx" in detail.text
    researcher, researcher_csrf = client_for("researcher")
    status = researcher.get("/status").text
    assert "E06000003" not in status  # nothing of Redcar was loaded
    # The evaluation team may submit any LA's return through the same route.
    response = upload(researcher, researcher_csrf, tiny_returns / "redcar_dr1_nov21.xlsx")
    assert ">loaded<" in researcher.get(response.headers["location"]).text


def test_oversized_upload_is_refused_before_it_is_read(client_for: Clients, tmp_path: Path) -> None:
    client, csrf = client_for("la-rochdale")
    big = tmp_path / "big.csv"
    big.write_bytes(b"a," * (3 * 1024 * 1024))  # over the 2 MB limit the test app has
    response = upload(client, csrf, big)
    assert response.status_code == 413
    api = client.post("/api/uploads", headers={"X-CSRF-Token": csrf},
                      files={"file": ("big.csv", big.read_bytes())})  # fmt: skip
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"


def test_unsupported_type_is_a_clear_error(client_for: Clients, tmp_path: Path) -> None:
    client, csrf = client_for("la-rochdale")
    bad = tmp_path / "notes.exe"
    bad.write_bytes(b"MZ")
    response = upload(client, csrf, bad)
    assert response.status_code == 400 and "not accepted" in response.text


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\x\\return.xlsx", "return.xlsx"),
        ("re\x00turn\n.csv", "return.csv"),
        ("<script>.xml", "_script_.xml"),
        ("....csv", "return.csv"),
    ],
)
def test_file_names_are_sanitised(given: str, safe: str) -> None:
    assert sanitise_filename(given) == safe


def test_file_name_without_supported_suffix_is_refused() -> None:
    with pytest.raises(InputFileError):
        sanitise_filename("../../etc/passwd")


def test_free_text_is_escaped_everywhere(client_for: Clients) -> None:
    dpo, csrf = client_for("dpo")
    script = "<script>alert('x')</script>"
    response = dpo.post(
        "/requests/new",
        data={"csrf_token": csrf, "rights": "access", "name": script, "contact": "a@example.org",
              "channel": "email", "received_on": "2026-01-05", "la_code": "E08000005"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    reference = response.headers["location"].rsplit("/", 1)[1]
    dpo.post(f"/requests/{reference}/forward", data={"csrf_token": csrf, "la_code": "E08000005"})
    la, la_csrf = client_for("la-rochdale")
    assert reference in la.get("/la/requests").text
    answered = la.post(f"/la/requests/{reference}/answer",
                       data={"csrf_token": la_csrf, "answer": script})  # fmt: skip
    assert answered.status_code == 200
    other, other_csrf = client_for("la-redcar")
    assert reference not in other.get("/la/requests").text
    denied = other.post(f"/la/requests/{reference}/answer",
                        data={"csrf_token": other_csrf, "answer": "x"})  # fmt: skip
    assert denied.status_code == 404
    detail = dpo.get(f"/requests/{reference}").text
    requester = dpo.post(f"/requests/{reference}/requester", data={"csrf_token": csrf}).text
    for page in (detail, requester):
        assert script not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in detail
    assert "&lt;script&gt;" in requester


def test_csv_exports_neutralise_formulas(client_for: Clients) -> None:
    assert [neutralise(v) for v in ("=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", None)] == [
        "'=1+1", "'+A1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok", "",
    ]  # fmt: skip
    assert csv_text(["=h"], [["=cmd|' /C calc'!A0"]]).splitlines() == ["'=h", "'=cmd|' /C calc'!A0"]
    dpo, csrf = client_for("dpo")
    dpo.post(
        "/requests/new",
        data={"csrf_token": csrf, "rights": "erasure", "name": "B", "contact": "b@example.org",
              "channel": "email", "received_on": "2026-01-06", "la_code": "=HYPERLINK"},
    )  # fmt: skip
    body = dpo.get("/requests.csv").text
    assert ",'=HYPERLIN," in body
    assert ",=HYPERLIN" not in body


def test_upload_is_ingested_as_the_uploading_user(client_for: Clients, tiny_returns: Path) -> None:
    la, csrf = client_for("la-rochdale")
    upload(la, csrf, tiny_returns / "rochdale_dr1_nov20.xlsx")
    admin, _ = client_for("admin")
    entries = admin.get("/api/audit/entries?last=50").json()
    assert any(e["actor"] == "la-rochdale" and e["action"] == "ingest" for e in entries)


def test_pages_carry_security_headers(client_for: Clients) -> None:
    dpo, _ = client_for("dpo")
    response = dpo.get("/requests")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
