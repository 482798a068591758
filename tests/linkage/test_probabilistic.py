"""Probabilistic linkage: only on request, true pairs found, weights reported, kept apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from steward.cli.linkage import app
from steward.governance.access import User
from steward.linkage import run_linkage
from steward.linkage.probabilistic import chance_agreement
from steward.store import ResearchStore
from steward.workspace import Workspace, init_workspace

from .store_rows import put

ROCH = "354"
PASSWORD = "correct horse battery staple"
Accounts = Callable[..., User]


def ws_with_changed_ids(tmp_path: Path) -> Workspace:
    """40 children linked by id; 12 whose statutory id differs (same birth month and sex)."""
    ws = init_workspace(tmp_path / "ws")
    sex = ["M", "F"]
    with ResearchStore.open(ws) as store:
        dr = [{"child_pid": f"m{i}", "referral_pid": f"rm{i}", "referral_date": dt.date(2021, 5, 1),
               "birth_year_month": f"2012-{i % 12 + 1:02d}", "gender": sex[i % 2]}
              for i in range(40)]  # fmt: skip
        dr += [{"child_pid": f"d{i}", "referral_pid": f"rd{i}", "referral_date": dt.date(2021, 5, 1),
                "birth_year_month": f"2010-{i + 1:02d}", "gender": sex[i % 2]} for i in range(12)]  # fmt: skip
        dr.append({"child_pid": "lonely", "referral_pid": "rl", "referral_date": dt.date(2021, 5, 1),
                   "birth_year_month": "2005-01", "gender": "F"})  # fmt: skip
        put(store, "dr2_referrals", dr, la_code=ROCH)
        cin = [{"child_pid": f"m{i}", "birth_year_month": f"2012-{i % 12 + 1:02d}",
                "gender": sex[i % 2]} for i in range(40)]  # fmt: skip
        # The LA's case system renumbered these children: same child, another pseudonym.
        cin += [{"child_pid": f"s{i}", "birth_year_month": f"2010-{i + 1:02d}",
                 "gender": sex[i % 2]} for i in range(12)]  # fmt: skip
        # A decoy with the same birth month as d0 but the other sex.
        cin.append({"child_pid": "decoy", "birth_year_month": "2010-01", "gender": "F"})
        put(store, "cin_children", cin, la_code=ROCH, return_type="cin")
    return ws


def test_chance_agreement() -> None:
    left, right = pd.Series(["a", "a", "b", None]), pd.Series(["a", "b", "b", "b"])
    assert chance_agreement(left, right) == pytest.approx(2 / 3 * 1 / 4 + 1 / 3 * 3 / 4)


def test_true_pairs_found_and_weights_reported(tmp_path: Path, account: Accounts) -> None:
    ws = ws_with_changed_ids(tmp_path)
    researcher = account(ws)
    plain = run_linkage(ws, actor=researcher)
    assert plain.probabilistic is None and plain.candidates is None
    assert not (ws.outputs / "linkage" / "probabilistic_candidates.parquet").exists()
    run = run_linkage(ws, probabilistic=True, actor=researcher)
    assert run.probabilistic is not None and run.candidates is not None
    assert run.probabilistic.left == 13 and run.probabilistic.right == 13
    pairs = pq.read_table(run.candidates).to_pandas()
    best = pairs.sort_values("match_weight", ascending=False).groupby("dr_child_pid").first()
    assert {d: best.loc[d, "statutory_child_pid"] for d in best.index} == {
        f"d{i}": f"s{i}" for i in range(12)
    }
    assert "lonely" not in set(pairs["dr_child_pid"])
    # The decoy agrees on birth month only; it scores below d0's true pair.
    d0 = pairs[pairs["dr_child_pid"] == "d0"].set_index("statutory_child_pid")["match_weight"]
    assert "decoy" not in d0.index or d0["decoy"] < d0["s0"]
    weights = run.report.match_weights
    assert weights is not None
    agree = weights[weights["level"] == "agree"].set_index("comparison")["match_weight"]
    assert agree["birth_year_month"] > agree["sex"] > 0
    assert (ws.reports / "linkage" / "match_weights.csv").is_file()
    html = (ws.reports / "linkage" / "linkage_report.html").read_text()
    assert "match weights" in html and "Probabilistic linkage was run on request" in html
    # Never merged: the deterministic table is the same with and without the option.
    assert run.result.children.equals(plain.result.children)
    checked = run.report.table("probabilistic_candidates").checked
    assert "threshold" in checked.cell_rules.loc["Rochdale", "no candidate"]  # 'lonely' alone
    assert run.report.table("probabilistic_candidates").display.loc["Rochdale", "All"] == "13"


def test_cli_flag(tmp_path: Path, account: Accounts) -> None:
    ws = ws_with_changed_ids(tmp_path)
    account(ws, password=PASSWORD)
    result = CliRunner().invoke(
        app,
        ["report", "--probabilistic", "--workspace", str(ws.root), "--as", "rita.researcher"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Probabilistic linkage was run on request" in result.output
    assert (ws.outputs / "linkage" / "probabilistic_candidates.parquet").is_file()
