"""NPD loads: refused in an evaluator workspace before anything is written, accepted in the SRS
from an accredited researcher, refused to anyone else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steward.cli.linkage import app
from steward.errors import PermissionDenied, PolicyViolation
from steward.governance.access import User
from steward.governance.audit import last_entries
from steward.governance.audit.workspace import workspace_audit_log
from steward.governance.db import session_scope
from steward.ingest import IngestRun, file_sha256
from steward.returns.npd.ingest import ingest_npd, load_npd_extract
from steward.store import ResearchStore
from steward.workspace import Workspace, init_workspace

Accounts = Callable[..., User]
PASSWORD = "correct horse battery staple"

ABSENCE = (
    "PupilMatchingRefAnonymous,AcademicYear,SessionsPossible_Autumn,AuthorisedAbsence_Autumn,"
    "UnauthorisedAbsence_Autumn,OverallAbsence_Autumn\n"
    "P1,2021/22,140,6,4,10\nP2,2021/22,140,0,0,0\nP3,2019/20,140,6,4,10\n"
)
FSM = "PupilMatchingRefAnonymous,AcademicYear,FSMeligible,EVERFSM_6,EVERFSM_6_P,Disadvantaged\n"
LOOKUP = "PupilMatchingRefAnonymous,upn_pid\nP1," + "ab" * 16 + "\n," + "cd" * 16 + "\n"


@pytest.fixture
def extract(tmp_path: Path) -> Path:
    folder = tmp_path / "srs" / "npd"
    folder.mkdir(parents=True)
    (folder / "absence_3term.csv").write_text(ABSENCE, encoding="utf-8")
    (folder / "school_census_fsm.csv").write_text(FSM + "P1,2021/22,1,1,1,1\n", encoding="utf-8")
    (folder / "pmr_lookup.csv").write_text(LOOKUP, encoding="utf-8")
    return folder


def npd_rows(root: Path) -> dict[str, int]:
    with ResearchStore(root / "store" / "research.duckdb") as store:
        return {
            t: store.query(f'SELECT count(*) AS n FROM "{t}"').column("n")[0].as_py()
            for t in ("npd_absence", "npd_fsm", "npd_pmr_lookup", "submissions")
        }


def nothing_kept(ws: Workspace) -> bool:
    return (
        npd_rows(ws.root) == {"npd_absence": 0, "npd_fsm": 0, "npd_pmr_lookup": 0, "submissions": 0}
        and not any(p.is_file() for p in ws.landing.rglob("*"))
        and not any(p.is_file() for p in ws.quarantine.rglob("*"))
    )


def ingest_entries(ws: Workspace) -> list[tuple[str, str | None]]:
    with session_scope(workspace_audit_log(ws).engine) as session:
        return [
            (e.actor, (e.details or {}).get("status"))
            for e in last_entries(session, 100)
            if e.action == "ingest"
        ]


def test_refused_in_an_evaluator_workspace(
    tmp_path: Path, extract: Path, account: Accounts
) -> None:
    ws = init_workspace(tmp_path / "ws")
    assert ws.settings.environment == "evaluator"
    researcher = account(ws)
    with pytest.raises(PolicyViolation) as caught:
        load_npd_extract(ws, [extract], actor=researcher)
    assert "dfe_education_extract" in caught.value.what
    assert "srs_research" in caught.value.what
    # The hook refuses on its own too, before reading the file.
    run = IngestRun(ws, actor=researcher)
    try:
        path = extract / "absence_3term.csv"
        with pytest.raises(PolicyViolation):
            ingest_npd(run, path, file_sha256(path))
    finally:
        run.close()
    assert npd_rows(ws.root) == {"npd_absence": 0, "npd_fsm": 0, "npd_pmr_lookup": 0,
                                 "submissions": 0}  # fmt: skip
    assert not any(p.is_file() for p in ws.landing.rglob("*"))
    assert not any(p.is_file() for p in ws.quarantine.rglob("*"))


def test_loaded_in_the_srs_research_environment(
    tmp_path: Path, extract: Path, account: Accounts
) -> None:
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    researcher = account(ws, accreditation_expires=dt.date.today())  # its last day
    outcomes = load_npd_extract(ws, [extract], actor=researcher)
    assert sorted(o.status for o in outcomes) == ["loaded"] * 3
    by_name = {o.path.name: o for o in outcomes}
    assert by_name["absence_3term.csv"].quarantined == 1  # the 2019/20 row
    assert by_name["absence_3term.csv"].la_code == "DfE-NPD"
    assert npd_rows(ws.root) == {"npd_absence": 2, "npd_fsm": 1, "npd_pmr_lookup": 2,
                                 "submissions": 3}  # fmt: skip
    # The held-back row is in the (encrypted) quarantine, with its reason.
    assert any(p.is_file() for p in ws.quarantine.rglob("*"))
    with ResearchStore.open(ws) as store:
        lookup = store.current("npd_pmr_lookup").to_pylist()
    assert {(r["pmr"], r["upn_pid"]) for r in lookup} == {("P1", "ab" * 16), (None, "cd" * 16)}
    again = load_npd_extract(ws, [extract], actor=researcher)
    assert [o.status for o in again] == ["already_ingested"] * 3
    assert npd_rows(ws.root)["submissions"] == 3
    # Audited under the username, never anything else of the account.
    assert ingest_entries(ws) == [("rita.researcher", "loaded")] * 3


def test_a_bad_file_fails_alone(tmp_path: Path, extract: Path, account: Accounts) -> None:
    (extract / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    loaded = load_npd_extract(ws, [extract], actor=account(ws))
    outcomes = {o.path.name: o for o in loaded}
    assert outcomes["notes.csv"].status == "failed"
    assert outcomes["notes.csv"].error is not None
    assert outcomes["notes.csv"].error.where.file == "notes.csv"
    assert outcomes["pmr_lookup.csv"].status == "loaded"


@pytest.mark.parametrize(
    ("username", "role", "expires", "la_code", "why"),
    [
        ("ed.expired", "researcher", dt.date.today() - dt.timedelta(days=1), None, "expired"),
        ("nora.never", "researcher", None, None, "no in-date accreditation"),
        ("dana.dpo", "dpo", None, None, "the dpo role does not include it"),
        ("lee.rochdale", "la_provider", None, "E08000005", "their own local authority"),
    ],
)
def test_who_may_not_read_srs_data_is_refused_before_anything_is_read(
    tmp_path: Path, extract: Path, account: Accounts,
    username: str, role: str, expires: dt.date | None, la_code: str | None, why: str,
) -> None:  # fmt: skip
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    user = account(ws, username, role, accreditation_expires=expires, la_code=la_code)
    with pytest.raises(PermissionDenied, match=why) as refused:
        load_npd_extract(ws, [extract], actor=user)
    assert username in refused.value.what
    assert nothing_kept(ws)
    assert ingest_entries(ws) == []
    # An empty folder is refused all the same: the check does not wait for a file.
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PermissionDenied, match=why):
        load_npd_extract(ws, [empty], actor=user)


def test_the_hook_refuses_a_run_without_an_accredited_user(
    tmp_path: Path, extract: Path, account: Accounts
) -> None:
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    path = extract / "absence_3term.csv"
    lapsed = account(ws, "ed.expired", accreditation_expires=dt.date(2020, 1, 1))
    for actor in ("loader", lapsed):
        run = IngestRun(ws, actor=actor)
        try:
            with pytest.raises(PermissionDenied):
                ingest_npd(run, path, file_sha256(path))
        finally:
            run.close()
    assert nothing_kept(ws)


def test_cli_load_npd_signs_in_and_checks_the_accreditation(
    tmp_path: Path, extract: Path, account: Accounts
) -> None:
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    account(ws, "ed.expired", accreditation_expires=dt.date(2020, 1, 1), password=PASSWORD)
    account(ws, "amy.accredited", password=PASSWORD)
    runner = CliRunner()
    args = ["load-npd", str(extract), "--workspace", str(ws.root), "--as"]
    assert runner.invoke(app, args[:-1]).exit_code == 2  # --as is required
    wrong = runner.invoke(app, [*args, "amy.accredited"], input="not the password\n")
    assert wrong.exit_code == 9 and "not accepted" in wrong.output
    refused = runner.invoke(app, [*args, "ed.expired"], input=PASSWORD + "\n")
    assert refused.exit_code == 9, refused.output
    assert "srs_data.read" in " ".join(refused.output.split())
    assert "Traceback" not in refused.output
    assert nothing_kept(ws)
    loaded = runner.invoke(app, [*args, "amy.accredited"], input=PASSWORD + "\n")
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.count("loaded ") == 3 and PASSWORD not in loaded.output
    assert npd_rows(ws.root)["submissions"] == 3
    assert ingest_entries(ws) == [("amy.accredited", "loaded")] * 3
