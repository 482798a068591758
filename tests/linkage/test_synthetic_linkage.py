"""End to end on synthetic data: DR returns ingested, the statutory UPNs, the NPD extract loaded,
then every child's NPD link outcome is the one the generator planted."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow as pa
import pytest

from steward.governance.access import User
from steward.ingest import ingest
from steward.linkage import LinkageRun, run_linkage
from steward.pseudonymise.pseudonym import Pseudonymiser
from steward.pseudonymise.statutory import UPN_NAMESPACE
from steward.returns.npd.ingest import load_npd_extract
from steward.store import ResearchStore
from steward.synth import build_populations, generate_returns
from steward.synth.npd import NpdSynthResult, write_npd_extract
from steward.workspace import init_workspace

from .store_rows import put

SEED = 23
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def linked(
    tmp_path_factory: pytest.TempPathFactory, account: Callable[..., User]
) -> tuple[LinkageRun, NpdSynthResult, bytes]:
    root = tmp_path_factory.mktemp("synthetic")
    returns = generate_returns(root / "returns", scale="tiny", seed=SEED, mess=False)
    ws = init_workspace(root / "ws", environment="srs_research", key_dir=root / "keys")
    researcher = account(ws)
    assert not ingest(ws, [root / "returns"], actor=researcher).failed
    key = ws.keys.load("pseudonym")
    pops, _, _ = build_populations(scale="tiny", seed=SEED)
    assert {p.profile.la.slug: len(p.children) for p in pops} == returns.children
    synth = write_npd_extract(root / "srs", pops, SEED, key=key)
    hasher = Pseudonymiser(key)
    pupils = synth.pupils
    # The LAs' CIN census view of each child: its UPN (or code), birth month and sex.
    with ResearchStore.open(ws) as store:
        for la_code, rows in pupils.groupby("la_code"):
            put(store, "cin_children", [
                {"child_pid": pid, "upn_pid": upn, "upn_unknown": code, "gender": sex,
                 "birth_year_month": birth[:7]}
                for pid, upn, code, sex, birth in zip(
                    hasher.pseudonymise(str(la_code), pa.array(rows["child_id"].astype(str)))
                    .to_pylist(),
                    hasher.pseudonymise(UPN_NAMESPACE, pa.array(rows["upn"].tolist(), pa.string()))
                    .to_pylist(),
                    rows["upn_unknown"], rows["statutory_sex"], rows["statutory_birth_month"],
                    strict=True,
                )
            ], la_code=str(la_code), return_type="cin")  # fmt: skip
    outcomes = load_npd_extract(ws, [root / "srs" / "npd"], actor=researcher)
    assert [o.status for o in outcomes] == ["loaded"] * 3
    return run_linkage(ws, actor=researcher), synth, key


def with_pids(synth: NpdSynthResult, key: bytes) -> pd.DataFrame:
    hasher = Pseudonymiser(key)
    parts = []
    for la_code, rows in synth.pupils.groupby("la_code"):
        pids = hasher.pseudonymise(str(la_code), pa.array(rows["child_id"].astype(str)))
        parts.append(rows.assign(child_pid=pids.to_pylist(), la_code=str(la_code)))
    return pd.concat(parts)


def test_every_child_links_as_planted(linked: tuple[LinkageRun, NpdSynthResult, bytes]) -> None:
    run, synth, key = linked
    truth = with_pids(synth, key)
    got = run.result.children.merge(truth, on=["la_code", "child_pid"], how="left")
    assert got["outcome"].notna().all()  # every DR child is a synthetic child
    assert len(got) == len(truth)  # and every synthetic child reached the store
    assert (got["npd_status"] == got["outcome"]).all()
    assert (got["cin_status"] == "matched").all()
    school = got[got["outcome"] != "not_school_age"]
    rate = (school["npd_status"] == "matched").mean()
    assert rate == pytest.approx(synth.school_age_link_rate)
    assert 0.90 <= rate <= 0.95


def test_planted_conflicts_found(linked: tuple[LinkageRun, NpdSynthResult, bytes]) -> None:
    run, synth, key = linked
    truth = with_pids(synth, key).set_index(["la_code", "child_pid"])
    conflicts = run.result.conflicts.set_index(["la_code", "child_pid"])
    both = conflicts.join(truth[["conflict_birth", "conflict_sex"]], how="inner")
    assert len(both) == len(conflicts)
    assert (both["birth_year_month"] == both["conflict_birth"]).all()
    assert (both["sex"] == both["conflict_sex"]).all()
    assert both["conflict_birth"].sum() > 0 and not both["upn"].any()


def test_report_written(linked: tuple[LinkageRun, NpdSynthResult, bytes]) -> None:
    run, _, _ = linked
    names = [t.name for t in run.report.tables]
    assert {"linkage_npd", "unmatched_npd", "linkage_cin_census", "conflicts"} <= set(names)
    for f in run.report.files:
        assert f.is_file()
    shown = run.report.table("unmatched_npd").display
    for column in shown.columns:
        for value in shown[column]:
            assert value == "[c]" or int(value) >= 10
