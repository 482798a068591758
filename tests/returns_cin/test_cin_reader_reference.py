"""The CIN census reader against a plain reference: each child walked element by element.

The reader gathers raw texts per child and converts whole columns per batch; the reference
below is the direct definition (find the row elements along each table's path, take each
field's first element's text, convert it or report it). Both must give the same rows, values,
types and conversion findings, on every shipped fixture and on synthetic national censuses,
whatever the batch size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from steward.returns.cin_census.columns import COLUMNS, bad_value, convert
from steward.returns.cin_census.reader import CinBatch, iter_batches
from steward.returns.cin_census.spec import TABLES, CinField, CinTable
from steward.synth.national import write_national

CIN = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "cin_census"
FIXTURES = sorted(CIN.glob("*.xml"))

Rows = dict[str, dict[str, list[tuple[str, Any]]]]
Findings = list[tuple[int, str, str, str]]


def _text(elem: etree._Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def _value(elem: etree._Element | None, spec: CinField, seq: int, findings: Findings) -> Any:
    text = _text(elem)
    try:
        return convert(text, spec)
    except ValueError:
        f = bad_value(seq, spec, text)
        findings.append((f.child_seq, f.field, f.message, f.severity))
        return None


def _under(elem: etree._Element, path: tuple[str, ...]) -> list[etree._Element]:
    found = [elem]
    for name in path:
        found = [sub for e in found for sub in e if sub.tag == name]
    return found


def _table_rows(
    table: CinTable, child: etree._Element, seq: int, rows: Rows, findings: Findings
) -> None:
    places: list[tuple[int | None, etree._Element, tuple[str, ...]]]
    if table.path[0] == "CINdetails":
        episodes = [e for e in child if e.tag == "CINdetails"]
        places = [(ep, e, table.path[1:]) for ep, e in enumerate(episodes, start=1)]
    else:
        places = [(None, child, table.path)]
    out = rows[table.name]
    for ep, top, path in places:
        for item, elem in enumerate(_under(top, path), start=1):
            values = []
            for f in table.fields:
                first = next((sub for sub in elem if sub.tag == f.element), None)
                values.append(_value(first, f, seq, findings))
            row: list[tuple[Any, ...]] = []
            if table.repeated is None:
                row.append((seq, ep, item, *values))
            else:
                repeats = [sub for sub in elem if sub.tag == table.repeated.element]
                for n, rep in enumerate(repeats, start=1):
                    value = _value(rep, table.repeated, seq, findings)
                    row.append((seq, ep, item * 1000 + n, *values, value))
            for r in row:
                for column, value in zip(COLUMNS[table.name], r, strict=True):
                    out[column].append((type(value).__name__, value))


def reference(path: Path) -> tuple[Rows, Findings]:
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, remove_comments=True
    )
    rows: Rows = {t.name: {c: [] for c in COLUMNS[t.name]} for t in TABLES}
    findings: Findings = []
    for seq, child in enumerate(etree.parse(str(path), parser).iter("Child"), start=1):
        for table in TABLES:
            _table_rows(table, child, seq, rows, findings)
    return rows, findings


def read(path: Path, batch_children: int) -> tuple[Rows, Findings, int]:
    rows: Rows = {t.name: {c: [] for c in COLUMNS[t.name]} for t in TABLES}
    findings: Findings = []
    children = 0
    for batch in iter_batches(path, batch_children=batch_children):
        if not isinstance(batch, CinBatch):
            continue
        children += batch.children
        for name, columns in batch.rows.items():
            for column, values in columns.items():
                rows[name][column] += [(type(v).__name__, v) for v in values]
        # Conversion findings are the blocking ones; XSD and schema-year findings are warnings.
        findings += [
            (f.child_seq, f.field, f.message, f.severity)
            for f in batch.findings
            if f.severity == "blocking"
        ]
    return rows, findings, children


def _same(path: Path, batch_children: int) -> int:
    expected_rows, expected_findings = reference(path)
    rows, findings, children = read(path, batch_children)
    for name, columns in expected_rows.items():
        for column, values in columns.items():
            assert rows[name][column] == values, (path.name, name, column)
    # The reference reports a child's findings table by table, as the reader does.
    assert findings == sorted(expected_findings, key=lambda f: f[0])
    return children


@pytest.mark.parametrize("batch_children", [1, 7, 5000])
@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_reader_matches_the_reference_on_every_fixture(path: Path, batch_children: int) -> None:
    assert _same(path, batch_children) > 0


def test_reader_matches_the_reference_on_synthetic_national_censuses(tmp_path: Path) -> None:
    write_national(tmp_path, seed=3, las=1, years=(2020, 2024, 2026), fraction=0.05, workers=1)
    censuses = sorted(tmp_path.glob("*/cin_census_*.xml"))
    assert len(censuses) == 3
    for path in censuses:
        assert _same(path, 97) > 100


def test_bad_values_become_findings_in_table_order(tmp_path: Path) -> None:
    census = tmp_path / "odd.xml"
    census.write_text(
        "<Message><Header><CollectionDetails><Collection>CIN</Collection><Year>2024</Year>"
        "<ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails>"
        "<Source><LEA>926</LEA></Source></Header><Children>"
        "<Child><CINdetails><CINreferralDate>2023-13-01</CINreferralDate>"
        "<ReferralNFA>maybe</ReferralNFA><ChildProtectionPlans>"
        "<NumberOfPreviousCPP>two</NumberOfPreviousCPP></ChildProtectionPlans></CINdetails>"
        "<ChildIdentifiers><LAchildID> </LAchildID><PersonBirthDate>31/01/2015</PersonBirthDate>"
        "<PersonBirthDate>2015-01-31</PersonBirthDate></ChildIdentifiers></Child>"
        "</Children></Message>"
    )
    rows, findings, children = read(census, 5000)
    assert children == 1
    assert [f[1] for f in findings] == [
        "PersonBirthDate",  # cin_children comes first in TABLES, though last in the file
        "CINreferralDate",
        "ReferralNFA",
        "NumberOfPreviousCPP",
    ]
    assert findings[0][2] == "PersonBirthDate value '31/01/2015' is not a valid date"
    assert rows["cin_children"]["child_id"] == [("NoneType", None)]
    assert rows["cin_children"]["birth_date"] == [("NoneType", None)]  # the first one counts
    assert _same(census, 1) == 1
