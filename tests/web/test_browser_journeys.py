"""Browser journeys in headless Chromium: the LA's (upload → report) and the DPO's
(log in → new access request → verify identity → locate → generate pack → close)."""

from __future__ import annotations

import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page, sync_playwright

from steward.returns import read_return

from .conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser.new_page()
        finally:
            browser.close()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Welcome")


@pytest.mark.slow
def test_la_then_dpo_journeys(server: str, page: Page, tiny_returns: Path) -> None:
    # The LA team uploads a return and reads its quality report.
    log_in(page, server, "la-rochdale")
    page.goto(f"{server}/uploads")
    page.set_input_files("#file", str(tiny_returns / "rochdale_dr2_apr22.xlsx"))
    page.click("#upload")
    page.wait_for_selector("#upload-status")
    assert page.inner_text("#upload-status") == "loaded"
    page.click("#report-link")
    assert "quality" in page.content().lower()
    page.goto(f"{server}/")
    page.click("button:has-text('Log out')")
    page.wait_for_selector("input[name=username]")

    # The DPO logs an access request and answers it.
    child_id = (
        read_return(tiny_returns / "rochdale_dr2_apr22.xlsx")
        .tables[0]
        .data.column("child_id")[0]
        .as_py()
    )
    log_in(page, server, "dpo")
    page.goto(f"{server}/requests")
    page.click("#new-request")
    page.check("#right-access")
    page.fill("#name", "Dee Example")
    page.fill("#contact", "dee@example.org")
    page.click("#log-request")
    page.wait_for_selector("#identity, #problem")
    assert page.query_selector("#problem") is None, page.inner_text("main")
    assert page.inner_text("#identity") == "pending"
    page.fill("#evidence_ref", "ID-2026-001: passport seen")
    page.click("#verify")
    page.wait_for_selector("#done")
    assert page.inner_text("#identity").startswith("verified")
    page.fill("#locate_la", "354")
    page.fill("#la_child_id", str(child_id))
    page.click("#locate-button")
    page.wait_for_selector("#done")
    assert page.inner_text("#locate").startswith("matched")
    page.click("#pack")
    page.wait_for_selector("#pack-done")
    assert "outputs/rights/" in page.inner_text("#pack-done")
    with page.expect_download() as download:
        page.click("#download")
    names = zipfile.ZipFile(download.value.path()).namelist()
    assert {"manifest.json", "data.json", "README.txt"} <= set(names)
    page.click("#back")
    page.select_option("#outcome", "completed")
    page.click("#close")
    page.wait_for_selector("#done")
    assert page.inner_text("#status").startswith("closed")
