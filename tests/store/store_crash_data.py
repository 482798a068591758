"""Deterministic submissions for the crash test (already pseudonymised; built fast with numpy)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from steward.store import SubmissionRecord
from steward.store.schema import STORE_TABLES

SID_A = "a" * 64
SID_B = "b" * 64


_PAIRS = np.array([int.from_bytes(f"{b:02x}".encode(), "little") for b in range(256)], "<u2")


def _hex(rng: np.random.Generator, rows: int) -> pa.Array:
    """Random 32-character hex strings, built without a Python loop."""
    chars = _PAIRS[rng.integers(0, 256, (rows, 16), dtype=np.uint8)]
    offsets = np.arange(0, (rows + 1) * 32, 32, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def _table(name: str, sid: str, month: dt.date, rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    schema = STORE_TABLES[name].arrow_schema()
    columns: dict[str, pa.Array] = {}
    for f in schema:
        if f.name == "submission_id":
            columns[f.name] = pa.array([sid] * rows)
        elif f.name == "la_code":
            columns[f.name] = pa.array(["E08000005"] * rows)
        elif f.name == "return_month":
            columns[f.name] = pa.array([month] * rows, pa.date32())
        elif f.type == pa.string():
            columns[f.name] = _hex(rng, rows)
        elif f.type == pa.date32():
            days = rng.integers(17_000, 20_000, rows).astype(np.int32)
            columns[f.name] = pa.array(days, pa.int32()).cast(pa.date32())
        elif f.type == pa.bool_():
            columns[f.name] = pa.array(rng.random(rows) < 0.5)
        elif f.type == pa.float64():
            columns[f.name] = pa.array(rng.random(rows))
        else:
            columns[f.name] = pa.array(rng.integers(0, 1000, rows), pa.int64())
    return pa.table(columns, schema=schema)


def _submission(
    sid: str, month: dt.date, rows: int
) -> tuple[SubmissionRecord, dict[str, pa.Table]]:
    record = SubmissionRecord(sid, "E08000005", "dr2", month, f"{sid[:4]}.xlsx")
    tables = {
        name: _table(name, sid, month, rows, seed)
        for seed, name in enumerate(("dr2_referrals", "dr2_cp", "dr2_cla"))
    }
    return record, tables


def submission_a() -> tuple[SubmissionRecord, dict[str, pa.Table]]:
    return _submission(SID_A, dt.date(2024, 1, 1), 1_000)


def submission_b(rows: int) -> tuple[SubmissionRecord, dict[str, pa.Table]]:
    return _submission(SID_B, dt.date(2024, 2, 1), rows)
