"""Elements of other collection years (``Sex`` before 2024-25, ``GenderCurrent`` from it, ...).

The reader searches a child for them only where its XSD check cannot rule them out: a child the
year's schema accepts holds only elements the schema declares. These tests check that premise
on every shipped schema, and the findings against a plain search of every child.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
from lxml import etree

from steward.returns.cin_census.reader import CinBatch, iter_batches, read_header
from steward.returns.cin_census.spec import INTRODUCED, WITHDRAWN
from steward.returns.cin_census.xsd import (
    child_errors,
    child_schema,
    declared_elements,
    schema_declarations,
)
from steward.synth.national import write_national
from steward.synth.statutory import write_cin_census

CIN = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "cin_census"
YEARS = range(2017, 2027)
OTHER_YEARS = (*INTRODUCED, *WITHDRAWN)


def _out_of_year(year: int) -> list[str]:
    return [n for n, y in INTRODUCED.items() if year < y] + [
        n for n, y in WITHDRAWN.items() if year >= y
    ]


@pytest.mark.parametrize("year", YEARS)
def test_every_schema_names_its_elements_and_has_no_wildcard(year: int) -> None:
    declared = declared_elements(year)
    assert declared is not None
    assert {"ChildIdentifiers", "LAchildID", "CINdetails", "GenderCurrent"} <= declared
    assert not declared & {"Sex", "PreProceedingsandFGDM"}  # no shipped schema has them yet
    assert ("CINPlanDates" in declared) == (year >= 2022)


def test_a_schema_that_may_accept_other_names_declares_nothing_for_sure() -> None:
    xs = "http://www.w3.org/2001/XMLSchema"
    closed = f'<xs:schema xmlns:xs="{xs}"><xs:element name="A" type="xs:string"/></xs:schema>'
    assert schema_declarations(etree.XML(closed)) == {"A"}
    for opening in (
        '<xs:element name="B"><xs:complexType><xs:sequence><xs:any/></xs:sequence>'
        "</xs:complexType></xs:element>",
        '<xs:include schemaLocation="other.xsd"/>',
        '<xs:import namespace="urn:other"/>',
    ):
        schema = etree.XML(closed.replace("</xs:schema>", f"{opening}</xs:schema>"))
        assert schema_declarations(schema) is None


def _valid_child(tmp_path: Path, year: int) -> etree._Element:
    """A child the year's schema accepts, with every kind of container to hide elements in."""
    path = write_cin_census(
        tmp_path / "cin.xml", children=60, la_code="926", collection_year=min(year, 2024), seed=2
    )
    schema = child_schema(year)
    for child in etree.parse(str(path)).iter("Child"):
        if child.find("CINdetails/Assessments") is not None and not child_errors(schema, child):
            return child
    raise AssertionError("no valid child with an assessment")


@pytest.mark.parametrize("year", range(2017, 2026))  # from 2025-26 all are declared
def test_a_child_with_an_undeclared_out_of_year_element_fails_the_schema(
    tmp_path: Path, year: int
) -> None:
    """The premise of the shortcut: wherever such an element sits, the XSD check fails."""
    declared = declared_elements(year)
    assert declared is not None
    names = [n for n in _out_of_year(year) if n not in declared]
    assert names  # every year has one: Sex up to 2023-24, PreProceedingsandFGDM up to 2024-25
    base = _valid_child(tmp_path, year)
    schema = child_schema(year)
    places = ("Child", "ChildIdentifiers", "CINdetails", "Assessments", "LAchildID")
    spots = [i for i, e in enumerate(base.iter()) if e.tag in places]
    assert len(spots) >= len(places)
    for name in names:
        for i in spots:
            for first in (True, False):
                probe = copy.deepcopy(base)
                spot = list(probe.iter())[i]
                spot.insert(0 if first else len(spot), etree.Element(name))
                assert child_errors(schema, probe), (year, name, spot.tag, first)


def _scatter(path: Path, seed: int) -> None:
    """Out-of-year elements (and same-named ones in a namespace) put anywhere in some children."""
    rng = random.Random(seed)
    tree = etree.parse(str(path))
    for child in tree.getroot().iter("Child"):
        if rng.random() < 0.2:
            elems = list(child.iter())
            spot = rng.choice(elems)
            name = rng.choice([*OTHER_YEARS, "{urn:elsewhere}Sex"])
            etree.SubElement(spot, name).text = "M"
    tree.write(str(path))


def _reference(path: Path) -> list[tuple[int, str]]:
    """Each child's out-of-year elements, found by searching the whole child."""
    year = read_header(path).collection_year
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    return [
        (seq, name)
        for seq, child in enumerate(tree.iter("Child"), start=1)
        for name in _out_of_year(year)
        if next(child.iter(name), None) is not None
    ]


@pytest.fixture(scope="module")
def censuses(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("national")
    write_national(out, seed=11, las=1, years=(2020, 2023, 2025, 2026), fraction=0.03, workers=1)
    paths = sorted(out.glob("*/cin_census_*.xml"))
    for seed, path in enumerate(paths):
        _scatter(path, seed)
    # A 2023-24 census sent as 2024-25: children its schema accepts, with GenderCurrent.
    relabelled = write_cin_census(
        out / "relabelled.xml", children=200, la_code="926", collection_year=2024, seed=4
    )
    text = relabelled.read_text(encoding="utf-8")
    relabelled.write_text(text.replace("2024-03-31", "2025-03-31"), encoding="utf-8")
    assert read_header(relabelled).collection_year == 2025
    return [*paths, relabelled, *sorted(CIN.glob("*.xml"))]


@pytest.mark.parametrize("validate_xsd", [True, False])
def test_out_of_year_findings_match_a_search_of_every_child(
    censuses: list[Path], validate_xsd: bool
) -> None:
    found_in = {"valid": 0, "invalid": 0}
    for path in censuses:
        got = [
            (f.child_seq, f.field)
            for b in iter_batches(path, batch_children=50, validate_xsd=validate_xsd)
            if isinstance(b, CinBatch)
            for f in b.findings
            if f.field in OTHER_YEARS
        ]
        expected = _reference(path)
        assert got == expected, path.name
        invalid = {
            f.child_seq
            for b in iter_batches(path, batch_children=50)
            if isinstance(b, CinBatch)
            for f in b.findings
            if f.field == "XSD"
        }
        for seq, _ in expected:
            found_in["invalid" if seq in invalid else "valid"] += 1
    # Both kinds occur: GenderCurrent in children its (2023-24) schema accepts, from 2024-25.
    assert found_in["valid"] > 0 and found_in["invalid"] > 0, found_in
