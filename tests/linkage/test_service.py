"""run_linkage in each environment, the linkage table written, probabilistic never silent; only
for a user who may query the store (and read SRS data where the NPD is linked)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from steward.cli.linkage import app
from steward.errors import ConfigError, PermissionDenied
from steward.governance.access import User
from steward.governance.audit import last_entries
from steward.governance.audit.workspace import workspace_audit_log
from steward.governance.db import session_scope
from steward.linkage import run_linkage
from steward.returns.npd.store_tables import NPD_SOURCE
from steward.store import ResearchStore
from steward.workspace import Workspace, init_workspace

from .store_rows import put

Accounts = Callable[..., User]
PASSWORD = "correct horse battery staple"
LAPSED = dt.date.today() - dt.timedelta(days=1)


def workspace(tmp_path: Path, environment: str) -> Workspace:
    ws = init_workspace(tmp_path / environment, environment=environment)
    with ResearchStore.open(ws) as store:
        put(store, "dr2_referrals", [{"child_pid": f"c{i}", "referral_pid": f"r{i}",
                                      "referral_date": dt.date(2021, 10, 1)} for i in range(40)],
            la_code="354")  # fmt: skip
        put(store, "cin_children", [{"child_pid": f"c{i}", "upn_pid": f"{i:032x}"}
                                    for i in range(28)], la_code="354", return_type="cin")  # fmt: skip
    return ws


def linkage_entries(ws: Workspace) -> list[tuple[str, bool]]:
    with session_scope(workspace_audit_log(ws).engine) as session:
        return [
            (e.actor, e.details["npd_linked"])
            for e in last_entries(session, 100)
            if e.object_type == "linkage"
        ]


def test_evaluator_workspace_links_statutory_only(tmp_path: Path, account: Accounts) -> None:
    ws = workspace(tmp_path, "evaluator")
    run = run_linkage(ws, actor=account(ws))
    assert not run.result.npd_linked
    assert any("NPD linkage not run" in n for n in run.report.notes)
    assert [t.name for t in run.report.tables if "npd" in t.name] == []
    cin = run.report.table("linkage_cin_census").display
    assert cin.loc["Rochdale 2021/22", "matched"] == "28"
    assert cin.loc["Rochdale 2021/22", "match rate (%)"] == "70.0"
    table = pq.read_table(run.table).to_pandas()
    assert len(table) == 40 and table["npd_status"].isna().all()
    assert (ws.reports / "linkage" / "linkage_report.html").is_file()


def test_srs_workspace_links_the_npd(tmp_path: Path, account: Accounts) -> None:
    ws = workspace(tmp_path, "srs_research")
    with ResearchStore.open(ws) as store:
        put(store, "npd_pmr_lookup", [{"pmr": f"P{i}", "upn_pid": f"{i:032x}"} for i in range(20)],
            la_code=NPD_SOURCE, return_type="npd")  # fmt: skip
        put(store, "npd_fsm", [{"pmr": f"P{i}", "academic_year": 2021} for i in range(20)],
            la_code=NPD_SOURCE, return_type="npd")  # fmt: skip
    run = run_linkage(ws, actor=account(ws, accreditation_expires=dt.date.today()))
    assert run.result.npd_linked
    counts = run.result.children["npd_status"].value_counts().to_dict()
    assert counts == {"matched": 20, "no_pmr": 8, "no_statutory_record": 12}
    assert run.report.table("linkage_npd").display.loc["Rochdale 2021/22", "matched"] == "20"


def test_probabilistic_needs_its_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, account: Accounts
) -> None:
    ws = workspace(tmp_path, "evaluator")
    monkeypatch.setitem(sys.modules, "splink", None)  # as on a machine without Splink
    with pytest.raises(ConfigError) as caught:
        run_linkage(ws, probabilistic=True, actor=account(ws))
    assert "splink" in caught.value.fix.lower()
    assert not (ws.reports / "linkage").exists()


def test_a_linkage_run_is_audited_under_the_username(tmp_path: Path, account: Accounts) -> None:
    ws = workspace(tmp_path, "evaluator")
    run_linkage(ws, actor=account(ws, "amy.analyst"))
    assert linkage_entries(ws) == [("amy.analyst", False)]


@pytest.mark.parametrize(
    ("username", "role", "la_code", "why"),
    [
        ("dana.dpo", "dpo", None, r"store\.query"),
        ("lee.rochdale", "la_provider", "E08000005", r"store\.query"),
        ("ali.archive", "archive_user", None, r"store\.query"),
        ("ada.admin", "admin", None, r"store\.query"),
    ],
)
def test_who_may_not_query_the_store_gets_no_linkage(
    tmp_path: Path, account: Accounts, username: str, role: str, la_code: str | None, why: str
) -> None:
    ws = workspace(tmp_path, "evaluator")
    user = account(ws, username, role, la_code=la_code)
    with pytest.raises(PermissionDenied, match=why):
        run_linkage(ws, actor=user)
    assert not (ws.outputs / "linkage").exists() and not (ws.reports / "linkage").exists()
    assert linkage_entries(ws) == []


def test_linking_the_npd_needs_an_in_date_accreditation(tmp_path: Path, account: Accounts) -> None:
    srs = workspace(tmp_path, "srs_research")
    lapsed = account(srs, "ed.expired", accreditation_expires=LAPSED)
    with pytest.raises(PermissionDenied, match=r"srs_data\.read.*expired"):
        run_linkage(srs, actor=lapsed)
    assert not (srs.outputs / "linkage").exists() and not (srs.reports / "linkage").exists()
    assert linkage_entries(srs) == []
    # Where the NPD is not linked, the lapsed accreditation does not matter.
    evaluator = workspace(tmp_path, "evaluator")
    run = run_linkage(
        evaluator, actor=account(evaluator, "ed.expired", accreditation_expires=LAPSED)
    )
    assert not run.result.npd_linked
    assert linkage_entries(evaluator) == [("ed.expired", False)]


def test_cli_report_and_refused_npd_load(tmp_path: Path, account: Accounts) -> None:
    ws = workspace(tmp_path, "evaluator")
    account(ws, "amy.analyst", password=PASSWORD)
    account(ws, "dana.dpo", "dpo", password=PASSWORD)
    runner = CliRunner()
    args = ["report", "--workspace", str(ws.root), "--as"]
    assert runner.invoke(app, args[:-1]).exit_code == 2  # --as is required
    wrong = runner.invoke(app, [*args, "amy.analyst"], input="not the password\n")
    assert wrong.exit_code == 9 and "not accepted" in wrong.output
    dpo = runner.invoke(app, [*args, "dana.dpo"], input=PASSWORD + "\n")
    assert dpo.exit_code == 9 and "store.query" in " ".join(dpo.output.split())
    assert not (ws.reports / "linkage").exists()
    result = runner.invoke(app, [*args, "amy.analyst"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Linkage report written" in result.output and PASSWORD not in result.output
    assert linkage_entries(ws) == [("amy.analyst", False)]
    extract = tmp_path / "pmr_lookup.csv"
    extract.write_text("PupilMatchingRefAnonymous,upn_pid\nP1," + "ab" * 16 + "\n")
    refused = runner.invoke(
        app, ["load-npd", str(extract), "--workspace", str(ws.root), "--as", "amy.analyst"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert refused.exit_code == 8
    assert "may not be held" in refused.output and "Traceback" not in refused.output
