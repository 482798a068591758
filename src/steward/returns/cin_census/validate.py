"""Read, validate and split a CIN census into kept and quarantined rows, batch by batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from steward.returns.cin_census import rules
from steward.returns.cin_census.reader import CinBatch, CinHeader, iter_batches
from steward.returns.cin_census.spec import TABLES


@dataclass(frozen=True)
class CinFailure:
    code: str
    message: str
    severity: str
    child_seq: int  # the child's position in the file (1-based), the row reference in reports
    field: str


@dataclass
class CinValidatedBatch:
    tables: dict[str, pa.Table]  # kept rows, raw identifiers still present
    quarantined: pa.Table  # child_seq, rule codes and reasons of quarantined children
    failures: list[CinFailure] = field(default_factory=list)
    children: int = 0


def _frames(batch: CinBatch) -> dict[str, pd.DataFrame]:
    frames = {}
    for table in TABLES:
        rows = batch.rows[table.name]
        data: dict[str, Any] = dict(rows)
        for f in (*table.fields, *([table.repeated] if table.repeated else [])):
            if f.type == "date":
                # Arrow dates: nullable, and year 1066 is as valid a value as 2024 (no ns limits).
                data[f.column] = pd.Series(rows[f.column], dtype=pd.ArrowDtype(pa.date32()))
        frames[table.name] = pd.DataFrame(data)
    return frames


def validate_batch(
    batch: CinBatch, header: CinHeader, seen_births: dict[str, object | None]
) -> CinValidatedBatch:
    """Apply every rule; children with a blocking failure go to quarantine, whole."""
    frames = _frames(batch)
    failures = [
        CinFailure(
            "XSD" if f.field == "XSD" else "CIN001", f.message, f.severity, f.child_seq, f.field
        )
        for f in batch.findings
    ]
    for rule, seqs in rules.check(frames, header.collection_year):
        failures.extend(
            CinFailure(rule.code, rule.message, rule.severity, int(s), "/".join(rule.fields))
            for s in seqs
        )
    # The same child id with another date of birth earlier in the file (CIN150 across batches).
    children = batch.rows["cin_children"]
    for seq, child_id, birth in zip(
        children["child_seq"], children["child_id"], children["birth_date"], strict=True
    ):
        if child_id is None:
            continue
        earlier = seen_births.setdefault(child_id, birth)
        if earlier != birth and birth is not None and earlier is not None:
            failures.append(
                CinFailure(
                    "CIN150",
                    "the same LAchildID appears twice with different dates of birth",
                    "blocking",
                    int(seq),
                    "LAchildID/PersonBirthDate",
                )
            )
    blocked = {f.child_seq for f in failures if f.severity == "blocking"}
    reasons: dict[int, list[str]] = {}
    for f in failures:
        if f.severity == "blocking":
            reasons.setdefault(f.child_seq, []).append(f"{f.code}: {f.message}")
    kept = {
        name: pa.Table.from_pandas(
            frame[~frame["child_seq"].isin(blocked)] if blocked else frame, preserve_index=False
        )
        for name, frame in frames.items()
    }
    quarantined = pa.table(
        {
            "child_seq": pa.array(sorted(reasons), pa.int64()),
            "rule_codes": [sorted({r.split(":")[0] for r in reasons[s]}) for s in sorted(reasons)],
            "reasons": ["; ".join(reasons[s]) for s in sorted(reasons)],
        }
    )
    return CinValidatedBatch(kept, quarantined, failures, batch.children)


def read_cin_census(
    path: Path, *, batch_children: int = 5000
) -> tuple[CinHeader, Iterator[CinValidatedBatch]]:
    """The header at once (so a wrong collection fails before anything else), then batches."""
    stream = iter_batches(path, batch_children=batch_children)
    header = next(stream)
    assert isinstance(header, CinHeader)

    def batches() -> Iterator[CinValidatedBatch]:
        seen: dict[str, object | None] = {}
        for batch in stream:
            assert isinstance(batch, CinBatch)
            yield validate_batch(batch, header, seen)

    return header, batches()
