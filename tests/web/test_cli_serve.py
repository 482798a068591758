"""``steward serve``: a clear error for a folder that is not a workspace; the app it builds."""

from __future__ import annotations

from pathlib import Path

import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from steward.cli.serve import build_app, serve
from steward.workspace import Workspace


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve)
    return app


def test_serve_refuses_a_folder_that_is_not_a_workspace(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["--workspace", str(tmp_path)])
    assert result.exit_code == 4
    assert "not a Steward workspace" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_serve_help_names_its_options() -> None:
    result = CliRunner().invoke(cli(), ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--max-upload-mb", "--secure-cookies"):
        assert option in result.output


def test_build_app_serves_the_login_page_with_secure_cookies(workspace: Workspace) -> None:
    app = build_app(workspace.root, max_upload_mb=1, secure_cookies=True)
    response = TestClient(app).get("/login")
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()
    assert app.state.ctx.max_upload_bytes == 1024 * 1024
