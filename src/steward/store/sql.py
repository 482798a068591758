"""Running the project's queries on either engine.

Queries (cohort, secondary outcomes, linkage) are written once, in DuckDB's dialect; the Spark
engine transpiles each one with sqlglot before running it, so the two engines cannot drift
apart in what they are asked. Each engine's implementation lives in its dialect module
(:mod:`.dialect_duckdb`, :mod:`.dialect_spark`).

Write queries that transpile: joins rather than correlated subqueries in a SELECT list,
``date_trunc``/``INTERVAL`` arithmetic cast back to DATE, no DuckDB-only functions. The shared
spec tests run every query on both engines against the pandas reference.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd
import pyarrow as pa


class SqlEngine(Protocol):
    """What a query-building step needs from an engine."""

    dialect: str  # "duckdb" or "spark"

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing (written in DuckDB's dialect)."""

    def arrow(self, sql: str) -> pa.Table:
        """Run a query; its result as Arrow."""

    def frame(self, sql: str) -> pd.DataFrame:
        """Run a query; its result as pandas."""

    def register(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make ``data`` queryable as the temporary relation ``name`` (replacing any)."""

    def temp_table(self, name: str, select_sql: str) -> None:
        """Materialise ``select_sql`` as the temporary relation ``name`` (replacing any)."""

    def has_relation(self, name: str) -> bool:
        """Whether a table or view ``name`` exists."""
