"""Validation of each child against its collection year's XSD, one child at a time.

The DfE schemas declare only ``Message`` globally; to validate children as they stream past,
the schema is loaded once with ``Child`` added as a global element of its own type, so that
memory stays flat. Years without a published schema use the newest one available.

A child the schema accepts holds only elements the schema declares, which lets the reader skip
searching valid children for elements of other collection years that its schema never names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from lxml import etree

_FIRST, _LAST = 2017, 2024
_XS = "{http://www.w3.org/2001/XMLSchema}"
# Ways a schema can accept elements it does not name itself: wildcards and other documents.
_OPEN = tuple(f"{_XS}{name}" for name in ("any", "include", "import", "redefine", "override"))


def schema_year(collection_year: int) -> int:
    return min(max(collection_year, _FIRST), _LAST)


def _schema_document(collection_year: int) -> etree._Element:
    year = schema_year(collection_year)
    text = resources.files("steward.returns.cin_census").joinpath(f"xsd/CIN_schema_{year}.xsd")
    return etree.fromstring(
        text.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    )


@lru_cache(maxsize=8)
def child_schema(collection_year: int) -> etree.XMLSchema:
    doc = _schema_document(collection_year)
    child = etree.SubElement(doc, f"{_XS}element")
    child.set("name", "Child")
    child.set("type", "childtype")
    return etree.XMLSchema(doc)


@lru_cache(maxsize=8)
def declared_elements(collection_year: int) -> frozenset[str] | None:
    """The names of every element the year's schema declares; ``None`` if the schema could
    also accept elements it does not name."""
    return schema_declarations(_schema_document(collection_year))


def schema_declarations(schema: etree._Element) -> frozenset[str] | None:
    """The element names an XSD document declares; ``None`` if it has a wildcard or takes
    declarations from another document, so that a valid instance may hold other names."""
    if next(schema.iter(*_OPEN), None) is not None:
        return None
    return frozenset(e.get("name", "") for e in schema.iter(f"{_XS}element")) - {""}


def child_errors(schema: etree.XMLSchema, child: etree._Element) -> list[str]:
    """Schema errors of one ``Child`` element, as short messages (no values of identifiers)."""
    if schema.validate(child):
        return []
    return last_errors(schema)


def last_errors(schema: etree.XMLSchema) -> list[str]:
    """The errors of the schema's last validation, as short messages."""
    # Messages quote the offending value; identifiers must not reach reports, so drop values.
    return [f"line {e.line}: {_VALUE.sub('value', e.message)}" for e in schema.error_log]


_VALUE = re.compile(r"value '[^']*'")
