"""One local authority's synthetic case histories, consistent across every return and sheet.

A child is referred (maybe several times); a referral may lead to a child protection plan; a
child may become looked after (one period of care, split into episodes) as the care model
decides; cases close; 16–20 year olds have a main activity recorded each December. Everything is
drawn in bulk with numpy; the per-LA loop is the only Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from steward.synth.children import draw_children, draw_referrals
from steward.synth.codes import (
    CLOSURE_REASON,
    LEGAL_STATUS,
    MAIN_ACTIVITY,
    NFA_CLOSURE_REASON,
    PLACEMENT,
    draw,
)
from steward.synth.effect import CareModel, care_start_offsets, is_treated
from steward.synth.schedule import FIRST_REFERRAL_DAY, LaProfile

_D = "timedelta64[D]"
_RC9_FROM = np.datetime64("2022-04-01")


@dataclass
class LaPopulation:
    """All events of one LA up to its last return; dates are ``datetime64[D]``, NaT = none."""

    profile: LaProfile
    children: pd.DataFrame  # one row per child, attributes + first_referral_date + truth
    referrals: pd.DataFrame  # child_row, referral_id, referral_date, first, referral_nfa
    cpps: pd.DataFrame  # child_row, referral_id, cpp_start_date, cpp_end_date
    periods: pd.DataFrame  # child_row, referral_id, poc_start_date, poc_end_date
    episodes: pd.DataFrame  # child_row, episode_start/end_date, legal_status, placement_type
    closures: pd.DataFrame  # child_row, referral_id, closure_date, closure_reason
    activities: pd.DataFrame  # child_row, activity_date, main_activity


def draw_base(rng: np.random.Generator, profile: LaProfile, id_start: int) -> pd.DataFrame:
    """The LA's children (attributes and first referral), before any outcome is drawn."""
    return draw_children(
        rng,
        profile.children,
        first_day=np.datetime64(FIRST_REFERRAL_DAY),
        last_day=profile.last_day,
        id_start=id_start,
    )


def draw_population(
    rng: np.random.Generator,
    profile: LaProfile,
    children: pd.DataFrame,
    *,
    model: CareModel,
    intercept: float,
    la_effect: float,
) -> LaPopulation:
    """Referrals, plans, care, closures and activities of ``children`` under the care model."""
    last = profile.last_day
    first = children["first_referral_date"].to_numpy(dtype="datetime64[D]")
    age = children["age"].to_numpy()
    treated = is_treated(age, first, np.datetime64(profile.go_live))
    logit = (
        intercept
        + la_effect
        + model.log_odds_ratio * treated
        + model.covariate_logit(
            age, children["previous_cpp"].to_numpy(), children["disabled"].to_numpy()
        )
    )
    p_within = 1 / (1 + np.exp(-logit))
    offsets, within = care_start_offsets(rng, p_within)
    care_start = np.where(offsets >= 0, first + offsets.astype(_D), np.datetime64("NaT"))
    children = children.assign(
        treated=treated, p_care_18m=p_within, care_within_18m=within, care_start=care_start
    )

    code = profile.la.code
    referrals = draw_referrals(rng, children, last_day=last, id_start=1)
    referrals["referral_id"] = code + "-" + referrals["referral_id"].astype(str)
    # A child who goes into care was rarely closed with no further action at first referral
    # (a few are, then re-referred): rare, not never, so NFA is not a perfect predictor.
    in_care = ~np.isnat(care_start[referrals["child_row"].to_numpy()])
    nfa = referrals["referral_nfa"].to_numpy().copy()
    kept_nfa = rng.random(len(nfa)) < 0.1
    nfa[referrals["first"].to_numpy() & in_care & ~kept_nfa] = 0.0
    referrals["referral_nfa"] = nfa

    first_ids = _first_referral_ids(referrals, len(children))
    periods, episodes = _care(rng, children, first_ids, last)
    cpps = _plans(rng, referrals, last)
    closures = _closures(rng, referrals, cpps, periods, last)
    activities = _activities(rng, children, last)
    return LaPopulation(profile, children, referrals, cpps, periods, episodes, closures, activities)


def _first_referral_ids(referrals: pd.DataFrame, n: int) -> np.ndarray:
    ids = np.empty(n, dtype=object)
    firsts = referrals[referrals["first"].to_numpy()]
    ids[firsts["child_row"].to_numpy()] = firsts["referral_id"].to_numpy()
    return ids


def _care(
    rng: np.random.Generator, children: pd.DataFrame, first_ids: np.ndarray, last: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    start_all = children["care_start"].to_numpy(dtype="datetime64[D]")
    rows = np.flatnonzero(~np.isnat(start_all) & (start_all <= last))
    start = start_all[rows]
    n = rows.size
    length = np.maximum(1, rng.lognormal(np.log(300), 0.9, size=n)).astype(np.int64)
    end = start + length.astype(_D)
    periods = pd.DataFrame(
        {
            "child_row": rows,
            "referral_id": first_ids[rows],
            "poc_start_date": start,
            "poc_end_date": np.where(end <= last, end, np.datetime64("NaT")),
        }
    )
    # Episodes split each period at sorted random points: 1 + Poisson(0.8) episodes, at most 5.
    n_ep = np.minimum(1 + rng.poisson(0.8, size=n), 5)
    owner = np.repeat(np.arange(n), n_ep)
    rank = np.arange(owner.size) - np.repeat(np.cumsum(n_ep) - n_ep, n_ep)
    frac = np.where(rank == 0, 0.0, rng.random(owner.size))
    order = np.lexsort((frac, owner))
    frac = frac[order]
    ep_start = start[owner] + np.floor(frac * length[owner]).astype(np.int64).astype(_D)
    is_last = np.r_[owner[1:] != owner[:-1], True]
    next_start = np.r_[ep_start[1:], ep_start[-1:]] if owner.size else ep_start
    ep_end = np.where(is_last, end[owner], next_start)
    # Same-day splits would make zero-length episodes; keep only episodes that last a day.
    keep = is_last | (next_start > ep_start)
    episodes = pd.DataFrame(
        {
            "child_row": rows[owner][keep],
            "episode_start_date": ep_start[keep],
            "episode_end_date": ep_end[keep],
            "legal_status": draw(rng, LEGAL_STATUS, owner.size)[keep],
            "placement_type": draw(rng, PLACEMENT, owner.size)[keep],
        }
    )
    return periods, episodes


def _plans(rng: np.random.Generator, referrals: pd.DataFrame, last: np.datetime64) -> pd.DataFrame:
    open_ = referrals[referrals["referral_nfa"].to_numpy() < 0.5]
    chosen = open_[rng.random(len(open_)) < 0.15]
    start = chosen["referral_date"].to_numpy(dtype="datetime64[D]") + rng.integers(
        10, 61, size=len(chosen)
    ).astype(_D)
    end = start + rng.integers(90, 700, size=len(chosen)).astype(_D)
    keep = start <= last
    return pd.DataFrame(
        {
            "child_row": chosen["child_row"].to_numpy()[keep],
            "referral_id": chosen["referral_id"].to_numpy()[keep],
            "cpp_start_date": start[keep],
            "cpp_end_date": end[keep],
        }
    )


def _closures(
    rng: np.random.Generator,
    referrals: pd.DataFrame,
    cpps: pd.DataFrame,
    periods: pd.DataFrame,
    last: np.datetime64,
) -> pd.DataFrame:
    n = len(referrals)
    ref = referrals["referral_date"].to_numpy(dtype="datetime64[D]")
    nfa = referrals["referral_nfa"].to_numpy() > 0.5
    close = np.where(
        nfa,
        ref + rng.integers(0, 11, size=n).astype(_D),
        ref + rng.integers(30, 541, size=n).astype(_D),
    )
    reason = np.where(nfa, draw(rng, NFA_CLOSURE_REASON, n), draw(rng, CLOSURE_REASON, n))
    ids = referrals["referral_id"].to_numpy()
    position = pd.Series(np.arange(n), index=ids)
    # A plan keeps the case open until after it ends; care until the period of care ends.
    plan_at = position[cpps["referral_id"].to_numpy()].to_numpy()
    close[plan_at] = cpps["cpp_end_date"].to_numpy(dtype="datetime64[D]") + rng.integers(
        30, 121, size=plan_at.size
    ).astype(_D)
    care_at = position[periods["referral_id"].to_numpy()].to_numpy()
    close[care_at] = periods["poc_end_date"].to_numpy(dtype="datetime64[D]") + rng.integers(
        0, 61, size=care_at.size
    ).astype(_D)
    # RC9 (referred to early help) exists from the 2022-23 collection; before it, RC8.
    reason = np.where((reason == "RC9") & (close < _RC9_FROM), "RC8", reason).astype(object)
    keep = ~np.isnat(close) & (close <= last)
    return pd.DataFrame(
        {
            "child_row": referrals["child_row"].to_numpy()[keep],
            "referral_id": ids[keep],
            "closure_date": close[keep],
            "closure_reason": reason[keep],
        }
    )


def _activities(
    rng: np.random.Generator, children: pd.DataFrame, last: np.datetime64
) -> pd.DataFrame:
    birth = children["birth_month"].to_numpy(dtype="datetime64[D]").astype("datetime64[M]")
    first = children["first_referral_date"].to_numpy(dtype="datetime64[D]")
    parts = []
    for year in range(2019, int(str(last)[:4]) + 1):
        when = np.datetime64(f"{year}-12-01")
        if when > last:
            break
        age_months = (when.astype("datetime64[M]") - birth).astype(np.int64)
        rows = np.flatnonzero((age_months >= 16 * 12) & (age_months < 21 * 12) & (first <= when))
        parts.append(
            pd.DataFrame(
                {
                    "child_row": rows,
                    "activity_date": np.full(rows.size, when),
                    "main_activity": draw(rng, MAIN_ACTIVITY, rows.size),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {"child_row": [], "activity_date": np.array([], "datetime64[D]"), "main_activity": []}
        )
    return pd.concat(parts, ignore_index=True)
