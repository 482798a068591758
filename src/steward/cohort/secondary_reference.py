"""A slow, obviously-correct pandas version of the secondary outcomes, for tests only.

It applies the rules of :mod:`.secondary`'s docstring child by child to the same current views
(as DataFrames, dates as ``datetime.date``), through the same source mapping as the cohort
reference; every engine's secondary outcomes must agree with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from steward.cohort.reference import add_months, reference_sources, rows_of
from steward.cohort.secondary import NEEDS
from steward.study.definition import CohortSources, SecondaryOutcome

NEET = ("NEET_AVAIL", "NEET_UNAVAIL")


def _missing(value: object) -> bool:
    return value is None or bool(pd.isna(value))  # type: ignore[call-overload]


def _of(frame: pd.DataFrame, la: str, child: str) -> pd.DataFrame:
    return frame[(frame["la_code"] == la) & (frame["child_pid"] == child)]


def _within(day: object, start: dt.date, end: dt.date) -> bool:
    return not _missing(day) and start <= day <= end  # type: ignore[operator]


def _plan_days(plans: pd.DataFrame, start: str, end: str, ref: dt.date, until: dt.date) -> Any:
    days = [
        (min(until if _missing(p[end]) else p[end], until) - p[start]).days
        for _, p in plans.iterrows()
        if _within(p[start], ref, until)
    ]
    return sum(days) if days else None


class _Child:
    """One index child and the frames its outcomes read."""

    def __init__(self, row: Any, months: int) -> None:
        self.la, self.pid, self.referral_pid = row.la_code, row.child_pid, row.referral_pid
        self.ref: dt.date = row.referral_date
        self.months = months
        self.end = add_months(self.ref, months)


def _value(kind: str, c: _Child, t: dict[str, pd.DataFrame], src: Any) -> Any:
    if kind == "re_referral":
        closures = _of(src.closures, c.la, c.pid)
        dates = [
            d
            for p, d in zip(closures["referral_pid"], closures["closure_date"], strict=True)
            if p == c.referral_pid and not _missing(d)
        ]
        if not dates:
            return None
        closed = min(dates)
        later = _of(src.referrals, c.la, c.pid)["referral_date"].dropna()
        return int(any(closed < d <= add_months(closed, c.months) for d in later))
    if kind == "cpp_count":
        starts = _of(src.cp_starts, c.la, c.pid)["cpp_start_date"]
        return sum(_within(s, c.ref, c.end) for s in starts)
    if kind == "cpp_days":
        plans = _of(t["cin_cp_plans"], c.la, c.pid)
        return _plan_days(plans, "cpp_start_date", "cpp_end_date", c.ref, c.end)
    if kind == "cin_plan_days":
        plans = _of(t["cin_plans"], c.la, c.pid)
        return _plan_days(plans, "cin_plan_start_date", "cin_plan_end_date", c.ref, c.end)
    if kind == "care_proceedings":
        court = _of(t["cin_pre_proceedings"], c.la, c.pid)["court_application_date"]
        episodes = _of(t["s903_episodes"], c.la, c.pid)
        orders = episodes.loc[episodes["legal_status"] == "C1", "episode_start_date"]
        return int(any(_within(d, c.ref, c.end) for d in [*court, *orders]))
    if kind == "looked_after":
        starts = _of(src.care_starts, c.la, c.pid)["care_start"]
        return int(any(_within(s, c.ref, c.end) for s in starts))
    if kind == "neet":
        rows = [
            r
            for r in rows_of(_of(t["dr3_neet"], c.la, c.pid))
            if _within(r.activity_date, c.ref, c.end)
            and not _missing(r.age_months_at_activity)
            and 192 <= r.age_months_at_activity <= 251
        ]
        if not rows:
            return None
        # latest date first; on one date, the first activity by name (as the SQL orders them)
        rows.sort(key=lambda r: (-r.activity_date.toordinal(), _missing(r.main_activity),
                                 r.main_activity or ""))  # fmt: skip
        latest = rows[0].main_activity
        return None if _missing(latest) else int(latest in NEET)
    if kind in ("absence_rate", "persistent_absence"):
        rate = _absence_rate(c, t)
        if kind == "absence_rate" or rate is None:
            return rate
        return int(rate >= 0.10)
    raise AssertionError(f"no reference for {kind}")


def _absence_rate(c: _Child, t: dict[str, pd.DataFrame]) -> float | None:
    upn = None
    for name in ("cin_children", "s903_header"):
        found = _of(t[name], c.la, c.pid)["upn_pid"].dropna()
        if upn is None and len(found):
            upn = found.iloc[0]
    if upn is None:
        return None
    lookup = t["npd_pmr_lookup"]
    pmrs = lookup.loc[lookup["upn_pid"] == upn, "pmr"].dropna()
    if not len(pmrs):
        return None
    year_after = c.ref.year - (c.ref.month < 9) + 1
    absence = t["npd_absence"]
    terms = absence[(absence["pmr"] == pmrs.iloc[0]) & (absence["academic_year"] == year_after)]
    possible = terms["sessions_possible"].dropna().sum()
    if not len(terms) or not possible:
        return None
    return float(terms["overall_absence"].dropna().sum()) / float(possible)


def _has_rows(tables: dict[str, pd.DataFrame], relation: str) -> bool:
    frame = tables.get(relation.removesuffix("_current"))
    return frame is not None and len(frame) > 0


def build_secondary_reference(
    tables: dict[str, pd.DataFrame],
    index: pd.DataFrame,
    outcomes: list[SecondaryOutcome],
    sources: CohortSources,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """``la_code``, ``child_pid`` and one column per outcome built, and the outcomes skipped (name -> why)
    for the index children (la_code, child_pid, referral_pid, referral_date as dates)."""
    src = reference_sources(tables, sources)
    values = pd.DataFrame({"la_code": index["la_code"], "child_pid": index["child_pid"]})
    skipped: dict[str, str] = {}
    for outcome in outcomes:
        needs = NEEDS[sources][outcome.kind]
        if not any(_has_rows(tables, n) for n in needs):
            skipped[outcome.name] = f"no {' or '.join(needs)} data in the store"
            continue
        values[outcome.name] = [
            _value(outcome.kind, _Child(row, outcome.within_months), tables, src)
            for row in rows_of(index)
        ]
    return values, skipped
