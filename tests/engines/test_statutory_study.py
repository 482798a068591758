"""A study that reads the statutory returns, defined in YAML, built on DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.cohort.builder import build_cohort
from steward.errors import ConfigError
from steward.store import ResearchStore
from steward.study.definition import load_study

from . import cases

STUDY = """
id: national_pilot
name: Two-LA pilot of a national study
design: stepped_wedge
trial_period: {start: 2019-10-01, end: 2022-03-31}
sources: statutory_returns
local_authorities:
  - {code: "354", name: Rochdale, go_live: 2020-04-01}
  - {code: "926", name: Norfolk, go_live: 2021-06-01}
periods:
  - {name: baseline, start: 2019-10-01, end: 2020-03-31}
  - {name: after, start: 2020-04-01, end: 2022-03-31}
eligibility: {age_years: {min: 12, max: 17}}
outcome: {name: cla_status, within_months: 18, censor_at_age_years: 18}
secondary_outcomes:
  - {name: cpp_count_18m, kind: cpp_count, within_months: 18}
  - {name: neet_24m, kind: neet, within_months: 24}
models: {response: cla_status, group: local_authority, fixed: [treatment_group]}
"""


def test_statutory_study_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "national_pilot.yaml"
    path.write_text(STUDY, encoding="utf-8")
    study = load_study(path)
    assert study.sources == "statutory_returns"
    with ResearchStore(tmp_path / "research.duckdb") as store:
        cases.statutory_store(store)
        cohort = build_cohort(store.sql, study)
    data = cohort.data.set_index(["local_authority", "child_pid"])
    assert len(data.loc[cases.ROCH]) == 9 and len(data.loc[cases.NORF]) == 3
    assert data.loc[(cases.ROCH, "prev"), "cpp_count_18m"] == 1
    assert data.loc[(cases.NORF, "golive"), "wedge"] == "after"
    # NEET is measured from DR3 only: a statutory-returns study says it could not build it.
    assert "dr3_neet_current" in cohort.secondary_skipped["neet_24m"]


def test_evaluation_returns_by_default() -> None:
    assert load_study("no_wrong_door").sources == "evaluation_returns"


def test_unknown_sources_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(STUDY.replace("sources: statutory_returns", "sources: statutory"), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_study(path)
    assert "sources" in caught.value.what
