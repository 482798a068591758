"""Tiny inline tables loaded into a research store, and the same store mirrored into Spark."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pandas as pd
import pyarrow as pa

from steward.store import STORE_TABLES, ResearchStore, SubmissionRecord
from steward.store.dialect_spark import SparkSql
from steward.store.schema import PROVENANCE_COLUMNS
from steward.store.views import current_view_name

_submissions = itertools.count(1)


def put(
    store: ResearchStore,
    table: str,
    rows: list[dict[str, Any]],
    *,
    la_code: str,
    month: dt.date,
    return_type: str = "dr2",
) -> None:
    """Load ``rows`` (missing columns null) as one submission of ``la_code`` for ``month``."""
    submission = f"{next(_submissions):064x}"
    spec = STORE_TABLES[table]
    n = len(rows)
    provenance = {
        "la_code": [la_code] * n,
        "return_month": [month] * n,
        "submission_id": [submission] * n,
        "source_sheet": [table] * n,
        "source_row": list(range(2, n + 2)),
    }
    data = {
        c.name: pa.array(
            provenance[c.name] if c.name in PROVENANCE_COLUMNS else [r.get(c.name) for r in rows],
            c.type,
        )
        for c in spec.columns
    }
    store.load(
        SubmissionRecord(submission, la_code, return_type, month, f"{table}.csv"),
        {table: pa.table(data)},
    )


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
