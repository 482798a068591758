"""Streaming, hardened reading of a CIN census XML file into row batches.

Memory stays flat whatever the file size: children are parsed one at a time with lxml's
``iterparse`` and each element is cleared as soon as it has been read; rows are handed out in
batches of ``batch_children`` children. The parser never loads a DTD, never expands an entity
and never touches the network; a file that declares a DTD or entities (XXE, billion laughs) is
refused before parsing. The collection year comes from the file's own header.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from steward.errors import InputFileError, Location
from steward.returns.cin_census.spec import INTRODUCED, TABLES, WITHDRAWN, CinField, CinTable
from steward.returns.cin_census.xsd import child_errors, child_schema

_PROLOG_BYTES = 65536
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class CinHeader:
    collection: str
    year_element: int | None
    reference_date: dt.date | None
    la_code: str
    collection_year: int  # the year the census ends in: 2023-24 → 2024

    @property
    def label(self) -> str:
        return f"{self.collection_year - 1}-{str(self.collection_year)[2:]}"


@dataclass
class Finding:
    """Something odd about one child's record (a schema-year mismatch, an unparseable value)."""

    child_seq: int
    field: str
    message: str
    severity: str = "warning"


@dataclass
class CinBatch:
    """Rows of up to ``batch_children`` children, per table, as column lists."""

    rows: dict[str, dict[str, list[Any]]]
    findings: list[Finding] = field(default_factory=list)
    children: int = 0


def _refuse(path: Path, what: str, fix: str) -> InputFileError:
    return InputFileError(what=what, fix=fix, where=Location(file=path.name))


def _check_prolog(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(_PROLOG_BYTES)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    root_at = re.search(rb"<[A-Za-z_]", head)
    prolog = head[: root_at.start()] if root_at else head
    if _DECLARATION.search(prolog):
        raise _refuse(
            path,
            "the XML declares a DTD or entities, which a CIN census file never needs "
            "(and which are used for XXE and entity-expansion attacks)",
            "Export the census again from the case management system; do not add a DOCTYPE.",
        )


def _parser_args() -> dict[str, Any]:
    return {
        "resolve_entities": False,
        "load_dtd": False,
        "no_network": True,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def _text(elem: etree._Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    value = elem.text.strip()
    return value or None


def _header(elem: etree._Element, path: Path) -> CinHeader:
    collection = _text(elem.find("CollectionDetails/Collection")) or ""
    if collection.upper() != "CIN":
        raise _refuse(
            path,
            f"this is valid XML but not a Children in Need census (Collection is {collection!r})",
            "Send the CIN census file; other DfE collections are ingested by their own readers.",
        )
    year_text = _text(elem.find("CollectionDetails/Year"))
    ref_text = _text(elem.find("CollectionDetails/ReferenceDate"))
    la_code = _text(elem.find("Source/LEA"))
    year = int(year_text) if year_text and year_text.isdigit() else None
    try:
        reference = dt.date.fromisoformat(ref_text) if ref_text else None
    except ValueError:
        reference = None
    if reference is not None and (reference.month, reference.day) == (3, 31):
        collection_year = reference.year  # the census date closes the collection year
    elif year is not None:
        collection_year = year
    else:
        raise _refuse(
            path,
            "the header has neither a usable Year nor a 31 March ReferenceDate",
            "Check Header/CollectionDetails: Year (e.g. 2024) and ReferenceDate (e.g. 2024-03-31).",
        )
    if not la_code:
        raise _refuse(
            path,
            "the header has no Source/LEA (local authority code)",
            "Add the three-digit LEA code.",
        )
    return CinHeader("CIN", year, reference, la_code, collection_year)


def _convert(value: str | None, spec: CinField) -> Any:
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


def _empty_rows() -> dict[str, dict[str, list[Any]]]:
    rows: dict[str, dict[str, list[Any]]] = {}
    for table in TABLES:
        columns = ["child_seq", "episode_seq", "item_seq"]
        columns += [f.column for f in table.fields]
        if table.repeated:
            columns.append(table.repeated.column)
        rows[table.name] = {c: [] for c in columns}
    return rows


@dataclass
class _PathNode:
    """The tables found under one element name, and the element names below it (a path trie)."""

    tables: list[tuple[CinTable, dict[str, int]]] = field(default_factory=list)
    below: dict[str, _PathNode] = field(default_factory=dict)


def _path_trie(prefix: tuple[str, ...]) -> dict[str, _PathNode]:
    """Every table whose path starts with ``prefix``, keyed by the rest of its path."""
    root: dict[str, _PathNode] = {}
    for table in TABLES:
        if table.path[: len(prefix)] != prefix or len(table.path) == len(prefix):
            continue
        level = root
        rest = table.path[len(prefix) :]
        for name in rest[:-1]:
            level = level.setdefault(name, _PathNode()).below
        index = {f.element: i for i, f in enumerate(table.fields)}
        level.setdefault(rest[-1], _PathNode()).tables.append((table, index))
    return root


# Tables under Child itself, and under each CINdetails (rows numbered per episode).
_CHILD_TRIE = {k: v for k, v in _path_trie(()).items() if k != "CINdetails"}
_EPISODE_TRIE = _path_trie(("CINdetails",))
_EPISODE_TABLES = [
    (t, {f.element: i for i, f in enumerate(t.fields)}) for t in TABLES if t.path == ("CINdetails",)
]
# Each table's columns in row order: the three sequence numbers, then its fields.
_COLUMNS = {
    t.name: (
        "child_seq",
        "episode_seq",
        "item_seq",
        *(f.column for f in t.fields),
        *((t.repeated.column,) if t.repeated else ()),
    )
    for t in TABLES
}


def _append(columns: list[list[Any]], values: tuple[Any, ...], *extra: Any) -> None:
    for column, value in zip(columns, (*values, *extra), strict=True):
        column.append(value)


_from_iso = dt.date.fromisoformat
_TABLE_ORDER = {table.name: i for i, table in enumerate(TABLES)}


class _ChildWriter:
    """Turns one ``Child`` element into rows of every table.

    The child is walked once, element by element along the tables' paths, rather than searched
    once per table and field: this walk is most of the reader's time on a large census.
    """

    def __init__(self, header: CinHeader, *, validate_xsd: bool) -> None:
        self.header = header
        self.schema = child_schema(header.collection_year) if validate_xsd else None
        year = header.collection_year
        self.out_of_year = [
            (name, f"belongs to collection years from {introduced - 1}-{str(introduced)[2:]}")
            for name, introduced in INTRODUCED.items()
            if year < introduced
        ] + [
            (name, f"was replaced from {withdrawn - 1}-{str(withdrawn)[2:]}")
            for name, withdrawn in WITHDRAWN.items()
            if year >= withdrawn
        ]

    def write(self, child: etree._Element, seq: int, batch: CinBatch) -> None:
        if self.schema is not None:
            for message in child_errors(self.schema, child):
                batch.findings.append(Finding(seq, "XSD", message))
        for name, when in self.out_of_year:
            if next(child.iter(name), None) is not None:
                message = f"{name} appears in a {self.header.label} return; it {when}"
                batch.findings.append(Finding(seq, name, message))
        # Conversion findings are gathered per table and reported in the order of TABLES.
        findings: dict[int, list[Finding]] = {}
        counts: dict[str, int] = {}
        self._walk(child, _CHILD_TRIE, seq, None, counts, batch, findings)
        episode_seq = 0
        for episode in child:
            if episode.tag == "CINdetails":
                episode_seq += 1
                for spec in _EPISODE_TABLES:
                    self._rows(episode, spec, seq, episode_seq, 1, batch, findings)
                self._walk(episode, _EPISODE_TRIE, seq, episode_seq, {}, batch, findings)
        for order in sorted(findings):
            batch.findings.extend(findings[order])

    def _walk(
        self,
        elem: etree._Element,
        trie: dict[str, _PathNode],
        seq: int,
        ep: int | None,
        counts: dict[str, int],
        batch: CinBatch,
        findings: dict[int, list[Finding]],
    ) -> None:
        for sub in elem:
            node = trie.get(sub.tag)
            if node is None:
                continue
            for table, index in node.tables:
                item = counts[table.name] = counts.get(table.name, 0) + 1
                self._rows(sub, (table, index), seq, ep, item, batch, findings)
            if node.below:
                self._walk(sub, node.below, seq, ep, counts, batch, findings)

    def _rows(
        self,
        elem: etree._Element,
        spec: tuple[CinTable, dict[str, int]],
        seq: int,
        ep: int | None,
        item_seq: int,
        batch: CinBatch,
        findings: dict[int, list[Finding]],
    ) -> None:
        table, index = spec
        rows = batch.rows[table.name]
        found: list[etree._Element | None] = [None] * len(table.fields)
        repeated: list[etree._Element] = []
        rep_tag = table.repeated.element if table.repeated is not None else None
        for sub in elem:
            i = index.get(sub.tag)
            if i is not None:
                if found[i] is None:  # the first one counts, as with find()
                    found[i] = sub
            elif sub.tag == rep_tag:
                repeated.append(sub)
        sink = findings.setdefault(_TABLE_ORDER[table.name], [])
        value = self._value
        values: list[Any] = []
        # Strings and well-formed dates, nearly every value, are converted here without a call;
        # anything else (or a bad date, which becomes a finding) goes through _value.
        for e, f in zip(found, table.fields, strict=True):
            text = None if e is None else e.text
            if text is not None:
                text = text.strip() or None
            if text is None or f.type == "string":
                values.append(text)
                continue
            if f.type == "date":
                try:
                    values.append(_from_iso(text))
                    continue
                except ValueError:
                    pass
            values.append(value(e, f, seq, sink))
        columns = [rows[c] for c in _COLUMNS[table.name]]
        if table.repeated is not None:
            for rep_seq, rep in enumerate(repeated, start=1):
                _append(
                    columns,
                    (seq, ep, item_seq * 1000 + rep_seq, *values),
                    value(rep, table.repeated, seq, sink),
                )
        else:
            _append(columns, (seq, ep, item_seq, *values))

    @staticmethod
    def _value(elem: etree._Element | None, spec: CinField, seq: int, sink: list[Finding]) -> Any:
        text = _text(elem)
        if spec.type == "string":
            return text
        try:
            return _convert(text, spec)
        except ValueError:
            shown = "" if spec.identifier else f" {text!r}"
            sink.append(
                Finding(
                    seq,
                    spec.element,
                    f"{spec.element} value{shown} is not a valid {spec.type}",
                    severity="blocking",
                )
            )
            return None


def read_header(path: Path) -> CinHeader:
    """Only the header: cheap, for batch checks (e.g. mixed years) before reading children."""
    _check_prolog(path)
    try:
        for _, elem in etree.iterparse(str(path), events=("end",), tag="Header", **_parser_args()):
            return _header(elem, path)
    except etree.XMLSyntaxError as exc:
        raise _malformed(path, exc) from exc
    raise _refuse(
        path, "the file has no Header element", "A CIN census starts with Message/Header."
    )


def _malformed(path: Path, exc: etree.XMLSyntaxError) -> InputFileError:
    line = exc.position[0] if exc.position else None
    return InputFileError(
        what=f"the XML is malformed: {exc.msg}",
        fix="Export the census again; the file may be truncated or edited by hand.",
        where=Location(file=path.name, row=line),
    )


def iter_batches(
    path: Path, *, batch_children: int = 5000, validate_xsd: bool = True
) -> Iterator[CinHeader | CinBatch]:
    """Yield the header first, then batches of children's rows, in file order."""
    _check_prolog(path)
    header: CinHeader | None = None
    writer: _ChildWriter | None = None
    batch = CinBatch(_empty_rows())
    seq = 0
    try:
        context = etree.iterparse(
            str(path), events=("end",), tag=("Header", "Child"), **_parser_args()
        )
        for _, elem in context:
            if elem.tag == "Header":
                header = _header(elem, path)
                writer = _ChildWriter(header, validate_xsd=validate_xsd)
                yield header
            else:
                if writer is None:
                    raise _refuse(path, "children appear before the Header", "Put Header first.")
                seq += 1
                writer.write(elem, seq, batch)
                batch.children += 1
                if batch.children >= batch_children:
                    yield batch
                    batch = CinBatch(_empty_rows())
            # Free what has been read so memory stays flat.
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise _malformed(path, exc) from exc
    if header is None:
        raise _refuse(
            path, "the file has no Header element", "A CIN census starts with Message/Header."
        )
    if batch.children:
        yield batch
