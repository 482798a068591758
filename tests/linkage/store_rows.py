"""Load tiny inline tables into a research store (pseudonymised already, as tests write them)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pyarrow as pa

from steward.store import STORE_TABLES, ResearchStore, SubmissionRecord
from steward.store.schema import PROVENANCE_COLUMNS

_counter = itertools.count(1)


def put(
    store: ResearchStore,
    table: str,
    rows: list[dict[str, Any]],
    *,
    la_code: str,
    return_type: str = "dr2",
    month: dt.date = dt.date(2024, 3, 1),
) -> None:
    """Load ``rows`` (missing columns null) as one submission of ``la_code``."""
    submission = f"{next(_counter):064x}"
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
