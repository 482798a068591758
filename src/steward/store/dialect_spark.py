"""Everything Spark-specific about the research store, kept in one place.

Spark runs the same pipeline as DuckDB for national-scale studies: the queries are the same
text (written in DuckDB's dialect, transpiled here by sqlglot), the store tables are Parquet
datasets under ``store/lake/`` (see :mod:`.lake`) registered as Spark views, and pseudonyms come from Spark's own
``sha2`` (see :mod:`steward.pseudonymise.engine_sql`).

Local mode (``spark_master = "local[2]"``) needs only Java 17; a cluster is a matter of
``spark_master`` and a store folder every executor can read (see the README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import sqlglot

from steward.errors import EngineError
from steward.store.schema import StoreTable
from steward.store.views import current_select_sql, current_view_name

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DIALECT = "spark"

_JAVA_FIX = (
    "Spark needs Java 17 or later: install it (Debian: apt install openjdk-17-jre-headless) and "
    "make sure 'java' is on PATH or JAVA_HOME is set; or set engine = \"duckdb\" in steward.toml."
)


def spark_session(
    *, master: str = "local[2]", driver_memory: str = "4g", temp_directory: str | None = None
) -> SparkSession:
    """Start (or reuse) the Spark session, with settings that make results match DuckDB's."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            what='engine = "spark" but PySpark is not installed',
            fix="Install Steward with its Spark extra (uv sync --extra spark, or "
            "pip install 'steward[spark]'), or set engine = \"duckdb\" in steward.toml.",
        ) from exc
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise EngineError(what="Spark cannot start: no Java runtime was found", fix=_JAVA_FIX)
    builder = (
        SparkSession.builder.master(master)
        .appName("steward")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        # Dates and timestamps are wall-clock values in the store, as in DuckDB.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if temp_directory:
        builder = builder.config("spark.local.dir", temp_directory)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / PySparkRuntimeError: the JVM did not come up
        raise EngineError(what=f"Spark could not start: {exc}", fix=_JAVA_FIX) from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


def to_spark_sql(sql: str) -> str:
    """A query written in DuckDB's dialect, in Spark SQL."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def arrow_of(frame: DataFrame) -> pa.Table:
    """A Spark DataFrame collected as Arrow (through Spark's Arrow path, not row by row)."""
    return frame.toArrow()


class SparkSql:
    """:class:`steward.store.sql.SqlEngine` over a Spark session."""

    dialect = DIALECT

    def __init__(self, session: SparkSession) -> None:
        self.session = session

    def _run(self, sql: str) -> DataFrame:
        return self.session.sql(to_spark_sql(sql))

    def execute(self, sql: str) -> None:
        self._run(sql).collect()

    def arrow(self, sql: str) -> pa.Table:
        return arrow_of(self._run(sql))

    def frame(self, sql: str) -> pd.DataFrame:
        # Through DuckDB's Arrow-to-pandas conversion, so both engines give the same dtypes.
        import duckdb

        table = self.arrow(sql)
        return duckdb.from_arrow(table).df()

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        table = (
            data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
        )
        self.session.createDataFrame(table).createOrReplaceTempView(name)

    def temp_table(self, name: str, select_sql: str) -> None:
        # Materialised (a local checkpoint), so later queries do not recompute the plan.
        frame: Any = self._run(select_sql).localCheckpoint()
        frame.createOrReplaceTempView(name)

    def has_relation(self, name: str) -> bool:
        return bool(self.session.catalog.tableExists(name))


def register_parquet(session: SparkSession, table: StoreTable, folder: Path) -> None:
    """Register a store table's Parquet folder as a Spark view named after the table.

    The schema is the store's, given rather than inferred: no job to read footers, and an empty
    folder is an empty table of the right shape.
    """
    from pyspark.sql.pandas.types import from_arrow_schema

    folder.mkdir(parents=True, exist_ok=True)
    frame = session.read.schema(from_arrow_schema(table.arrow_schema())).parquet(str(folder))
    frame.createOrReplaceTempView(table.name)


def create_current_view(session: SparkSession, table: StoreTable) -> None:
    """The table's ``_current`` view: the store's own supersede SQL, transpiled to Spark.

    A SQL temporary view keeps its text and resolves the tables it reads at each query, so it
    sees a base table registered again after a load.
    """
    view = current_view_name(table.name)
    session.sql(
        f"CREATE OR REPLACE TEMPORARY VIEW `{view}` AS {current_select_sql(table, DIALECT)}"
    )
