"""Validation of each child against its collection year's XSD, one child at a time.

The DfE schemas declare only ``Message`` globally; to validate children as they stream past,
the schema is loaded once with ``Child`` added as a global element of its own type, so that
memory stays flat. Years without a published schema use the newest one available.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from lxml import etree

_FIRST, _LAST = 2017, 2024


def schema_year(collection_year: int) -> int:
    return min(max(collection_year, _FIRST), _LAST)


@lru_cache(maxsize=8)
def child_schema(collection_year: int) -> etree.XMLSchema:
    year = schema_year(collection_year)
    text = resources.files("steward.returns.cin_census").joinpath(f"xsd/CIN_schema_{year}.xsd")
    doc = etree.fromstring(
        text.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    )
    ns = "{http://www.w3.org/2001/XMLSchema}"
    child = etree.SubElement(doc, f"{ns}element")
    child.set("name", "Child")
    child.set("type", "childtype")
    return etree.XMLSchema(doc)


def child_errors(schema: etree.XMLSchema, child: etree._Element) -> list[str]:
    """Schema errors of one ``Child`` element, as short messages (no values of identifiers)."""
    if schema.validate(child):
        return []
    # Messages quote the offending value; identifiers must not reach reports, so drop values.
    return [f"line {e.line}: {_VALUE.sub('value', e.message)}" for e in schema.error_log]


_VALUE = re.compile(r"value '[^']*'")
