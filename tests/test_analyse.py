"""``steward analyse`` end to end on the tiny synthetic study."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from steward.analyse import COHORT_COLUMNS, analyse
from steward.errors import AnalysisError, PolicyViolation
from steward.governance.access import User
from steward.workspace import init_workspace, open_workspace


def test_outputs_report_and_release(tiny_workspace: Path, account: Callable[..., User]) -> None:
    ws = open_workspace(tiny_workspace)
    run = analyse(ws, actor=account(ws))
    cohort = pd.read_parquet(ws.outputs / "cohort.parquet")
    secondary = [o.name for o in run.study.secondary_outcomes if o.name in run.cohort.data]
    assert list(cohort.columns) == [*COHORT_COLUMNS, *secondary]
    assert "looked_after_18m" in secondary
    assert cohort["child_pid"].is_unique  # one row per child
    dta, meta = pyreadstat.read_dta(str(ws.outputs / "cohort.dta"))
    assert len(dta) == len(cohort)
    assert meta.column_names_to_labels["cla_status"].startswith("Entered care")

    names = [m["name"] for m in json.loads((ws.outputs / "models.json").read_text())["models"]]
    assert names[0] == "primary" and len(names) == len(run.models) >= 8
    for model in run.models:
        if not model.converged:
            assert model.message  # a failed model says why, and carries no numbers
            assert not model.to_dict().get("terms")

    report = (ws.reports / "report.html").read_text()
    assert "Secondary outcomes" in report and "looked after 18m" in report
    assert "<script" not in report and "http://" not in report and "https://" not in report
    assert "data:image/png;base64," in report  # figures inline, no external files
    for pid in cohort["child_pid"].head(50):
        assert pid not in report
    for model in run.models:
        if not model.converged:
            assert model.name in report
    results = json.loads((ws.outputs / "release" / "results.json").read_text())["results"]
    assert set(results) == set(run.outputs)
    for uid, checked in run.outputs.items():
        assert results[uid]["status"] == checked.status in {"pass", "fail", "review"}
    # Every exported table shows withheld cells as [c], never the small count.
    flow = pd.read_csv(ws.outputs / "tables" / "cohort_flow.csv", index_col=0)
    suppressed = run.outputs["cohort_flow"].suppressed()
    for (r, c), hidden in suppressed.stack().items():
        if hidden:
            assert str(flow.loc[r, c]) == "[c]"
    assert (ws.outputs / "tables" / "tables.xlsx").is_file()


def test_empty_store_is_a_clear_error(tmp_path: Path, account: Callable[..., User]) -> None:
    ws = init_workspace(tmp_path / "ws")
    with pytest.raises(AnalysisError, match="empty"):
        analyse(ws, actor=account(ws))


def test_environment_without_permission_is_refused(
    tiny_workspace: Path, account: Callable[..., User]
) -> None:
    path = tiny_workspace / "steward.toml"
    path.write_text(
        path.read_text().replace('environment = "evaluator"', 'environment = "srs_archive"')
    )
    ws = open_workspace(tiny_workspace)
    with pytest.raises(PolicyViolation):
        analyse(ws, actor=account(ws))
