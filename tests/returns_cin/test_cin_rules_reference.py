"""The CIN census rules and quarantine split against a plain reference, row by row.

The rules run as Arrow expressions over whole batches; the reference below is their direct
definition, one Python predicate per rule over the gathered rows. Both must give the same
failures (codes, children, fields, in report order), the same quarantined children and reasons
and the same kept rows, on censuses corrupted to break every rule, whatever the batch size.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from steward.returns.cin_census import codes
from steward.returns.cin_census.reader import CinBatch, CinHeader, iter_batches
from steward.returns.cin_census.rules import RULES
from steward.returns.cin_census.validate import read_cin_census
from steward.synth.national import write_national

Row = dict[str, Any]
Batch = dict[str, list[Row]]
UPN = re.compile(r"^[A-Za-z]\d{12}$|^[A-Za-z]\d{11}[A-Za-z]$")  # \d: any Unicode digit


def _bad(value: str | None, allowed: frozenset[str]) -> bool:
    return value is not None and value not in allowed


def _before(later: dt.date | None, earlier: dt.date | None) -> bool:
    return later is not None and earlier is not None and later < earlier


def _bad_upn(value: str | None) -> bool:
    return value is not None and not UPN.match(value)


def _referral(b: Batch, row: Row) -> dt.date | None:
    episode = {(e["child_seq"], e["episode_seq"]): e["referral_date"] for e in b["cin_episodes"]}
    return episode.get((row["child_seq"], row["episode_seq"]))


def _birth(b: Batch, row: Row) -> dt.date | None:
    return {c["child_seq"]: c["birth_date"] for c in b["cin_children"]}.get(row["child_seq"])


def _reused(b: Batch, row: Row) -> bool:
    births = {c["birth_date"] for c in b["cin_children"]
              if c["child_id"] == row["child_id"] and c["birth_date"] is not None}  # fmt: skip
    return row["child_id"] is not None and len(births) > 1


GC, SEX = codes.GENDER_CURRENT, codes.SEX | codes.GENDER_CURRENT
REFERENCE: dict[str, Callable[[Batch, Row, int], bool]] = {
    "CIN100": lambda b, r, y: r["child_id"] is None,
    "CIN101": lambda b, r, y: _bad_upn(r["upn"]),
    "CIN102": lambda b, r, y: _bad_upn(r["former_upn"]),
    "CIN103": lambda b, r, y: _bad(r["upn_unknown"], codes.UPN_UNKNOWN),
    "CIN104": lambda b, r, y: r["birth_date"] is None and r["expected_birth_date"] is None,
    "CIN105": lambda b, r, y: _bad(r["gender_current"], GC) or _bad(r["sex"], SEX),
    "CIN106": lambda b, r, y: r["gender_current"] is None and r["sex"] is None,
    "CIN107": lambda b, r, y: _bad(r["ethnicity"], codes.ETHNICITY),
    "CIN108": lambda b, r, y: _bad(r["disability"], codes.DISABILITY),
    "CIN110": lambda b, r, y: r["referral_date"] is None,
    "CIN111": lambda b, r, y: _bad(r["referral_source"], codes.referral_sources(y)),
    "CIN112": lambda b, r, y: _bad(r["closure_reason"], codes.closure_reasons(y)),
    "CIN113": lambda b, r, y: _before(r["closure_date"], r["referral_date"]),
    "CIN114": lambda b, r, y: _bad(r["primary_need"], codes.PRIMARY_NEED),
    "CIN115": lambda b, r, y: _before(r["referral_date"], _birth(b, r)),
    "CIN120": lambda b, r, y: _before(r["assessment_start_date"], _referral(b, r)),
    "CIN121": lambda b, r, y: _before(r["assessment_authorised_date"], r["assessment_start_date"]),
    "CIN122": lambda b, r, y: _bad(r["factor"], codes.assessment_factors(y)),
    "CIN130": lambda b, r, y: _before(r["cin_plan_end_date"], r["cin_plan_start_date"]),
    "CIN140": lambda b, r, y: _before(r["cpp_end_date"], r["cpp_start_date"]),
    "CIN141": lambda b, r, y: (
        _bad(r["initial_category"], codes.CATEGORY_OF_ABUSE)
        or _bad(r["latest_category"], codes.CATEGORY_OF_ABUSE)
    ),
    "CIN142": lambda b, r, y: _before(r["cpp_start_date"], _referral(b, r)),
    "CIN150": lambda b, r, y: _reused(b, r),
}

Failure = tuple[str, str, str, int, str]  # code, message, severity, child_seq, field
REUSED = "the same LAchildID appears twice with different dates of birth"


def reference(
    batch: CinBatch, header: CinHeader, seen: dict[str, Any]
) -> tuple[list[Failure], dict[int, str], Batch]:
    """Failures in report order, quarantine reasons by child, kept rows; ``seen`` carries
    each child id's first date of birth from batch to batch."""
    rows: Batch = {
        name: [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]
        for name, columns in batch.rows.items()
    }
    failures: list[Failure] = [
        ("XSD" if f.field == "XSD" else "CIN001", f.message, f.severity, f.child_seq, f.field)
        for f in batch.findings
    ]
    for rule in RULES:
        fields = "/".join(rule.fields)
        for row in rows[rule.table]:
            if REFERENCE[rule.code](rows, row, header.collection_year):
                failures.append((rule.code, rule.message, rule.severity, row["child_seq"], fields))
    for child in rows["cin_children"]:
        if child["child_id"] is None:
            continue
        earlier = seen.setdefault(child["child_id"], child["birth_date"])
        if None not in (earlier, child["birth_date"]) and earlier != child["birth_date"]:
            seq = child["child_seq"]
            failures.append(("CIN150", REUSED, "blocking", seq, "LAchildID/PersonBirthDate"))
    reasons: dict[int, list[str]] = {}
    for code, message, severity, seq, _ in failures:
        if severity == "blocking":
            reasons.setdefault(seq, []).append(f"{code}: {message}")
    kept = {n: [r for r in t if r["child_seq"] not in reasons] for n, t in rows.items()}
    return failures, {seq: "; ".join(r) for seq, r in sorted(reasons.items())}, kept


def _corrupt(path: Path, seed: int, rate: float) -> None:
    """Break values of every kind: codes, dates (earlier, later, unparseable), identifiers."""
    rng = random.Random(seed)
    tree = etree.parse(str(path))
    ids: list[str] = []
    for child in tree.getroot().iter("Child"):
        for e in list(child.iter()):
            if len(e) or rng.random() > rate:
                continue
            if rng.random() < 0.1:
                e.getparent().remove(e)
            elif e.tag == "LAchildID":
                e.text = rng.choice(["", rng.choice(ids) if ids else "X", f" {e.text} "])
            elif e.tag in ("UPN", "FormerUPN"):
                e.text = rng.choice(["12345", "A12345678901B", "A١٢٣٤٥٦٧٨٩٠١٢", "a1234567890123"])
            elif "Date" in e.tag or e.tag.startswith(("CPP", "CINPlan")):
                shift = dt.timedelta(days=rng.randint(-4000, 4000))
                e.text = rng.choice([(dt.date(2020, 6, 1) + shift).isoformat(), "2021-02-30", ""])
            else:
                e.text = rng.choice(["ZZZ", "", "1", "M", "5D", "RC9", "24A", "18A", "UN9"])
        ident = child.find("ChildIdentifiers")
        if ident is not None and ident.findtext("LAchildID", "").strip():
            ids.append(ident.findtext("LAchildID", "").strip())
        if ident is not None and rng.random() < rate:
            etree.SubElement(ident, "FormerUPN").text = rng.choice(["A123456789012", "B12"])
        for plan in child.iter("ChildProtectionPlans"):
            start, end = plan.find("CPPstartDate"), plan.find("CPPendDate")
            if start is not None and end is not None and rng.random() < rate * 3:
                start.text, end.text = end.text, start.text
    tree.write(str(path))


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("national")
    write_national(out, seed=5, las=1, years=(2020, 2025, 2026), fraction=0.04, workers=1)
    paths = sorted(out.glob("*/cin_census_*.xml"))
    for seed, path in enumerate(paths):
        _corrupt(path, seed, rate=0.08)
    return paths


@pytest.mark.parametrize("batch_children", [37, 5000])
def test_rules_and_quarantine_match_the_reference(
    corrupted: list[Path], batch_children: int
) -> None:
    fired: set[str] = set()
    for path in corrupted:
        header, batches = read_cin_census(path, batch_children=batch_children)
        raw = iter_batches(path, batch_children=batch_children)
        assert next(raw) == header
        seen: dict[str, Any] = {}
        for batch, got in zip(raw, batches, strict=True):
            assert isinstance(batch, CinBatch)
            failures, reasons, kept = reference(batch, header, seen)
            assert [
                (f.code, f.message, f.severity, f.child_seq, f.field) for f in got.failures
            ] == failures
            quarantined = got.quarantined.to_pylist()
            assert {q["child_seq"]: q["reasons"] for q in quarantined} == reasons
            for q in quarantined:
                blocking = {f[0] for f in failures if f[3] == q["child_seq"] and f[2] == "blocking"}
                assert q["rule_codes"] == sorted(blocking)
            for name, rows in kept.items():
                assert got.tables[name].to_pylist() == rows, (path.name, name)
            fired |= {f[0] for f in failures}
    # The corrupted censuses exercise every rule, so the comparison above covers each of them.
    assert {r.code for r in RULES} <= fired


def test_every_rule_has_a_reference() -> None:
    assert {r.code for r in RULES} == set(REFERENCE)
