"""A batch of children as table columns: raw texts gathered per child, converted per column.

Reading is most of a large census's ingest time, so the per-element work is kept to the least:
each child is walked once along the tables' paths (a trie built from ``TABLES``), and each row
element only records its sub-elements' first texts. Stripping, type conversion and the findings
about unconvertible values are done once per column when the batch is complete.

What a child contributes to each table:
- a row per element at the table's path below ``Child`` (tables under ``CINdetails`` are per
  episode, numbered by ``episode_seq``); ``item_seq`` counts the table's elements within the
  child (within the episode for episode tables; always 1 for the episode itself);
- a field's value is the text of the row element's first sub-element of that name, stripped,
  ``None`` when missing or blank; a value that is not of the field's type is ``None`` and a
  blocking finding (without the value if it is an identifier);
- a table with a repeated element (``Disability`` under ``Disabilities``) has a row per
  repetition, numbered ``item_seq * 1000 + repetition``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from steward.returns.cin_census.spec import TABLES, CinField, CinTable


@dataclass
class Finding:
    """Something odd about one child's record (a schema-year mismatch, an unparseable value)."""

    child_seq: int
    field: str
    message: str
    severity: str = "warning"


# A finding with where it sorts among the batch's findings: (child_seq, *position).
KeyedFinding = tuple[tuple[int, ...], Finding]

# Each table's columns in row order: the three sequence numbers, then its fields.
COLUMNS = {
    t.name: (
        "child_seq",
        "episode_seq",
        "item_seq",
        *(f.column for f in t.fields),
        *((t.repeated.column,) if t.repeated else ()),
    )
    for t in TABLES
}


def convert(value: str | None, spec: CinField) -> Any:
    """A stripped element text as the field's type; ``ValueError`` if it is not one."""
    if value is None or spec.type == "string":
        return value
    if spec.type == "date":
        return dt.date.fromisoformat(value)
    if spec.type == "int":
        return int(value)
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ValueError(value)


def bad_value(seq: int, spec: CinField, text: str | None) -> Finding:
    shown = "" if spec.identifier else f" {text!r}"  # identifiers never reach reports
    return Finding(
        seq, spec.element, f"{spec.element} value{shown} is not a valid {spec.type}", "blocking"
    )


@dataclass
class _Table:
    """One table as found at a trie node: the names of the sub-elements its rows read."""

    table: CinTable
    order: int  # position in TABLES: conversion findings are reported in this order
    fields: tuple[str, ...]
    repeated: str | None


@dataclass
class _Node:
    """The tables whose rows are elements of one name, and the element names below it."""

    tables: list[_Table] = field(default_factory=list)
    below: dict[str, _Node] = field(default_factory=dict)
    reads_fields: bool = False  # whether any of its tables has fields (set once built)


def _trie(prefix: tuple[str, ...]) -> dict[str, _Node]:
    """Every table whose path starts with ``prefix``, keyed by the rest of its path."""
    root: dict[str, _Node] = {}
    for table in TABLES:
        if table.path[: len(prefix)] != prefix or len(table.path) == len(prefix):
            continue
        level = root
        rest = table.path[len(prefix) :]
        for name in rest[:-1]:
            level = level.setdefault(name, _Node()).below
        node = level.setdefault(rest[-1], _Node())
        node.tables.append(_TABLES[table.name])
        node.reads_fields = node.reads_fields or bool(table.fields)
    return root


for _t in TABLES:
    if _t.repeated is not None and _t.fields:
        # Such a table's fields would be read once per repetition, not once per element.
        raise NotImplementedError(f"{_t.name}: a table with a repeated element has no fields")
_TABLES = {
    t.name: _Table(
        t,
        order,
        tuple(f.element for f in t.fields),
        t.repeated.element if t.repeated is not None else None,
    )
    for order, t in enumerate(TABLES)
}
# Tables under Child itself, and under each CINdetails (rows numbered per episode).
_CHILD_TRIE = {k: v for k, v in _trie(()).items() if k != "CINdetails"}
_EPISODE = _Node(
    [_TABLES[t.name] for t in TABLES if t.path == ("CINdetails",)], _trie(("CINdetails",)), True
)


class BatchRows:
    """The rows of the children added since it was made, every table, as raw texts."""

    def __init__(self) -> None:
        # Per table, in the order of TABLES, its rows' values one after another: a flat list of
        # strings and numbers, which the garbage collector does not have to keep visiting.
        self.rows: list[list[Any]] = [[] for _ in TABLES]
        self.children = 0

    def add(self, child: etree._Element, seq: int) -> None:
        self.children += 1
        counts: dict[str, int] = {}
        child_trie = _CHILD_TRIE
        episode_seq = 0
        for sub in child:
            tag = sub.tag
            if tag == "CINdetails":
                episode_seq += 1
                self._visit(sub, _EPISODE, seq, episode_seq, None, {})
            else:
                node = child_trie.get(tag)
                if node is not None:
                    self._visit(sub, node, seq, None, counts, counts)

    def _visit(
        self,
        elem: etree._Element,
        node: _Node,
        seq: int,
        ep: int | None,
        counts: dict[str, int] | None,
        below_counts: dict[str, int],
    ) -> None:
        """Rows of ``elem`` (item 1 when ``counts`` is None) and of the tables below it."""
        below = node.below
        texts: dict[Any, str | None]
        if below:
            texts = {}
            for sub in elem:
                tag = sub.tag
                texts.setdefault(tag, sub.text)  # the first one counts, as with find()
                deeper = below.get(tag)
                if deeper is not None:
                    self._visit(sub, deeper, seq, ep, below_counts, below_counts)
        elif node.reads_fields:
            # Backwards, so that the first of two same-named elements is the one kept.
            texts = {sub.tag: sub.text for sub in reversed(elem)}
        else:
            texts = {}
        tables = node.tables
        for spec in tables:
            if counts is None:
                item = 1
            else:
                item = counts[spec.table.name] = counts.get(spec.table.name, 0) + 1
            rows = self.rows[spec.order]
            if spec.repeated is None:
                rows.extend((seq, ep, item))
                rows.extend(map(texts.get, spec.fields))
            else:
                repeated = spec.repeated
                base = item * 1000
                n = 0
                for sub in elem:
                    if sub.tag == repeated:
                        n += 1
                        rows.extend((seq, ep, base + n, sub.text))

    def columns(self) -> tuple[dict[str, dict[str, list[Any]]], list[KeyedFinding]]:
        """Every table's converted columns, and the findings about values that did not convert."""
        out: dict[str, dict[str, list[Any]]] = {}
        findings: list[KeyedFinding] = []
        for spec, rows in zip(_TABLES.values(), self.rows, strict=True):
            name = spec.table.name
            names = COLUMNS[name]
            width = len(names)
            raw = [rows[j::width] for j in range(width)]
            seqs = raw[0]
            columns: dict[str, list[Any]] = {
                "child_seq": seqs,
                "episode_seq": raw[1],
                "item_seq": raw[2],
            }
            fields = (*spec.table.fields, *((spec.table.repeated,) if spec.table.repeated else ()))
            for j, f in enumerate(fields, start=3):
                columns[names[j]] = _convert(raw[j], f, seqs, (spec.order, j), findings)
            out[name] = columns
        return out, findings


_from_iso = dt.date.fromisoformat


def _convert(
    texts: Iterable[str | None],
    spec: CinField,
    seqs: list[int],
    where: tuple[int, int],
    findings: list[KeyedFinding],
) -> list[Any]:
    """One column's raw texts, stripped and converted; bad values become findings."""
    values = [None if t is None else (t.strip() or None) for t in texts]
    if spec.type == "string":
        return values
    if spec.type == "date":
        try:
            return [None if v is None else _from_iso(v) for v in values]
        except ValueError:
            pass  # at least one bad date: convert value by value for the findings
    order, column = where
    out: list[Any] = []
    for row, (value, seq) in enumerate(zip(values, seqs, strict=True)):
        try:
            out.append(convert(value, spec))
        except ValueError:
            out.append(None)
            findings.append(((seq, 1, order, row, column), bad_value(seq, spec, value)))
    return out
