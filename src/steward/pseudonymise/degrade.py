"""Degrade transforms: make a column less identifying before it reaches the store.

Each strategy has a name the policy registry and the table plan refer to:

- ``pseudonym``: keyed HMAC of an identifier (see :mod:`.pseudonym`).
- ``year_month``: a date or month → text ``YYYY-MM`` (an exact date of birth never leaves).
- ``age_in_months``: whole months from the 1st of the birth month to an event date, i.e.
  ``12 × (event year − birth year) + (event month − birth month)``. Counting from the 1st is what
  a year-month of birth allows, and it never over-states age. A negative result (an event
  before birth) is kept: it is a data-quality signal the returns report, not ours to hide.
- ``postcode_district``: a UK postcode → its outward code (``NR1 3QU`` → ``NR1``).
- ``drop``: the column does not pass at all.
- ``keep``: the column passes unchanged.

Every transform is a vectorised Arrow function, with a per-value reference beside it for tests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from steward.pseudonymise.pseudonym import PseudonymHasher, hasher_for


@dataclass(frozen=True)
class DegradeContext:
    """What a strategy may need besides its column."""

    key: bytes | PseudonymHasher | None = None  # the key, or an engine's hasher for it
    la_codes: pa.Array | str | None = None
    event_dates: pa.Array | None = None


# Returns the degraded column, or None when the column must be dropped.
Transform = Callable[[pa.Array, DegradeContext], pa.Array | None]


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    apply: Transform


def year_month(values: pa.Array) -> pa.Array:
    """Dates → ``YYYY-MM`` text (null stays null)."""
    return pc.strftime(values.cast(pa.date32()), format="%Y-%m")


def year_month_reference(value: dt.date | None) -> str | None:
    return None if value is None else f"{value.year:04d}-{value.month:02d}"


def age_in_months(birth: pa.Array, at: pa.Array) -> pa.Array:
    """Whole months from the 1st of each birth month to each event date."""
    birth, at = birth.cast(pa.date32()), at.cast(pa.date32())
    years = pc.subtract(pc.year(at), pc.year(birth))
    months = pc.subtract(pc.month(at), pc.month(birth))
    return pc.add(pc.multiply(years, 12), months).cast(pa.int64())


def age_in_months_reference(birth: dt.date | None, at: dt.date | None) -> int | None:
    if birth is None or at is None:
        return None
    return (at.year - birth.year) * 12 + (at.month - birth.month)


# Outward code: area (1–2 letters), district (digit + optional digit/letter); inward: digit + 2.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")


def postcode_district_reference(value: str | None) -> str | None:
    """The outward code of a UK postcode; null when it is not a postcode."""
    if value is None:
        return None
    match = _POSTCODE.match(re.sub(r"\s+", "", value).upper())
    return match.group(1) if match else None


def postcode_district(values: pa.Array) -> pa.Array:
    """Outward codes of a column of postcodes (spacing and case ignored; invalid → null)."""
    compact = pc.utf8_upper(pc.replace_substring_regex(values.cast(pa.string()), r"\s+", ""))
    valid = pc.match_substring_regex(compact, _POSTCODE.pattern)
    outward = pc.utf8_slice_codeunits(compact, 0, -3)
    return pc.if_else(valid, outward, pa.scalar(None, pa.string()))


def _pseudonym(values: pa.Array, ctx: DegradeContext) -> pa.Array:
    if ctx.key is None or ctx.la_codes is None:
        raise ValueError("the pseudonym strategy needs the key and the LA codes")
    return hasher_for(ctx.key).pseudonymise(ctx.la_codes, values)


def _age(values: pa.Array, ctx: DegradeContext) -> pa.Array:
    if ctx.event_dates is None:
        raise ValueError("the age_in_months strategy needs the event dates")
    return age_in_months(values, ctx.event_dates)


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("pseudonym", "keyed HMAC-SHA256 pseudonym, per LA", _pseudonym),
        Strategy("year_month", "date → YYYY-MM text", lambda v, _c: year_month(v)),
        Strategy("age_in_months", "whole months from birth month to the event", _age),
        Strategy(
            "postcode_district", "postcode → outward code", lambda v, _c: postcode_district(v)
        ),
        Strategy("drop", "not passed on", lambda _v, _c: None),
        Strategy("keep", "passed on unchanged", lambda v, _c: v),
    )
}


def strategy(name: str) -> Strategy:
    """The strategy called ``name``; a clear error listing the known ones otherwise."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise KeyError(
            f"no degrade strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}"
        ) from None


def apply(name: str, values: pa.Array, ctx: DegradeContext | None = None) -> pa.Array | None:
    """Apply the named strategy to a column; None means the column is dropped."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return strategy(name).apply(values, ctx or DegradeContext())
