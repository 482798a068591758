"""Statutory returns through the ingest service: CIN census XML and SSDA903 CSVs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from steward.governance.access import User
from steward.ingest import ingest
from steward.workspace import Workspace, init_workspace

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def researcher(workspace: Workspace, account: Callable[..., User]) -> User:
    return account(workspace)


def _norfolk_cin(tmp_path: Path) -> Path:
    """The fixture census, as if Norfolk (a study LA) had sent it."""
    text = (FIXTURES / "cin_census" / "fake_CIN_data.xml").read_text()
    path = tmp_path / "in" / "census.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace("<LEA>975</LEA>", "<LEA>926</LEA>"))
    return path


def _store_text(ws: Workspace) -> bytes:
    con = duckdb.connect(str(ws.store_file))
    con.execute("CHECKPOINT")
    con.close()
    return ws.store_file.read_bytes()


def test_cin_census_is_pseudonymised_into_the_store(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    path = _norfolk_cin(tmp_path)
    raw = path.read_text()
    ids = set(re.findall(r"<LAchildID>([^<]+)</LAchildID>", raw))
    upns = set(re.findall(r"<UPN>([^<]+)</UPN>", raw))
    summary = ingest(workspace, [path], actor=researcher)
    [outcome] = summary.outcomes
    assert outcome.status == "loaded" and outcome.return_type == "cin"
    assert outcome.rows == 332
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    assert con.execute("SELECT count(*) FROM cin_children_current").fetchall() == [(332,)]
    (episodes,) = con.execute("SELECT count(*) FROM cin_episodes_current").fetchall()[0]
    assert episodes > 332
    births = con.execute("SELECT DISTINCT length(birth_year_month) FROM cin_children").fetchall()
    con.close()
    assert births == [(7,)]  # year-month only
    data = _store_text(workspace)
    assert not any(i.encode() in data for i in ids | upns)
    again = ingest(workspace, [path], actor=researcher)
    assert again.outcomes[0].status == "already_ingested"


def test_cin_census_from_another_la_is_refused(workspace: Workspace, researcher: User) -> None:
    summary = ingest(workspace, [FIXTURES / "cin_census" / "CIN_Census_2024.xml"], actor=researcher)
    [outcome] = summary.outcomes
    assert outcome.status == "failed" and outcome.error is not None
    assert "201" in outcome.error.what and "not in the study" in outcome.error.what
    assert not workspace.store_file.exists() or summary.store_rows == 0


def test_ssda903_tables_and_periods_of_care(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    folder = tmp_path / "norfolk"
    shutil.copytree(FIXTURES / "ssda903", folder)
    full_postcodes = set(
        re.findall(r"\b[A-Z]{1,2}\d{1,2} \d[A-Z]{2}\b", (folder / "episodes.csv").read_text())
    )
    children = {line.split(",")[0] for line in (folder / "header.csv").read_text().splitlines()[1:]}
    summary = ingest(workspace, [folder], actor=researcher)
    assert not summary.failed, [o.error for o in summary.failed]
    assert {o.return_type for o in summary.outcomes} == {"ssda903"}
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    periods = con.execute(
        "SELECT count(*), count(DISTINCT child_pid) FROM s903_periods_of_care_current"
    )
    n_periods, n_children = periods.fetchall()[0]
    districts = con.execute(
        "SELECT DISTINCT home_postcode_district FROM s903_episodes WHERE home_postcode_district IS NOT NULL"
    ).fetchall()
    con.close()
    assert n_periods >= n_children > 0
    assert all(" " not in d for (d,) in districts)
    data = _store_text(workspace)
    assert full_postcodes and not any(p.encode() in data for p in full_postcodes)
    assert not any(f",{c},".encode() in data for c in list(children)[:100])


def test_ssda903_without_an_la_is_a_clear_error(
    workspace: Workspace, researcher: User, tmp_path: Path
) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    shutil.copy(FIXTURES / "ssda903" / "uasc.csv", folder / "uasc.csv")
    [outcome] = ingest(workspace, [folder], actor=researcher).outcomes
    assert outcome.status == "failed" and outcome.error is not None
    assert "which local authority" in outcome.error.what
    assert "folder name" in outcome.error.fix
