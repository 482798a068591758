"""Degrade transforms: known answers and agreement with the per-value references."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.pseudonymise import degrade as d
from steward.pseudonymise.pseudonym import pseudonym_reference

D = dt.date


def test_year_month_known_answers() -> None:
    dates = pa.array([D(2009, 2, 28), D(2016, 12, 1), None, D(1999, 1, 31)], pa.date32())
    assert d.year_month(dates).to_pylist() == ["2009-02", "2016-12", None, "1999-01"]


@pytest.mark.parametrize(
    ("birth", "at", "months"),
    [
        (D(2010, 3, 1), D(2010, 3, 31), 0),
        (D(2010, 3, 1), D(2010, 4, 1), 1),
        (D(2010, 3, 1), D(2020, 2, 29), 119),
        (D(2010, 12, 1), D(2011, 1, 15), 1),
        (D(2010, 3, 1), D(2009, 12, 5), -3),  # event before birth: kept for the quality report
    ],
)
def test_age_in_months_known_answers(birth: dt.date, at: dt.date, months: int) -> None:
    got = d.age_in_months(pa.array([birth], pa.date32()), pa.array([at], pa.date32()))
    assert got.to_pylist() == [months]
    assert d.age_in_months_reference(birth, at) == months


def test_age_with_nulls() -> None:
    got = d.age_in_months(pa.array([None, D(2010, 1, 1)]), pa.array([D(2011, 1, 1), None]))
    assert got.to_pylist() == [None, None]


@pytest.mark.parametrize(
    ("postcode", "district"),
    [
        ("NR1 3QU", "NR1"),
        ("nr13qu", "NR1"),
        ("SW1A 1AA", "SW1A"),
        ("M1 1AE", "M1"),
        ("B33 8TH", "B33"),
        ("CR2 6XH", "CR2"),
        ("DN55 1PT", "DN55"),
        ("not a postcode", None),
        ("", None),
        (None, None),
    ],
)
def test_postcode_district(postcode: str | None, district: str | None) -> None:
    assert d.postcode_district(pa.array([postcode], pa.string())).to_pylist() == [district]
    assert d.postcode_district_reference(postcode) == district


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.dates(D(1990, 1, 1), D(2030, 1, 1)), st.dates(D(1990, 1, 1), D(2030, 1, 1))),
        max_size=30,
    )
)
def test_vectorised_age_agrees_with_reference(pairs: list[tuple[dt.date, dt.date]]) -> None:
    births = pa.array([b.replace(day=1) for b, _ in pairs], pa.date32())
    ats = pa.array([a for _, a in pairs], pa.date32())
    assert d.age_in_months(births, ats).to_pylist() == [
        d.age_in_months_reference(b.replace(day=1), a) for b, a in pairs
    ]
    assert d.year_month(ats).to_pylist() == [d.year_month_reference(a) for _, a in pairs]


def test_registry_names_and_behaviour() -> None:
    assert set(d.STRATEGIES) == {
        "pseudonym",
        "year_month",
        "age_in_months",
        "drop",
        "keep",
        "postcode_district",
    }
    col = pa.array(["A", "B"])
    assert d.apply("drop", col) is None
    assert d.apply("keep", col) == col
    key = bytes(32)
    got = d.apply("pseudonym", col, d.DegradeContext(key=key, la_codes="E08000005"))
    assert got is not None
    assert got.to_pylist() == [pseudonym_reference(key, "E08000005", v) for v in ("A", "B")]
    births = pa.array([D(2010, 5, 1)])
    ctx = d.DegradeContext(event_dates=pa.array([D(2011, 5, 2)]))
    assert d.apply("age_in_months", births, ctx) == pa.array([12], pa.int64())


def test_unknown_strategy_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="postcode_district"):
        d.strategy("hash")
