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
from steward.returns.cin_census.columns import BatchRows, Finding, KeyedFinding
from steward.returns.cin_census.spec import INTRODUCED, WITHDRAWN
from steward.returns.cin_census.xsd import child_schema, declared_elements, last_errors

__all__ = ["CinBatch", "CinHeader", "Finding", "iter_batches", "read_header"]

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


class _ChildWriter:
    """Checks each ``Child`` as it streams past and gathers its rows into the current batch.

    The XSD and schema-year checks run on each child's element; its rows are gathered as raw
    texts and converted a whole column at a time when the batch is handed out.
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
        self.out_of_year_names = tuple(name for name, _ in self.out_of_year)
        # A child the schema accepts holds only elements the schema declares, so it needs
        # searching only for the out-of-year names that the schema declares itself.
        declared = declared_elements(year) if validate_xsd else None
        self.names_if_valid = (
            self.out_of_year_names
            if declared is None
            else tuple(name for name in self.out_of_year_names if name in declared)
        )
        self.rows = BatchRows()
        self.findings: list[KeyedFinding] = []

    def write(self, child: etree._Element, seq: int) -> None:
        findings = self.findings
        names = self.names_if_valid
        if self.schema is not None and not self.schema.validate(child):
            names = self.out_of_year_names
            for message in last_errors(self.schema):
                findings.append(((seq, 0), Finding(seq, "XSD", message)))
        if names:
            # One walk of the child for all the names (plain names match no-namespace tags).
            found = {elem.tag for elem in child.iter(*names)}
            for name, when in self.out_of_year:
                if name in found:
                    message = f"{name} appears in a {self.header.label} return; it {when}"
                    findings.append(((seq, 0), Finding(seq, name, message)))
        self.rows.add(child, seq)

    def batch(self) -> CinBatch:
        """The children written since the last batch, as rows; findings child by child."""
        rows, converted = self.rows.columns()
        # Per child: XSD and schema-year findings first, then conversion findings in table order.
        keyed = sorted(self.findings + converted, key=lambda kf: kf[0])
        batch = CinBatch(rows, [f for _, f in keyed], self.rows.children)
        self.rows, self.findings = BatchRows(), []
        return batch


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
                writer.write(elem, seq)
                if writer.rows.children >= batch_children:
                    yield writer.batch()
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
    if writer is not None and writer.rows.children:
        yield writer.batch()
