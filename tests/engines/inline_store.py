"""Tiny inline tables loaded into a research store, and the same store mirrored into Spark."""

from __future__ import annotations

import pandas as pd

from linkage.store_rows import put
from steward.store import STORE_TABLES, ResearchStore
from steward.store.dialect_spark import SparkSql
from steward.store.views import current_view_name

# Rows go in as one submission each, the way the linkage tests load them.
__all__ = ["mirror", "put", "reference_tables"]


def relations(store: ResearchStore) -> list[str]:
    """Every base table and every current view the store holds."""
    names = list(STORE_TABLES)
    views = [current_view_name(n) for n, t in STORE_TABLES.items() if t.event_key]
    return names + [v for v in views if store.sql.has_relation(v)]


def mirror(store: ResearchStore, spark: SparkSql) -> None:
    """Make the store's tables and current views Spark views of the same names (and nothing
    else: views a previous case left behind are dropped first)."""
    catalog = spark.session.catalog
    for table in catalog.listTables():
        if table.isTemporary:
            catalog.dropTempView(table.name)
    for name in relations(store):
        spark.register(name, store.query(f'SELECT * FROM "{name}"'))


def reference_tables(store: ResearchStore) -> dict[str, pd.DataFrame]:
    """Current rows of every event table the store still has a view for (dates as dates),
    the ledgers, and the stored (la_code, child_pid) of both referral tables."""
    tables = {
        name: store.query(f'SELECT * FROM "{current_view_name(name)}"').to_pandas(
            date_as_object=True
        )
        for name, spec in STORE_TABLES.items()
        if spec.event_key and store.sql.has_relation(current_view_name(name))
    }
    for ledger in ("submissions", "subject_flags"):
        tables[ledger] = store.query(f"SELECT * FROM {ledger}").to_pandas(date_as_object=True)
    for name in ("dr2_referrals", "cin_episodes"):
        tables[f"{name}_history"] = store.query(
            f"SELECT la_code, child_pid FROM {name}"
        ).to_pandas()
    return tables
