"""NPD loads: refused in an evaluator workspace before anything is written, accepted in the SRS."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.errors import PolicyViolation
from steward.ingest import IngestRun, file_sha256
from steward.returns.npd.ingest import ingest_npd, load_npd_extract
from steward.store import ResearchStore
from steward.workspace import init_workspace

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


def test_refused_in_an_evaluator_workspace(tmp_path: Path, extract: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    assert ws.settings.environment == "evaluator"
    with pytest.raises(PolicyViolation) as caught:
        load_npd_extract(ws, [extract])
    assert "dfe_education_extract" in caught.value.what
    assert "srs_research" in caught.value.what
    # The hook refuses on its own too, before reading the file.
    run = IngestRun(ws, actor="test")
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


def test_loaded_in_the_srs_research_environment(tmp_path: Path, extract: Path) -> None:
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    outcomes = load_npd_extract(ws, [extract], actor="test")
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
    again = load_npd_extract(ws, [extract], actor="test")
    assert [o.status for o in again] == ["already_ingested"] * 3
    assert npd_rows(ws.root)["submissions"] == 3


def test_a_bad_file_fails_alone(tmp_path: Path, extract: Path) -> None:
    (extract / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    ws = init_workspace(tmp_path / "ws", environment="srs_research")
    outcomes = {o.path.name: o for o in load_npd_extract(ws, [extract], actor="test")}
    assert outcomes["notes.csv"].status == "failed"
    assert outcomes["notes.csv"].error is not None
    assert outcomes["notes.csv"].error.where.file == "notes.csv"
    assert outcomes["pmr_lookup.csv"].status == "loaded"
