"""Derived education measures per pupil and academic year, from the stored NPD tables.

Absence rate = overall absence sessions / possible sessions over the year's terms; a pupil is
persistently absent when the rate reaches the year's threshold (10% since 2015/16, see spec.py).
2019/20 is explicit: every pupil with absence data before and after it gets a 2019/20 row with
``absence_collected = False`` and no rate, so an analysis can neither read the gap as "no
absence" nor lose the year silently.

``absence_measures_sql`` is the engine version over the store; ``absence_measures`` is the
plain pandas reference the tests hold it to.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.returns.npd.spec import NO_ABSENCE_YEARS, persistent_threshold

MEASURE_COLUMNS = (
    "pmr",
    "academic_year",
    "absence_collected",
    "terms",
    "sessions_possible",
    "overall_absence",
    "authorised_absence",
    "unauthorised_absence",
    "absence_rate",
    "persistent_absence",
)


def absence_measures(absence: pd.DataFrame) -> pd.DataFrame:
    """Per pupil and year: sessions, rates and persistent absence (reference implementation).

    ``absence`` has the ``npd_absence`` columns (pmr, academic_year, term, sessions_possible,
    authorised_absence, unauthorised_absence, overall_absence).
    """
    measured = absence[~absence["academic_year"].isin(list(NO_ABSENCE_YEARS))]
    sums = (
        measured.groupby(["pmr", "academic_year"], as_index=False)
        .agg(
            terms=("term", "nunique"),
            sessions_possible=("sessions_possible", "sum"),
            overall_absence=("overall_absence", "sum"),
            authorised_absence=("authorised_absence", "sum"),
            unauthorised_absence=("unauthorised_absence", "sum"),
        )
        .astype({"academic_year": "int64"})
    )
    possible = sums["sessions_possible"].astype(float)
    rate = np.where(possible > 0, sums["overall_absence"] / possible.where(possible > 0), np.nan)
    sums["absence_rate"] = rate
    threshold = sums["academic_year"].map(persistent_threshold)
    persistent = pd.Series(rate >= threshold.to_numpy(), dtype="boolean")
    persistent[np.isnan(rate)] = pd.NA
    sums["persistent_absence"] = persistent.to_numpy()
    sums["absence_collected"] = True
    counts = ["terms", "sessions_possible", "overall_absence", "authorised_absence",
              "unauthorised_absence"]  # fmt: skip
    sums[counts] = sums[counts].astype("Int64")
    gaps = _gap_rows(sums)
    out = pd.concat([sums, gaps], ignore_index=True) if len(gaps) else sums
    out = out.sort_values(["pmr", "academic_year"], ignore_index=True)
    return out[list(MEASURE_COLUMNS)]


def _gap_rows(sums: pd.DataFrame) -> pd.DataFrame:
    """A 'not collected' row for each pupil whose absence years span a no-data year."""
    span = sums.groupby("pmr")["academic_year"].agg(["min", "max"])
    rows = [
        {"pmr": pmr, "academic_year": year, "absence_collected": False}
        for year in sorted(NO_ABSENCE_YEARS)
        for pmr in span.index[(span["min"] < year) & (span["max"] > year)]
    ]
    if not rows:
        return pd.DataFrame(columns=list(MEASURE_COLUMNS))
    gaps = pd.DataFrame(rows)
    for column in ("terms", "sessions_possible", "overall_absence", "authorised_absence",
                   "unauthorised_absence"):  # fmt: skip
        gaps[column] = pd.array([pd.NA] * len(gaps), dtype="Int64")
    gaps["absence_rate"] = np.nan
    gaps["persistent_absence"] = pd.array([pd.NA] * len(gaps), dtype="boolean")
    return gaps


def absence_measures_sql(absence_relation: str = "npd_absence_current") -> str:
    """The same measures as :func:`absence_measures`, as SQL over the store (DuckDB dialect)."""
    no_data = ", ".join(str(y) for y in sorted(NO_ABSENCE_YEARS))
    return f"""
        WITH sums AS (
            SELECT pmr, academic_year, count(DISTINCT term) AS terms,
                   sum(sessions_possible) AS sessions_possible,
                   sum(overall_absence) AS overall_absence,
                   sum(authorised_absence) AS authorised_absence,
                   sum(unauthorised_absence) AS unauthorised_absence
            FROM {absence_relation}
            WHERE academic_year NOT IN ({no_data})
            GROUP BY pmr, academic_year
        ), measured AS (
            SELECT *, TRUE AS absence_collected,
                   CASE WHEN sessions_possible > 0
                        THEN overall_absence::DOUBLE / sessions_possible END AS absence_rate
            FROM sums
        ), spans AS (
            SELECT pmr, min(academic_year) AS lo, max(academic_year) AS hi FROM sums GROUP BY pmr
        ), gaps AS (
            SELECT s.pmr, y.year AS academic_year, FALSE AS absence_collected
            FROM spans AS s, (SELECT unnest([{no_data}]) AS year) AS y
            WHERE s.lo < y.year AND s.hi > y.year
        )
        SELECT pmr, academic_year, absence_collected, terms, sessions_possible, overall_absence,
               authorised_absence, unauthorised_absence, absence_rate,
               absence_rate >= CASE WHEN academic_year >= 2015 THEN 0.10
                                    WHEN academic_year >= 2010 THEN 0.15 ELSE 0.20 END
                   AS persistent_absence
        FROM measured
        UNION ALL
        SELECT pmr, academic_year, absence_collected, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM gaps
        ORDER BY pmr, academic_year
    """
