"""Ingest, analyse and the archive build check the acting user's permission, not only the web.

Accounts live in the workspace's own governance database (SQLite), as they do in use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from steward.analyse import analyse
from steward.archive import build_archive
from steward.cli.main import app
from steward.errors import PermissionDenied
from steward.governance.access import DEMO_USERNAME, User, demo_researcher
from steward.governance.audit import last_entries
from steward.governance.audit.workspace import workspace_audit_log
from steward.governance.db import open_database, session_scope
from steward.ingest import file_sha256, ingest
from steward.landing import Landing
from steward.workspace import Workspace, init_workspace

Accounts = Callable[..., User]
PASSWORD = "correct horse battery staple"
ROCHDALE = "E08000005"  # GSS code; its returns carry the DfE number 354
NPD_ABSENCE = (
    "PupilMatchingRefAnonymous,AcademicYear,SessionsPossible_Autumn,AuthorisedAbsence_Autumn,"
    "UnauthorisedAbsence_Autumn,OverallAbsence_Autumn\nP1,2021/22,140,6,4,10\n"
)
runner = CliRunner()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def rochdale_return(tiny_returns: Path) -> Path:
    return tiny_returns / "rochdale_dr1_apr22.xlsx"


@pytest.fixture
def redcar_return(tiny_returns: Path) -> Path:
    return tiny_returns / "redcar_dr1_nov21.xlsx"


def submitted_las(ws: Workspace) -> set[str]:
    if not ws.store_file.exists():
        return set()
    con = duckdb.connect(str(ws.store_file), read_only=True)
    try:
        return {la for (la,) in con.execute("SELECT DISTINCT la_code FROM submissions").fetchall()}
    finally:
        con.close()


def audit_actors(ws: Workspace) -> list[tuple[str, str, str | None]]:
    with session_scope(workspace_audit_log(ws).engine) as session:
        return [
            (e.actor, e.action, (e.details or {}).get("status")) for e in last_entries(session, 500)
        ]


# -- ingest ------------------------------------------------------------------------------------


def test_a_researcher_ingests_returns_of_any_la(
    workspace: Workspace, account: Accounts, rochdale_return: Path, redcar_return: Path
) -> None:
    researcher = account(workspace)
    summary = ingest(workspace, [rochdale_return, redcar_return], actor=researcher)
    assert [o.status for o in summary.outcomes] == ["loaded", "loaded"]
    assert submitted_las(workspace) == {"354", "807"}
    entries = audit_actors(workspace)
    assert ("rita.researcher", "ingest", "loaded") in entries
    assert {actor for actor, action, _ in entries if action == "ingest"} == {"rita.researcher"}


def test_an_la_provider_submits_only_their_own_las_returns(
    workspace: Workspace, account: Accounts, rochdale_return: Path, redcar_return: Path
) -> None:
    provider = account(workspace, "lee.rochdale", "la_provider", la_code=ROCHDALE)
    summary = ingest(workspace, [redcar_return, rochdale_return], actor=provider)
    by_name = {o.path.name: o for o in summary.outcomes}
    assert by_name[rochdale_return.name].status == "loaded"
    refused = by_name[redcar_return.name]
    assert refused.status == "refused" and summary.refused == [refused]
    assert isinstance(refused.error, PermissionDenied)
    assert redcar_return.name in refused.error.what and "807" in refused.error.what
    assert "own local authority" in refused.error.what
    assert refused.error.where.file == redcar_return.name
    # Nothing of the refused file is kept: not in the store, not landed.
    assert submitted_las(workspace) == {"354"}
    landing = Landing.for_workspace(workspace)
    assert not landing.exists(file_sha256(redcar_return))
    assert landing.exists(file_sha256(rochdale_return))
    assert ("lee.rochdale", "ingest", "refused") in audit_actors(workspace)


def test_an_la_provider_is_not_told_what_another_la_has_sent(
    workspace: Workspace, account: Accounts, rochdale_return: Path, redcar_return: Path
) -> None:
    researcher = account(workspace)
    assert not ingest(workspace, [rochdale_return, redcar_return], actor=researcher).failed
    provider = account(workspace, "lee.rochdale", "la_provider", la_code=ROCHDALE)
    summary = ingest(workspace, [rochdale_return, redcar_return], actor=provider)
    assert [o.status for o in summary.outcomes] == ["already_ingested", "refused"]


def test_an_la_providers_refused_file_leaves_no_quarantine(
    workspace: Workspace, account: Accounts, redcar_return: Path
) -> None:
    provider = account(workspace, "lee.rochdale", "la_provider", la_code=ROCHDALE)
    summary = ingest(workspace, [redcar_return], actor=provider)
    assert [o.status for o in summary.outcomes] == ["refused"]
    assert not any(p.is_file() for p in workspace.quarantine.rglob("*"))
    assert not any(p.is_file() for p in workspace.landing.rglob("*"))
    assert submitted_las(workspace) == set()


def test_an_la_provider_is_refused_another_las_cin_census(
    workspace: Workspace, account: Accounts, fixtures_dir: Path, tmp_path: Path
) -> None:
    census = tmp_path / "census.xml"
    text = (fixtures_dir / "cin_census" / "fake_CIN_data.xml").read_text()
    census.write_text(text.replace("<LEA>975</LEA>", "<LEA>926</LEA>"))  # Norfolk's
    provider = account(workspace, "lee.rochdale", "la_provider", la_code=ROCHDALE)
    [outcome] = ingest(workspace, [census], actor=provider).outcomes
    assert outcome.status == "refused" and outcome.error is not None
    assert "926" in outcome.error.what
    assert submitted_las(workspace) == set()
    assert not any(p.is_file() for p in workspace.quarantine.rglob("*"))


@pytest.mark.parametrize("role", ["dpo", "archive_user", "admin"])
def test_roles_without_returns_submit_cannot_ingest(
    workspace: Workspace, account: Accounts, rochdale_return: Path, role: str
) -> None:
    user = account(workspace, f"someone.{role.replace('_', '-')}", role)
    with pytest.raises(PermissionDenied, match=r"returns\.submit"):
        ingest(workspace, [rochdale_return], actor=user)
    assert submitted_las(workspace) == set()
    assert not any(p.is_file() for p in workspace.landing.rglob("*"))


def test_a_deactivated_researcher_cannot_ingest(
    workspace: Workspace, account: Accounts, rochdale_return: Path
) -> None:
    gone = account(workspace, "old.researcher", active=False)
    with pytest.raises(PermissionDenied, match="deactivated"):
        ingest(workspace, [rochdale_return], actor=gone)
    assert submitted_las(workspace) == set()


def test_an_npd_extract_needs_an_in_date_accreditation(tmp_path: Path, account: Accounts) -> None:
    ws = init_workspace(tmp_path / "srs", environment="srs_research")
    extract = tmp_path / "npd" / "absence_3term.csv"
    extract.parent.mkdir()
    extract.write_text(NPD_ABSENCE, encoding="utf-8")
    lapsed = account(ws, "ed.expired", accreditation_expires=dt.date.today() - dt.timedelta(1))
    [outcome] = ingest(ws, [extract], actor=lapsed).outcomes
    assert outcome.status == "refused" and outcome.error is not None
    assert "srs_data.read" in outcome.error.what and "expired" in outcome.error.what
    assert submitted_las(ws) == set()
    accredited = account(ws, "amy.accredited", accreditation_expires=dt.date.today())
    [outcome] = ingest(ws, [extract], actor=accredited).outcomes
    assert outcome.status == "loaded", outcome.error
    assert submitted_las(ws) == {"DfE-NPD"}


def test_an_la_provider_cannot_load_an_npd_extract(tmp_path: Path, account: Accounts) -> None:
    ws = init_workspace(tmp_path / "srs", environment="srs_research")
    extract = tmp_path / "absence_3term.csv"
    extract.write_text(NPD_ABSENCE, encoding="utf-8")
    provider = account(ws, "lee.rochdale", "la_provider", la_code=ROCHDALE)
    [outcome] = ingest(ws, [extract], actor=provider).outcomes
    assert outcome.status == "refused"
    assert submitted_las(ws) == set()


# -- analyse and the archive -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "role", "active", "why"),
    [
        ("dana.dpo", "dpo", True, r"cohort\.build"),
        ("lee.rochdale", "la_provider", True, r"cohort\.build"),
        ("old.researcher", "researcher", False, "deactivated"),
    ],
)
def test_who_may_not_analyse_is_refused_before_the_store_is_read(
    workspace: Workspace, account: Accounts, username: str, role: str, active: bool, why: str
) -> None:
    user = account(workspace, username, role, active=active,
                   la_code=ROCHDALE if role == "la_provider" else None)  # fmt: skip
    with pytest.raises(PermissionDenied, match=why):
        analyse(workspace, actor=user)
    assert not any(workspace.outputs.iterdir())


@pytest.mark.parametrize(("role", "active"), [("archive_user", True), ("dpo", True),
                                              ("researcher", False)])  # fmt: skip
def test_who_may_not_build_the_archive_is_refused(
    workspace: Workspace, account: Accounts, tmp_path: Path, role: str, active: bool
) -> None:
    user = account(workspace, f"u.{role.replace('_', '-')}", role, active=active)
    with pytest.raises(PermissionDenied) as refused:
        build_archive(workspace, tmp_path / "archive", actor=user)
    assert "archive.build" in refused.value.what
    assert not (tmp_path / "archive").exists()


def test_the_archive_build_is_audited_under_the_username(
    workspace: Workspace, account: Accounts, tiny_returns: Path, tmp_path: Path
) -> None:
    researcher = account(workspace)
    assert not ingest(workspace, [tiny_returns], actor=researcher).failed
    build = build_archive(workspace, tmp_path / "archive", actor=researcher, seed=1)
    with session_scope(workspace_audit_log(workspace).engine) as session:
        built = [e for e in last_entries(session, 200) if e.action == "archive_build"]
    assert [(e.actor, e.object_id) for e in built] == [("rita.researcher", build.package_sha256)]
    assert built[0].details["records"] == build.records


# -- the CLI: --as USER, password prompted -----------------------------------------------------


def test_cli_ingest_signs_in_with_the_prompted_password(
    workspace: Workspace, account: Accounts, rochdale_return: Path
) -> None:
    researcher = account(workspace, "cli.researcher", password=PASSWORD)
    args = ["ingest", str(rochdale_return), "-w", str(workspace.root), "--as", researcher.username]
    wrong = runner.invoke(app, args, input="not the password\n")
    assert wrong.exit_code == 9 and "not accepted" in wrong.output
    assert submitted_las(workspace) == set()
    result = runner.invoke(app, args, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output and PASSWORD not in result.output
    assert submitted_las(workspace) == {"354"}
    entries = audit_actors(workspace)
    assert ("cli.researcher", "login", None) in entries
    assert ("cli.researcher", "ingest", "loaded") in entries
    for db in workspace.root.glob("governance.db*"):
        assert PASSWORD.encode() not in db.read_bytes()


def test_cli_ingest_by_an_la_provider_reports_the_refused_file(
    workspace: Workspace, account: Accounts, rochdale_return: Path, redcar_return: Path
) -> None:
    account(workspace, "lee.rochdale", "la_provider", la_code=ROCHDALE, password=PASSWORD)
    result = runner.invoke(
        app,
        ["ingest", str(rochdale_return), str(redcar_return), "-w", str(workspace.root),
         "--as", "lee.rochdale"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "refused" in result.output and redcar_return.name in result.output
    assert submitted_las(workspace) == {"354"}


def test_cli_analyse_and_archive_build_refuse_a_dpo(
    workspace: Workspace, account: Accounts, tmp_path: Path
) -> None:
    account(workspace, "dana.dpo", "dpo", password=PASSWORD)
    analysed = runner.invoke(
        app, ["analyse", "-w", str(workspace.root), "--as", "dana.dpo"], input=PASSWORD + "\n"
    )
    assert analysed.exit_code == 9 and "cohort.build" in analysed.output
    built = runner.invoke(
        app,
        ["archive", "build", "-w", str(workspace.root), "--out", str(tmp_path / "pkg"),
         "--as", "dana.dpo"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert built.exit_code == 9 and "archive.build" in built.output
    assert not (tmp_path / "pkg").exists()


def test_cli_commands_need_an_account() -> None:
    for args in (["ingest", "x.xlsx"], ["analyse"], ["archive", "build", "--out", "pkg"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "--as" in result.output


# -- the demo's own account --------------------------------------------------------------------


def test_the_demo_account_is_made_once_and_only_in_a_workspace_of_its_own(
    workspace: Workspace, tmp_path: Path, account: Accounts
) -> None:
    engine = open_database(workspace.database_url)
    try:
        with session_scope(engine) as session:
            first = demo_researcher(session)
        with session_scope(engine) as session:
            again = demo_researcher(session)
            stored = session.scalar(select(User).where(User.username == DEMO_USERNAME))
    finally:
        engine.dispose()
    assert first.username == again.username == DEMO_USERNAME and first.role == "researcher"
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    real = init_workspace(tmp_path / "real")
    account(real, "rita.researcher")
    engine = open_database(real.database_url)
    try:
        with (
            pytest.raises(PermissionDenied, match="accounts of its own"),
            session_scope(engine) as session,
        ):
            demo_researcher(session)
    finally:
        engine.dispose()


def test_the_demo_refuses_a_workspace_with_accounts_of_its_own(
    workspace: Workspace, account: Accounts
) -> None:
    account(workspace)
    result = runner.invoke(app, ["demo", "--dir", str(workspace.root), "--scale", "tiny"])
    assert result.exit_code == 9 and "accounts of its own" in result.output
    assert not (workspace.root / "incoming").exists()
    assert submitted_las(workspace) == set()


@pytest.mark.slow
def test_the_demo_runs_without_a_prompt_as_its_own_researcher(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--dir", str(folder), "--scale", "tiny"], input="")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output and DEMO_USERNAME in result.output
    ws = init_workspace(folder)
    actors = {(actor, action) for actor, action, _ in audit_actors(ws)}
    assert {(DEMO_USERNAME, "ingest"), (DEMO_USERNAME, "export"), ("demo", "user_added")} <= actors
