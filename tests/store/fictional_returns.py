"""Fictional canonical return tables (as steward.returns would give them), for store tests.

Every raw child id looks like ``FICTCHILD<la>X<n>`` so a test can search for any of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pyarrow as pa

from steward.pseudonymise.table import pseudonymise_table
from steward.returns.layout import TABLES, ReturnField, ReturnTable

CODES = ["A1", "B2", "C3", "WBRI", "MWBC"]
EPOCH = dt.date(2019, 1, 1)


def raw_child_ids(la_code: str, n_children: int) -> list[str]:
    return [f"FICTCHILD{la_code}X{i:07d}" for i in range(n_children)]


def _values(
    f: ReturnField, rows: int, rng: np.random.Generator, children: np.ndarray, la_code: str
) -> pa.Array:
    if f.name == "child_id":
        return pa.array([f"FICTCHILD{la_code}X{i:07d}" for i in children])
    if f.name == "referral_id":
        return pa.array([f"FICTREF{la_code}X{i:07d}" for i in children])
    if f.name == "birth_month":
        months = rng.integers(0, 18 * 12, rows)
        return pa.array([dt.date(2003 + int(m) // 12, int(m) % 12 + 1, 1) for m in months])
    if f.type == "date":
        days = rng.integers(0, 6 * 365, rows)
        return pa.array((np.datetime64(EPOCH) + days.astype("timedelta64[D]")), pa.date32())
    if f.type == "month":
        months = rng.integers(0, 72, rows)
        return pa.array([dt.date(2019 + int(m) // 12, int(m) % 12 + 1, 1) for m in months])
    if f.type == "int":
        return pa.array(rng.integers(0, 50, rows), pa.int64())
    if f.type == "float":
        return pa.array(rng.random(rows) * 100)
    if f.type == "bool":
        return pa.array(rng.random(rows) < 0.3)
    if f.type == "code":
        return pa.array([CODES[i] for i in rng.integers(0, len(CODES), rows)])
    return pa.array(["free text"] * rows)


def raw_table(
    table: ReturnTable,
    la_code: str,
    return_month: dt.date,
    submission_id: str,
    n_children: int,
    rows: int,
    seed: int = 0,
) -> pa.Table:
    rng = np.random.default_rng(seed)
    children = rng.integers(0, n_children, rows)
    columns = {f.name: _values(f, rows, rng, children, la_code) for f in table.fields}
    columns.update(
        la_code=pa.array([la_code] * rows),
        return_month=pa.array([return_month] * rows, pa.date32()),
        submission_id=pa.array([submission_id] * rows),
        source_sheet=pa.array([table.sheet_names[0]] * rows),
        source_row=pa.array(np.arange(2, rows + 2), pa.int64()),
    )
    return pa.table(columns)


def submission_id(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def pseudonymised_submission(
    key: bytes,
    la_code: str,
    return_month: dt.date,
    sid: str,
    n_children: int = 50,
    rows: int = 120,
    seed: int = 0,
) -> dict[str, pa.Table]:
    """All eight tables of one fictional submission, pseudonymised."""
    return {
        t.name: pseudonymise_table(
            t, raw_table(t, la_code, return_month, sid, n_children, rows, seed + i), key
        )
        for i, t in enumerate(TABLES)
    }
