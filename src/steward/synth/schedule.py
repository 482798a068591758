"""Which local authority sends which return when, its go-live date and its size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from steward.study.local_authorities import LocalAuthority
from steward.synth.children import SHARE_12_17

Scale = Literal["tiny", "small", "large"]
SCALES: dict[str, float] = {"tiny": 1 / 40, "small": 1 / 4, "large": 1.0}
RETURN_TYPES = ("dr1", "dr2", "dr3")

FIRST_REFERRAL_DAY = dt.date(2019, 4, 1)
TRIAL_WINDOW = (dt.date(2019, 10, 1), dt.date(2022, 3, 31))

GO_LIVE: dict[str, dt.date] = {
    "rochdale": dt.date(2020, 4, 1),
    "warrington": dt.date(2021, 4, 1),
    "norfolk": dt.date(2021, 6, 1),
    "redcar": dt.date(2021, 9, 1),
    "leicester": dt.date(2022, 1, 1),  # a study setting; override with ``go_live``
}
# Children aged 12–17 at first referral in the trial window (30 months) in the evaluation.
COHORT_12_17: dict[str, int] = {
    "norfolk": 4400,
    "rochdale": 2300,
    "warrington": 1200,
    "redcar": 1200,
    "leicester": 2300,
}
# Resident children aged 0–17, rounded; only for the DR1 rate per 10,000.
CHILD_POPULATION: dict[str, int] = {
    "norfolk": 170_000,
    "rochdale": 50_000,
    "warrington": 44_000,
    "redcar": 28_000,
    "leicester": 82_000,
}
RETURN_MONTHS: dict[str, tuple[str, ...]] = {
    "rochdale": ("2020-11", "2022-04", "2023-10"),
    "redcar": ("2021-11", "2022-10", "2024-03"),
    "warrington": ("2021-07", "2022-05", "2023-11"),
    "norfolk": ("2021-10", "2023-10"),
    "leicester": ("2022-04", "2023-03", "2024-06"),
}


@dataclass(frozen=True)
class LaProfile:
    """One LA in a synthetic run: go-live, submission months, volumes at the run's scale."""

    la: LocalAuthority
    go_live: dt.date
    return_months: tuple[str, ...]  # "YYYY-MM", ascending
    children: int  # children with a first referral from April 2019 to the last return
    child_population: int

    @property
    def last_day(self) -> np.datetime64:
        """The last day the LA's latest return covers."""
        month = np.datetime64(self.return_months[-1], "M")
        return (month + 1).astype("datetime64[D]") - 1


def _fallback_months(index: int) -> tuple[str, ...]:
    start = np.datetime64("2021-01", "M") + 4 * (index % 6)
    return tuple(str(start + 12 * k) for k in range(3))


def build_profiles(
    las: Sequence[LocalAuthority], scale: float, go_live: Mapping[str, dt.date] | None = None
) -> list[LaProfile]:
    """Profiles for ``las``; LAs outside the study get Rochdale-like volumes and staggered dates."""
    overrides = dict(go_live or {})
    profiles = []
    for i, la in enumerate(las):
        months = RETURN_MONTHS.get(la.slug) or _fallback_months(i)
        live = overrides.get(la.slug) or GO_LIVE.get(la.slug) or dt.date(2020, 10 + i % 3, 1)
        per_year = COHORT_12_17.get(la.slug, 2000) / 2.5 / SHARE_12_17
        last = np.datetime64(months[-1], "M") + 1
        years = float((last - np.datetime64("2019-04", "M")).astype(int)) / 12
        profiles.append(
            LaProfile(
                la=la,
                go_live=live,
                return_months=months,
                children=max(20, round(per_year * years * scale)),
                child_population=CHILD_POPULATION.get(la.slug, 60_000),
            )
        )
    return profiles


def file_name(slug: str, return_type: str, month: str) -> str:
    """The file name an LA sends, e.g. ``rochdale_dr2_apr22.xlsx`` for DR2 in April 2022."""
    year, mon = month.split("-")
    abbr = dt.date(int(year), int(mon), 1).strftime("%b").lower()
    return f"{slug}_{return_type}_{abbr}{year[2:]}.xlsx"
