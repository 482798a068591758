"""Read, validate and split a CIN census into kept and quarantined rows, batch by batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from steward.returns.cin_census import rules
from steward.returns.cin_census.reader import CinBatch, CinHeader, iter_batches
from steward.returns.cin_census.spec import TABLES, ColumnType

# Arrow dates: nullable, and year 1066 is as valid a value as 2024 (no nanosecond limits).
ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "string": pa.string(),
    "date": pa.date32(),
    "int": pa.int64(),
    "bool": pa.bool_(),
}
SEQUENCE_COLUMNS = ("child_seq", "episode_seq", "item_seq")


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


def _tables(batch: CinBatch) -> dict[str, pa.Table]:
    """Each table's gathered column lists as an Arrow table, typed by the spec."""
    tables = {}
    for table in TABLES:
        rows = batch.rows[table.name]
        columns = {c: pa.array(rows[c], pa.int64()) for c in SEQUENCE_COLUMNS}
        for f in (*table.fields, *([table.repeated] if table.repeated else [])):
            columns[f.column] = pa.array(rows[f.column], ARROW_TYPES[f.type])
        tables[table.name] = pa.table(columns)
    return tables


@dataclass
class SeenBirths:
    """Each LAchildID met so far in the file, with the date of birth it first came with."""

    child_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    births: pa.Array = field(default_factory=lambda: pa.array([], pa.date32()))

    def conflicts(self, children: pa.Table) -> pa.Array:
        """Rows whose id came earlier in the file with another date of birth (CIN150 across
        batches); then remembers the ids met for the first time."""
        ids = children["child_id"].combine_chunks()
        births = children["birth_date"].combine_chunks()
        before = pc.index_in(ids, value_set=self.child_ids)
        first = pc.index_in(ids, value_set=ids)  # the first row of the batch with this id
        earlier = pc.if_else(pc.is_valid(before), self.births.take(before), births.take(first))
        differs = pc.fill_null(pc.not_equal(earlier, births), False)
        new = pc.and_(
            pc.and_(pc.is_valid(ids), pc.is_null(before)),
            pc.equal(first, pa.array(range(len(ids)), pa.int32())),
        )
        self.child_ids = pa.concat_arrays([self.child_ids, ids.filter(new)])
        self.births = pa.concat_arrays([self.births, births.filter(new)])
        return pc.and_(pc.is_valid(ids), differs)


def validate_batch(
    batch: CinBatch, header: CinHeader, seen_births: SeenBirths
) -> CinValidatedBatch:
    """Apply every rule; children with a blocking failure go to quarantine, whole."""
    tables = _tables(batch)
    failures = [
        CinFailure(
            "XSD" if f.field == "XSD" else "CIN001", f.message, f.severity, f.child_seq, f.field
        )
        for f in batch.findings
    ]
    for rule, seqs in rules.check(tables, header.collection_year):
        fields = "/".join(rule.fields)
        failures.extend(
            CinFailure(rule.code, rule.message, rule.severity, s, fields) for s in seqs.to_pylist()
        )
    children = tables["cin_children"]
    reused = children["child_seq"].filter(seen_births.conflicts(children))
    failures.extend(
        CinFailure(
            "CIN150",
            "the same LAchildID appears twice with different dates of birth",
            "blocking",
            seq,
            "LAchildID/PersonBirthDate",
        )
        for seq in reused.to_pylist()
    )
    missing = next(r for r in rules.RULES if r.code == "CIN100")
    failures.extend(
        CinFailure(missing.code, missing.message, missing.severity, seq, "/".join(missing.fields))
        for seq in _unidentified(tables).to_pylist()
    )
    reasons: dict[int, list[str]] = {}
    for f in failures:
        if f.severity == "blocking":
            reasons.setdefault(f.child_seq, []).append(f"{f.code}: {f.message}")
    kept = tables
    if reasons:
        blocked = pa.array(sorted(reasons), pa.int64())
        kept = {
            name: t.filter(pc.invert(pc.is_in(t["child_seq"], value_set=blocked)))
            for name, t in tables.items()
        }
    quarantined = pa.table(
        {
            "child_seq": pa.array(sorted(reasons), pa.int64()),
            "rule_codes": [sorted({r.split(":")[0] for r in reasons[s]}) for s in sorted(reasons)],
            "reasons": ["; ".join(reasons[s]) for s in sorted(reasons)],
        }
    )
    return CinValidatedBatch(kept, quarantined, failures, batch.children)


def _unidentified(tables: dict[str, pa.Table]) -> pa.Array:
    """Children with rows but no ``ChildIdentifiers`` at all: no id, so no child to keep the
    rows under (a missing ``LAchildID`` inside it is rule CIN100's own case)."""
    seqs = pa.chunked_array(
        [c for name, t in tables.items() if name != "cin_children" for c in t["child_seq"].chunks],
        pa.int64(),
    )
    found = pc.unique(seqs.combine_chunks())
    known = tables["cin_children"]["child_seq"].combine_chunks()
    return found.filter(pc.invert(pc.is_in(found, value_set=known))).sort()


def read_cin_census(
    path: Path, *, batch_children: int = 5000
) -> tuple[CinHeader, Iterator[CinValidatedBatch]]:
    """The header at once (so a wrong collection fails before anything else), then batches."""
    stream = iter_batches(path, batch_children=batch_children)
    header = next(stream)
    assert isinstance(header, CinHeader)

    def batches() -> Iterator[CinValidatedBatch]:
        seen = SeenBirths()
        for batch in stream:
            assert isinstance(batch, CinBatch)
            yield validate_batch(batch, header, seen)

    return header, batches()
