"""DR1: the monthly LA-level aggregates, counted from the same case histories as DR2 and DR3.

Counts of new referrals, plans started and children newly looked after are exactly the child-level
counts. Stocks (open CIN cases, open plans, children looked after) are the child-level stocks plus
a stock of cases that began before April 2019, which the child-level returns do not hold and which
runs down over the study. Workforce rates are an LA level with month-to-month noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.synth.population import LaPopulation
from steward.synth.schedule import FIRST_REFERRAL_DAY

# Stocks per 10,000 children on 1 April 2019, and how fast that legacy runs down (months).
_LEGACY_PER_10K = {"cin": 250.0, "cpp": 35.0, "cla": 55.0}
_LEGACY_MONTHS = {"cin": 10.0, "cpp": 9.0, "cla": 30.0}


def _counts_by_month(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    m = dates[~np.isnat(dates)].astype("datetime64[M]")
    return np.searchsorted(np.sort(m), months, side="right") - np.searchsorted(
        np.sort(m), months, side="left"
    )


def _open_at(starts: np.ndarray, ends: np.ndarray, month_ends: np.ndarray) -> np.ndarray:
    started = np.searchsorted(np.sort(starts), month_ends, side="right")
    ended_dates = np.sort(ends[~np.isnat(ends)])
    ended = np.searchsorted(ended_dates, month_ends, side="right")
    return started - ended


def monthly_aggregates(
    rng: np.random.Generator, pop: LaPopulation, scale: float, last_month: str
) -> pd.DataFrame:
    """One row per month from April 2019 to ``last_month`` (YYYY-MM), canonical DR1 columns."""
    months = np.arange(np.datetime64(FIRST_REFERRAL_DAY, "M"), np.datetime64(last_month, "M") + 1)
    month_ends = (months + 1).astype("datetime64[D]") - 1
    t = np.arange(months.size, dtype=float)
    population = pop.profile.child_population * scale

    def legacy(kind: str) -> np.ndarray:
        start = _LEGACY_PER_10K[kind] * population / 10_000
        return np.round(start * np.exp(-t / _LEGACY_MONTHS[kind])).astype(np.int64)

    refs = pop.referrals
    ref_dates = refs["referral_date"].to_numpy(dtype="datetime64[D]")
    new_referrals = _counts_by_month(ref_dates, months)
    open_refs = refs[refs["referral_nfa"].to_numpy() < 0.5]
    closes = pop.closures.set_index("referral_id")["closure_date"]
    open_close = closes.reindex(open_refs["referral_id"]).to_numpy(dtype="datetime64[D]")
    open_cin = _open_at(
        open_refs["referral_date"].to_numpy(dtype="datetime64[D]"), open_close, month_ends
    )
    # About half of open referrals without a plan get a CIN plan within the month.
    cin_plans = rng.binomial(
        _counts_by_month(open_refs["referral_date"].to_numpy(dtype="datetime64[D]"), months), 0.45
    )

    cpp_start = pop.cpps["cpp_start_date"].to_numpy(dtype="datetime64[D]")
    cpp_end = pop.cpps["cpp_end_date"].to_numpy(dtype="datetime64[D]")
    poc_start = pop.periods["poc_start_date"].to_numpy(dtype="datetime64[D]")
    poc_end = pop.periods["poc_end_date"].to_numpy(dtype="datetime64[D]")
    cla = _open_at(poc_start, poc_end, month_ends) + legacy("cla")

    # Attribute shares among the month's referred children (NaN in a month with none).
    child_rows = refs["child_row"].to_numpy()
    month_of = ref_dates.astype("datetime64[M]")
    idx = np.searchsorted(months, month_of)
    fsm = pop.children["fsm_ever"].to_numpy()[child_rows]
    wbri = (pop.children["ethnicity"].to_numpy()[child_rows] == "WBRI").astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.bincount(idx, minlength=months.size).astype(float)
        prop_fsm = np.round(np.bincount(idx, fsm, minlength=months.size) / n, 3)
        prop_wbri = np.round(np.bincount(idx, wbri, minlength=months.size) / n, 3)

    turnover = np.clip(rng.uniform(0.10, 0.20) + rng.normal(0, 0.015, months.size), 0.02, 0.5)
    agency = np.clip(rng.uniform(0.05, 0.18) + rng.normal(0, 0.01, months.size), 0.0, 0.5)
    return pd.DataFrame(
        {
            "month": months.astype("datetime64[D]"),
            "new_referrals": new_referrals.astype(float),
            "open_cin_cases": (open_cin + legacy("cin")).astype(float),
            "cin_plans_started": cin_plans.astype(float),
            "open_cpps": (_open_at(cpp_start, cpp_end, month_ends) + legacy("cpp")).astype(float),
            "cpps_started": _counts_by_month(cpp_start, months).astype(float),
            "cla_month_end": cla.astype(float),
            "cla_started": _counts_by_month(poc_start, months).astype(float),
            "cla_rate_per_10k": np.round(cla / max(population, 1.0) * 10_000, 1),
            "prop_fsm_eligible": prop_fsm,
            "prop_white_british": prop_wbri,
            "sw_turnover_rate_fte": np.round(turnover, 3),
            "sw_agency_rate_fte": np.round(agency, 3),
        }
    )
