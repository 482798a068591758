"""The archive's generalisation hierarchies, built in code from the values the dataset holds.

Each hierarchy kind a profile may name has a builder and a name for every level, which the
codebook prints as "generalisation applied". Missing values are a category of their own
(:data:`MISSING`), generalised like any other value, so no record falls outside a hierarchy.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

from steward.anonymise import Hierarchy
from steward.anonymise.hierarchy import DFE_ETHNICITY_GROUPS, SUPPRESSED
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES

MISSING = "(missing)"
YES, NO = "yes", "no"

LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "age_months": ("age in months", "age in completed years", "age band", "suppressed"),
    "date": ("day", "month", "quarter", "year", "suppressed"),
    "ethnicity": ("DfE ethnicity code", "major ethnic group", "suppressed"),
    "local_authority": ("local authority", "English region", "England"),
    "gender": ("gender", "suppressed"),
    "flag": ("flag", "suppressed"),
}

# Lower bounds (years) of the age bands; "under 1" includes unborn children (negative months).
AGE_BANDS = (1, 5, 10, 16)


def _age_band(years: int) -> str:
    if years < AGE_BANDS[0]:
        return "under 1"
    for lower, upper in itertools.pairwise(AGE_BANDS):
        if years < upper:
            return f"{lower}-{upper - 1}"
    return f"{AGE_BANDS[-1]}+"


def age_months(name: str, values: Iterable[str]) -> Hierarchy:
    """Age in months → completed years ("unborn" below 0) → bands → ``*``."""
    rows = []
    for text in sorted({v for v in values if v != MISSING}, key=int):
        months = int(text)
        years = months // 12 if months >= 0 else -1
        year_label = str(years) if years >= 0 else "unborn"
        rows.append([text, year_label, _age_band(years), SUPPRESSED])
    rows.append([MISSING, MISSING, MISSING, SUPPRESSED])
    return Hierarchy.from_rows(name, rows)


def dates(name: str, values: Iterable[str]) -> Hierarchy:
    """Day → month → quarter → year → ``*``."""
    present = sorted({v for v in values if v != MISSING})
    rows = [list(r) for r in Hierarchy.dates(name, present).rows] if present else []
    rows.append([MISSING] * 4 + [SUPPRESSED])
    return Hierarchy.from_rows(name, rows)


def ethnicity(name: str, values: Iterable[str]) -> Hierarchy:
    """DfE ethnicity code → five major groups (other codes: "Not known") → ``*``."""
    rows = [[code, group, SUPPRESSED] for code, group in DFE_ETHNICITY_GROUPS.items()]
    known = set(DFE_ETHNICITY_GROUPS)
    # Refused (REFU), not obtained (NOBT) and missing values are all "not known" at level 1.
    rows += [[v, "Not known", SUPPRESSED] for v in sorted(set(values) - known - {MISSING})]
    rows.append([MISSING, "Not known", SUPPRESSED])
    return Hierarchy.from_rows(name, rows)


def local_authority(name: str, values: Iterable[str]) -> Hierarchy:
    """Local authority code → English region → England."""
    regions = {la.code: la.region for la in NWD_LOCAL_AUTHORITIES}
    rows = [[code, region, "England"] for code, region in regions.items()]
    rows += [[v, "Other region", "England"] for v in sorted(set(values) - set(regions))]
    return Hierarchy.from_rows(name, rows)


def categories(name: str, values: Iterable[str]) -> Hierarchy:
    """Any categories → ``*`` (gender, yes/no flags)."""
    present = sorted(set(values) | {MISSING})
    return Hierarchy.from_rows(name, [[v, SUPPRESSED] for v in present])


BUILDERS: dict[str, Callable[[str, Iterable[str]], Hierarchy]] = {
    "age_months": age_months,
    "date": dates,
    "ethnicity": ethnicity,
    "local_authority": local_authority,
    "gender": categories,
    "flag": categories,
}


def build(kind: str, name: str, values: Iterable[str]) -> Hierarchy:
    """The hierarchy of ``kind`` for a column holding ``values`` (as text)."""
    return BUILDERS[kind](name, list(values))


def level_order(hierarchy: Hierarchy, level: int) -> list[str]:
    """The distinct labels of one level, in hierarchy order (ages and dates stay in order)."""
    return list(dict.fromkeys(hierarchy.level(level)))
