"""Synthetic children and their referrals, drawn in bulk (no Python loop per child).

A child has one first referral (the event the trial analysis is built on) and maybe later
re-referrals. Row-level mess flags are drawn here for every child whatever the mess setting, so
tidy and messy runs of one seed hold the same children and the same truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steward.synth.codes import ETHNICITY, GENDER, UASC_ETHNICITY, draw

# Relative frequency of age 0..17 at first referral: babies high, then a teenage rise.
AGE_WEIGHTS = (
    np.array([9.0, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5.5, 6, 6.5, 7, 7, 6, 5], dtype=float) / 102.0
)
SHARE_12_17 = float(AGE_WEIGHTS[12:].sum())
MEAN_EXTRA_REFERRALS = 0.35  # re-referrals per child over the study
MEAN_GAP_DAYS = 270.0  # between successive referrals of one child
# Row-level mess rates (applied only when mess is on).
P_DUPLICATE_FIRST = 0.004
P_MISSING_ETHNICITY = 0.01
P_BIRTH_AFTER_REFERRAL = 0.003


def draw_children(
    rng: np.random.Generator,
    n: int,
    *,
    first_day: np.datetime64,
    last_day: np.datetime64,
    id_start: int = 1,
) -> pd.DataFrame:
    """``n`` children with a first referral uniformly between ``first_day`` and ``last_day``."""
    span = int((last_day - first_day).astype(int)) + 1
    first = np.sort(first_day + rng.integers(0, span, size=n).astype("timedelta64[D]"))
    age = rng.choice(18, size=n, p=AGE_WEIGHTS)
    months_back = 12 * age + rng.integers(0, 12, size=n)
    birth = (first.astype("datetime64[M]") - months_back.astype("timedelta64[M]")).astype(
        "datetime64[D]"
    )
    gender = draw(rng, GENDER, n)
    male = gender == "Male"
    p_uasc = np.where(age >= 16, np.where(male, 0.25, 0.05), 0.003)
    uasc = rng.random(n) < p_uasc
    ethnicity = draw(rng, ETHNICITY, n)
    ethnicity[uasc] = draw(rng, UASC_ETHNICITY, int(uasc.sum()))
    disabled = rng.random(n) < 0.08
    fsm = rng.random(n) < np.where(age >= 4, 0.48, 0.30)
    pupil_premium = fsm & (rng.random(n) < 0.7)
    previous_cpp = rng.choice(6, size=n, p=[0.74, 0.15, 0.06, 0.03, 0.015, 0.005])
    return pd.DataFrame(
        {
            "child_id": (np.arange(n) + id_start).astype(str).astype(object),
            "child_no": np.arange(n) + id_start,
            "first_referral_date": first,
            "age": age,
            "birth_month": birth,
            "gender": gender,
            "ethnicity": ethnicity,
            "disabled": disabled.astype(float),
            "uasc": uasc.astype(float),
            "fsm_ever": fsm.astype(float),
            "pupil_premium": pupil_premium.astype(float),
            "previous_cpp": previous_cpp.astype(float),
            "mess_duplicate": rng.random(n) < P_DUPLICATE_FIRST,
            "mess_missing_ethnicity": rng.random(n) < P_MISSING_ETHNICITY,
            "mess_birth_after": rng.random(n) < P_BIRTH_AFTER_REFERRAL,
        }
    )


def draw_referrals(
    rng: np.random.Generator,
    children: pd.DataFrame,
    *,
    last_day: np.datetime64,
    id_start: int = 1,
) -> pd.DataFrame:
    """Each child's first referral plus re-referrals (before ``last_day``), sorted by date.

    Columns: child_id, child_no (row of ``children``), referral_id, referral_date, first (bool),
    referral_nfa (float 0/1).
    """
    n = len(children)
    extra = rng.poisson(MEAN_EXTRA_REFERRALS, size=n)
    owner = np.repeat(np.arange(n), extra)
    # The k-th re-referral follows the first by k gaps; a cumulative sum within each child.
    gaps = rng.exponential(MEAN_GAP_DAYS, size=owner.size).astype(np.int64) + 14
    csum = np.cumsum(gaps)
    starts = np.repeat(np.cumsum(extra) - extra, extra)
    before = np.concatenate([[0], csum])[starts]
    offsets = csum - before
    first_dates = children["first_referral_date"].to_numpy(dtype="datetime64[D]")
    dates = np.concatenate([first_dates, first_dates[owner] + offsets.astype("timedelta64[D]")])
    rows = np.concatenate([np.arange(n), owner])
    is_first = np.concatenate([np.ones(n, bool), np.zeros(owner.size, bool)])
    keep = dates <= last_day
    dates, rows, is_first = dates[keep], rows[keep], is_first[keep]
    order = np.lexsort((rows, dates))
    dates, rows, is_first = dates[order], rows[order], is_first[order]
    nfa = rng.random(dates.size) < 0.30
    return pd.DataFrame(
        {
            "child_id": children["child_id"].to_numpy()[rows],
            "child_row": rows,
            "referral_id": (np.arange(dates.size) + id_start).astype(str).astype(object),
            "referral_date": dates,
            "first": is_first,
            "referral_nfa": nfa.astype(float),
        }
    )
