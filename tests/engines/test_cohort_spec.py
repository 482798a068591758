"""Spec tests shared across engines: the pandas reference, DuckDB and Spark agree row for row.

Each case is a tiny inline store (:mod:`.cases`). For each, the cohort data, its flow, the
secondary outcomes and the deterministic linkage are built three ways — by the reference
implementations, by DuckDB over the store and by Spark over the same tables — and compared
after one normalisation (:func:`rows`). A few expected values per case pin the edge cases
themselves, so the three cannot agree on something wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from steward.cohort.builder import Cohort, build_cohort
from steward.cohort.reference import build_cohort_reference
from steward.cohort.secondary_reference import build_secondary_reference
from steward.linkage.deterministic import LinkageResult, link_store
from steward.linkage.reference import link_reference
from steward.store import ResearchStore
from steward.store.dialect_spark import SparkSql
from steward.store.sql import SqlEngine
from steward.study.definition import StudyDefinition

from . import cases
from .inline_store import mirror, reference_tables

CASES: dict[str, tuple[Callable[[ResearchStore], None], str]] = {
    "evaluation_returns": (cases.evaluation_store, "evaluation_returns"),
    "statutory_returns": (cases.statutory_store, "statutory_returns"),
    "statutory_returns_without_uasc": (cases.statutory_store_without_uasc, "statutory_returns"),
}
pytestmark = pytest.mark.slow  # one Spark session for the module: about a minute to warm up
INDEX_COLUMNS = ["la_code", "child_pid", "referral_pid", "referral_date"]


@dataclass
class EngineRun:
    cohort: Cohort
    secondary: pd.DataFrame  # la_code, child_pid + one column per secondary outcome
    skipped: dict[str, str]
    linkage: LinkageResult


@dataclass
class CaseRuns:
    case: str
    study: StudyDefinition
    reference: EngineRun
    duckdb: EngineRun
    spark: EngineRun


def _index(data: pd.DataFrame) -> pd.DataFrame:
    index = data.rename(columns={"local_authority": "la_code"})[INDEX_COLUMNS].copy()
    index["referral_date"] = pd.to_datetime(index["referral_date"]).dt.date
    return index


def _run(sql: SqlEngine, study: StudyDefinition) -> EngineRun:
    cohort = build_cohort(sql, study)
    built = [o.name for o in study.secondary_outcomes if o.name in cohort.data.columns]
    secondary = cohort.data[["local_authority", "child_pid", *built]].rename(
        columns={"local_authority": "la_code"}
    )
    cohort.data = cohort.data.drop(columns=built)
    skipped = cohort.secondary_skipped
    linked = link_store(sql, with_npd=True, sources=study.sources)
    return EngineRun(cohort, secondary, skipped, linked)


def _reference(store: ResearchStore, study: StudyDefinition) -> EngineRun:
    tables = reference_tables(store)
    cohort = build_cohort_reference(tables, study)
    values, skipped = build_secondary_reference(
        tables, _index(cohort.data), study.secondary_outcomes, study.sources
    )
    linked = link_reference(tables, with_npd=True, sources=study.sources)
    return EngineRun(cohort, values, skipped, LinkageResult(linked, pd.DataFrame(), True))


@pytest.fixture(scope="module", params=list(CASES))
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, spark: SparkSql
) -> CaseRuns:
    build, sources = CASES[request.param]
    study = cases.study(sources)
    path = Path(tmp_path_factory.mktemp(request.param)) / "research.duckdb"
    with ResearchStore(path) as store:
        build(store)
        reference = _reference(store, study)
        duck = _run(store.sql, study)
        mirror(store, spark)
        on_spark = _run(spark, study)
    return CaseRuns(request.param, study, reference, duck, on_spark)


def _value(v: Any) -> object:
    """One cell, engine-neutral: missing as None, dates as dates, numbers as Python numbers."""
    if v is None or (not isinstance(v, str | bytes) and pd.api.types.is_scalar(v) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.date()
    if isinstance(v, bool | np.bool_):
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        f = float(v)
        return int(f) if f.is_integer() else round(f, 12)
    return v


def rows(frame: pd.DataFrame, keys: list[str]) -> list[tuple[object, ...]]:
    """``frame`` as sorted tuples of engine-neutral values, columns in name order."""
    columns = sorted(frame.columns)
    ordered = frame[columns].sort_values(keys, kind="stable")
    return [tuple(_value(v) for v in row) for row in ordered.itertuples(index=False)]


def _columns_of(frame: pd.DataFrame) -> list[str]:
    return sorted(frame.columns)


def test_cohort_data_agrees(runs: CaseRuns) -> None:
    keys = ["local_authority", "child_pid"]
    ref, duck, spark = (r.cohort.data for r in (runs.reference, runs.duckdb, runs.spark))
    assert _columns_of(duck) == _columns_of(spark)
    assert set(ref.columns) == set(duck.columns)
    assert rows(duck, keys) == rows(ref, keys)
    assert rows(spark, keys) == rows(ref, keys)
    # Identical results, not just equal values: the same column types on both engines.
    assert dict(duck.dtypes) == dict(spark[duck.columns].dtypes)


def test_flow_agrees(runs: CaseRuns) -> None:
    ref, duck, spark = (r.cohort.flow for r in (runs.reference, runs.duckdb, runs.spark))
    assert rows(duck, ["la_code"]) == rows(ref, ["la_code"]) == rows(spark, ["la_code"])
    steps = duck.drop(columns=["la_code", "rows_in", "restricted_or_objected"]).sum(axis=1)
    assert (steps == duck["rows_in"]).all()


def test_secondary_outcomes_agree(runs: CaseRuns) -> None:
    ref, duck, spark = (r.secondary for r in (runs.reference, runs.duckdb, runs.spark))
    assert runs.reference.skipped.keys() == runs.duckdb.skipped.keys() == runs.spark.skipped.keys()
    assert runs.duckdb.skipped == runs.spark.skipped
    assert _columns_of(ref) == _columns_of(duck) == _columns_of(spark)
    assert len(duck.columns) > 1  # some outcome was built
    keys = ["la_code", "child_pid"]
    assert rows(duck, keys) == rows(ref, keys) == rows(spark, keys)


def test_linkage_agrees(runs: CaseRuns) -> None:
    keys = ["la_code", "child_pid"]
    ref, duck, spark = (r.linkage.children for r in (runs.reference, runs.duckdb, runs.spark))
    assert rows(duck, keys) == rows(ref, keys) == rows(spark, keys)
    assert len(duck) > 5  # the study's children: DR children, or those the CIN census refers
    assert rows(runs.duckdb.linkage.conflicts, keys) == rows(runs.spark.linkage.conflicts, keys)


def _by_child(frame: pd.DataFrame, la: str = cases.ROCH) -> dict[str, dict[str, object]]:
    mine = frame[frame["local_authority"] == la]
    return {
        str(r["child_pid"]): {str(k): _value(v) for k, v in r.items()} for _, r in mine.iterrows()
    }


def _flow(runs: CaseRuns, la: str = cases.ROCH) -> dict[str, object]:
    flow = runs.duckdb.cohort.flow.set_index("la_code")
    return {str(k): _value(v) for k, v in flow.loc[la].items()}


def test_evaluation_edge_cases(runs: CaseRuns) -> None:
    if runs.study.sources != "evaluation_returns":
        return
    roch, norf = _by_child(runs.duckdb.cohort.data), _by_child(runs.duckdb.cohort.data, cases.NORF)
    assert sorted(roch) == ["age17", "cpp", "eighteen", "horizon", "nodate", "reref", "reref2",
                            "tie", "winstart"]  # fmt: skip
    assert roch["tie"]["referral_pid"] == "r_tie_a"  # ties on the first date count once
    assert roch["tie"]["cla_status"] == 1 and roch["tie"]["time_at_risk_days"] == 0
    assert roch["tie"]["cla_rate_per_10k"] == 71.5
    # Care starting exactly 18 months on is outside the window (which ends on 2022-04-30).
    assert (roch["horizon"]["cla_status"], roch["horizon"]["is_censored"]) == (0, 0)
    assert (
        roch["horizon"]["time_at_risk_days"] == (dt.date(2022, 4, 30) - dt.date(2020, 10, 31)).days
    )
    # Follow-up ends at the 18th birthday.
    assert roch["eighteen"]["is_censored"] == 1
    assert (
        roch["eighteen"]["time_at_risk_days"] == (dt.date(2021, 10, 1) - dt.date(2021, 6, 15)).days
    )
    assert roch["cpp"]["open_cpp"] == 1 and roch["cpp"]["gender"] is None
    assert roch["cpp"]["previous_cpp_group"] == "3+"
    assert (norf["golive"]["treatment_group"], norf["golive"]["months_since_go_live"]) == (1, 0)
    assert norf["cross45"]["cross_contamination"] == 1
    assert norf["cross46"]["cross_contamination"] == 0
    assert norf["cpp366"]["open_cpp"] == 0
    # Norfolk's data ends in June 2022: follow-up stops there, before the care start in July.
    assert (norf["cross45"]["cla_status"], norf["cross45"]["is_censored"]) == (0, 1)
    assert norf["winend"]["time_at_risk_days"] == (dt.date(2022, 7, 1) - dt.date(2022, 3, 31)).days
    assert _flow(runs) == {
        "restricted_or_objected": 1, "rows_in": 18, "missing_dob": 1, "dob_after_referral": 1,
        "outside_window": 1, "outside_age": 1, "not_first_referral": 5, "analysed": 9,
    }  # fmt: skip
    second = runs.duckdb.secondary.set_index(["la_code", "child_pid"]).loc[cases.ROCH]
    assert second.loc["reref", "re_referral_12m"] == 1  # 12 months after closure, to the day
    assert second.loc["reref2", "re_referral_12m"] == 0
    assert _value(second.loc["winstart", "re_referral_12m"]) is None  # closure not known
    assert second.loc["cpp", "cpp_count_18m"] == 2
    assert second.loc["age17", "neet_24m"] == 0 and second.loc["eighteen", "neet_24m"] == 1


def test_statutory_edge_cases(runs: CaseRuns) -> None:
    if runs.study.sources != "statutory_returns":
        return
    roch = _by_child(runs.duckdb.cohort.data)
    assert sorted(roch) == ["care", "dis", "eighteen", "none", "nulldate", "prev", "reref",
                            "two", "uasc"]  # fmt: skip
    assert roch["two"]["referral_date"] == dt.date(2020, 5, 10)
    assert roch["two"]["referral_nfa"] == 1 and roch["two"]["cla_status"] == 1
    assert (roch["dis"]["disabled"], roch["none"]["disabled"]) == (1, 0)
    # Without SSDA903's UASC table no child counts as UASC.
    assert roch["uasc"]["uasc"] == (0 if runs.case.endswith("without_uasc") else 1)
    assert roch["prev"]["previous_cpp_group"] == "2" and roch["prev"]["open_cpp"] == 1
    assert roch["care"]["cla_status"] == 1
    assert roch["reref"]["gender"] is None
    assert all(v is None for c in roch.values() for v in (c["cla_rate_per_10k"],))
    assert _flow(runs) == {
        "restricted_or_objected": 1, "rows_in": 13, "missing_dob": 1, "dob_after_referral": 1,
        "outside_window": 0, "outside_age": 0, "not_first_referral": 2, "analysed": 9,
    }  # fmt: skip
    second = runs.duckdb.secondary.set_index(["la_code", "child_pid"]).loc[cases.ROCH]
    assert second.loc["reref", "re_referral_12m"] == 1
    assert second.loc["prev", "cpp_count_18m"] == 1
    assert second.loc["care", "care_proceedings_18m"] == 1
    # Care starting 18 months on, to the day: outside the primary outcome's window (which ends
    # before that day), inside the secondary outcome's (which includes it).
    assert roch["uasc"]["cla_status"] == 0 and second.loc["uasc", "looked_after_18m"] == 1
