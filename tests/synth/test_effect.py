"""The planted treatment effect can be recovered by the kind of model the evaluation fits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from synth_helpers import latest, read_tidy

from steward.synth import SynthResult, build_populations, generate_returns
from steward.synth.effect import WINDOW_DAYS
from steward.synth.schedule import TRIAL_WINDOW

LO, HI = (pd.Timestamp(d) for d in TRIAL_WINDOW)


def _fit(frame: pd.DataFrame) -> tuple[float, float]:
    """log OR of treatment and its standard error, from care ~ treated + LA dummies."""
    x = pd.get_dummies(frame["la"], prefix="la", drop_first=True, dtype=float)
    x.insert(0, "treated", frame["treated"].astype(float))
    x = sm.add_constant(x)
    fit = sm.Logit(frame["care"].astype(float), x).fit(disp=0)
    return float(fit.params["treated"]), float(fit.bse["treated"])


def _cohort_from_populations(odds_ratio: float, seed: int) -> pd.DataFrame:
    pops, _, _ = build_populations(scale="large", seed=seed, odds_ratio=odds_ratio)
    parts = []
    for pop in pops:
        c = pop.children
        first = pd.to_datetime(c["first_referral_date"])
        sel = (c["age"] >= 12) & first.between(LO, HI)
        care = pd.to_datetime(c["care_start"])
        within = (care - first).dt.days.between(0, WINDOW_DAYS - 1)
        parts.append(
            pd.DataFrame({"la": pop.profile.la.slug, "treated": c["treated"], "care": within})[sel]
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize("odds_ratio", [0.8, 1.5])
def test_planted_odds_ratio_is_recovered_at_full_scale(odds_ratio: float) -> None:
    cohort = _cohort_from_populations(odds_ratio, seed=3)
    assert 9000 < len(cohort) < 14000  # the evaluation's ~11,400 12-17s (Leicester included)
    estimate, se = _fit(cohort)
    assert se < 0.15
    assert abs(estimate - np.log(odds_ratio)) < 3.5 * se
    untreated = cohort.loc[~cohort["treated"], "care"].mean()
    assert 0.05 < untreated < 0.09  # base rate about 7%


def test_no_planted_effect_is_not_found() -> None:
    cohort = _cohort_from_populations(1.0, seed=4)
    estimate, se = _fit(cohort)
    assert abs(estimate) < 3.5 * se


def _cohort_from_files(result: SynthResult) -> pd.DataFrame:
    parts = []
    for slug, go_live in result.truth.go_live.items():
        dr2 = read_tidy(latest(result, slug, "dr2"))
        refs = dr2["Referrals"]
        first = refs.sort_values("referral_date").drop_duplicates("child_id")
        birth = pd.to_datetime(first["birth_month"], format="%Y-%m")
        ref = first["referral_date"]
        age = ((ref.dt.year - birth.dt.year) * 12 + ref.dt.month - birth.dt.month) // 12
        cla = dr2["CLA"].groupby("child_id")["cla_start_date"].min()
        gap = (first["child_id"].map(cla) - ref).dt.days
        parts.append(
            pd.DataFrame(
                {
                    "la": slug,
                    "treated": ref >= pd.Timestamp(go_live),
                    "care": gap.between(0, WINDOW_DAYS - 1),
                }
            )[age.between(12, 17) & ref.between(LO, HI)]
        )
    return pd.concat(parts, ignore_index=True)


@pytest.mark.slow
def test_effect_is_recoverable_from_the_small_tidy_files(tmp_path: Path) -> None:
    result = generate_returns(tmp_path, scale="small", seed=2, mess=False)
    cohort = _cohort_from_files(result)
    assert len(cohort) == sum(result.truth.cohort_12_17.values())
    estimate, se = _fit(cohort)
    assert 0.5 < np.exp(estimate) < 1.15
    assert abs(estimate - result.truth.log_odds_ratio) < 3 * se


def test_leicester_go_live_is_a_parameter() -> None:
    _, truth, _ = build_populations(scale="tiny", go_live={"leicester": dt.date(2021, 11, 1)})
    assert truth.go_live["leicester"] == "2021-11-01"
    assert truth.go_live["rochdale"] == "2020-04-01"
