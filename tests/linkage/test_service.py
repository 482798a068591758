"""run_linkage in each environment, the linkage table written, probabilistic never silent."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from steward.cli.linkage import app
from steward.errors import ConfigError
from steward.linkage import run_linkage
from steward.returns.npd.store_tables import NPD_SOURCE
from steward.store import ResearchStore
from steward.workspace import Workspace, init_workspace

from .store_rows import put


def workspace(tmp_path: Path, environment: str) -> Workspace:
    ws = init_workspace(tmp_path / environment, environment=environment)
    with ResearchStore.open(ws) as store:
        put(store, "dr2_referrals", [{"child_pid": f"c{i}", "referral_pid": f"r{i}",
                                      "referral_date": dt.date(2021, 10, 1)} for i in range(40)],
            la_code="354")  # fmt: skip
        put(store, "cin_children", [{"child_pid": f"c{i}", "upn_pid": f"{i:032x}"}
                                    for i in range(28)], la_code="354", return_type="cin")  # fmt: skip
    return ws


def test_evaluator_workspace_links_statutory_only(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "evaluator")
    run = run_linkage(ws, actor="test")
    assert not run.result.npd_linked
    assert any("NPD linkage not run" in n for n in run.report.notes)
    assert [t.name for t in run.report.tables if "npd" in t.name] == []
    cin = run.report.table("linkage_cin_census").display
    assert cin.loc["Rochdale 2021/22", "matched"] == "28"
    assert cin.loc["Rochdale 2021/22", "match rate (%)"] == "70.0"
    table = pq.read_table(run.table).to_pandas()
    assert len(table) == 40 and table["npd_status"].isna().all()
    assert (ws.reports / "linkage" / "linkage_report.html").is_file()


def test_srs_workspace_links_the_npd(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "srs_research")
    with ResearchStore.open(ws) as store:
        put(store, "npd_pmr_lookup", [{"pmr": f"P{i}", "upn_pid": f"{i:032x}"} for i in range(20)],
            la_code=NPD_SOURCE, return_type="npd")  # fmt: skip
        put(store, "npd_fsm", [{"pmr": f"P{i}", "academic_year": 2021} for i in range(20)],
            la_code=NPD_SOURCE, return_type="npd")  # fmt: skip
    run = run_linkage(ws, actor="test")
    assert run.result.npd_linked
    counts = run.result.children["npd_status"].value_counts().to_dict()
    assert counts == {"matched": 20, "no_pmr": 8, "no_statutory_record": 12}
    assert run.report.table("linkage_npd").display.loc["Rochdale 2021/22", "matched"] == "20"


def test_probabilistic_needs_its_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = workspace(tmp_path, "evaluator")
    monkeypatch.setitem(sys.modules, "splink", None)  # as on a machine without Splink
    with pytest.raises(ConfigError) as caught:
        run_linkage(ws, probabilistic=True, actor="test")
    assert "splink" in caught.value.fix.lower()
    assert not (ws.reports / "linkage").exists()


def test_cli_report_and_refused_npd_load(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "evaluator")
    runner = CliRunner()
    result = runner.invoke(app, ["report", "--workspace", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert "Linkage report written" in result.output
    extract = tmp_path / "pmr_lookup.csv"
    extract.write_text("PupilMatchingRefAnonymous,upn_pid\nP1," + "ab" * 16 + "\n")
    refused = runner.invoke(app, ["load-npd", str(extract), "--workspace", str(ws.root)])
    assert refused.exit_code != 0
    assert "may not be held" in refused.output and "Traceback" not in refused.output
