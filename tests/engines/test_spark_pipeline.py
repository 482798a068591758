"""The whole spine on both engines: ingest → pseudonymise → store → linkage → cohort.

One workspace ingests the same national synthetic returns (two LAs, two collection years) into
its DuckDB store and, with ``engine = "spark"``, into its Spark store; every store table, the
linkage and the cohort must agree row for row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from engines.test_cohort_spec import rows
from steward.cohort.builder import build_cohort
from steward.governance.access import User
from steward.ingest import IngestSummary, ingest
from steward.linkage.deterministic import link_store
from steward.store import ResearchStore, open_store
from steward.store.dialect_spark import SparkSql
from steward.store.lake import LakeStore
from steward.store.schema import STORE_TABLES
from steward.study.definition import load_study
from steward.synth.national import write_national
from steward.workspace import Workspace, init_workspace, open_workspace


@dataclass
class BothEngines:
    workspace: Workspace
    duckdb: ResearchStore
    spark: LakeStore
    ingested: dict[str, IngestSummary]


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, spark: SparkSql, account: Callable[..., User]
) -> BothEngines:
    root = tmp_path_factory.mktemp("spine")
    ws = init_workspace(root / "ws", study="national", environment="srs_research")
    returns = root / "returns"
    write_national(
        returns, seed=11, las=2, years=(2023, 2024), fraction=0.02,
        key=ws.keys.load("pseudonym"), workers=1,
    )  # fmt: skip
    user = account(ws)
    files = sorted(p for p in returns.iterdir() if p.name != "npd_truth")
    ingested = {"duckdb": ingest(ws, files, actor=user)}
    on_spark = open_workspace(ws.root, engine="spark")
    ingested["spark"] = ingest(on_spark, files, actor=user)
    duck = ResearchStore.open(ws)
    lake = open_store(on_spark)
    assert isinstance(lake, LakeStore)
    return BothEngines(ws, duck, lake, ingested)


def _sorted(table: pa.Table) -> list[dict[str, object]]:
    # ingested_at is the wall clock of each load, the one column that must differ.
    columns = sorted(c for c in table.column_names if c != "ingested_at")
    return sorted(table.select(columns).to_pylist(), key=repr)


def test_both_engines_ingest_every_file(both: BothEngines) -> None:
    duck, spark = both.ingested["duckdb"], both.ingested["spark"]
    assert not duck.failed and not spark.failed
    assert len(duck.loaded) == len(spark.loaded) > 20
    assert (duck.children, duck.store_rows) == (spark.children, spark.store_rows)


@pytest.mark.parametrize("table", sorted(STORE_TABLES))
def test_store_tables_agree_row_for_row(both: BothEngines, table: str) -> None:
    on_duckdb = both.duckdb.history(table)
    on_spark = both.spark.history(table)
    assert on_spark.num_rows == on_duckdb.num_rows
    assert _sorted(on_spark) == _sorted(on_duckdb)


def test_store_holds_the_national_tables(both: BothEngines) -> None:
    for table in ("cin_episodes", "s903_episodes", "s903_periods_of_care", "npd_absence"):
        assert both.duckdb.history(table).num_rows > 0, table


def test_linkage_agrees(both: BothEngines) -> None:
    on_duckdb = link_store(both.duckdb.sql, with_npd=True, sources="statutory_returns")
    on_spark = link_store(both.spark.sql, with_npd=True, sources="statutory_returns")
    assert on_duckdb.npd_linked and on_spark.npd_linked
    assert len(on_duckdb.children) > 0
    keys = ["la_code", "child_pid"]
    assert rows(on_spark.children, keys) == rows(on_duckdb.children, keys)
    assert rows(on_spark.conflicts, keys) == rows(on_duckdb.conflicts, keys)


def test_cohort_agrees(both: BothEngines) -> None:
    study = load_study("national")
    on_duckdb = build_cohort(both.duckdb.sql, study)
    on_spark = build_cohort(both.spark.sql, study)
    assert len(on_duckdb.data) > 0 and on_duckdb.data["cla_status"].sum() > 0
    keys = ["local_authority", "child_pid"]
    assert list(on_spark.data.columns) == list(on_duckdb.data.columns)
    assert rows(on_spark.data, keys) == rows(on_duckdb.data, keys)
    assert rows(on_spark.flow, ["la_code"]) == rows(on_duckdb.flow, ["la_code"])


def test_spark_store_files_hold_no_raw_identifier(both: BothEngines) -> None:
    lake = both.workspace.store / "lake"
    files = list(lake.rglob("*.parquet"))
    assert files
    # The synthetic CIN ids are "<LA code>C<8 digits>"; none may reach a store file.
    assert not any(b"C000" in Path(f).read_bytes() for f in files)
