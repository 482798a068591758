"""A seeded, fictional stepped-wedge cohort with a planted treatment effect.

Used to check the models (coverage of the true odds ratio, agreement with lme4) and to time
them. Children are referred in one of five periods (``baseline``, ``wedge_1``..``wedge_4``);
local authority k goes live at ``wedge_k`` and the last one stays in control throughout. The
outcome follows exactly the model the primary analysis fits, so its estimates have known
targets. Nothing here resembles a real child.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
from scipy.special import expit

from steward.analysis.design import build_design

PERIODS = ("baseline", "wedge_1", "wedge_2", "wedge_3", "wedge_4")
TRUE_ODDS_RATIO = 0.70

# Planted log-odds effects of the covariates (reference levels have zero).
_AGE = {"0-4": 0.0, "5-9": -0.25, "10-15": 0.35}
_ETHNICITY = {"White": 0.0, "Mixed": 0.15, "Asian": -0.2, "Black": 0.1, "Other": 0.05}
_PREVIOUS_CPP = {"0": 0.0, "1": 0.3, "2": 0.5, "3+": 0.8}
_PERIOD = {"baseline": 0.0, "wedge_1": 0.05, "wedge_2": -0.05, "wedge_3": 0.1, "wedge_4": 0.0}


def simulate_trial(
    n_children: int = 10_000,
    seed: int = 20190401,
    n_la: int = 5,
    odds_ratio: float = TRUE_ODDS_RATIO,
    re_sd: float = 0.4,
    intercept: float = -2.0,
    missing_ethnicity: float = 0.08,
) -> pd.DataFrame:
    """One child per row with the columns the cohort builder hands to the analysis."""
    rng = np.random.default_rng(seed)
    la_names = [f"LA{k + 1}" for k in range(n_la)]
    la = rng.integers(0, n_la, n_children)
    period = rng.integers(0, len(PERIODS), n_children)
    # LA k (0-based) goes live at period k + 1; the last LA never does.
    go_live = np.array([k + 1 if k < n_la - 1 else len(PERIODS) + 1 for k in range(n_la)])
    treated = (period >= go_live[la]).astype(int)

    la_effect = rng.normal(0.0, re_sd, n_la)
    readiness = np.round(rng.uniform(1.0, 5.0, n_la), 1)
    base_rate = rng.uniform(60.0, 110.0, n_la)
    # LA-level and time-varying: each LA has its own trend and period-to-period noise.
    trend = rng.uniform(-3.0, 4.0, n_la)
    wobble = rng.normal(0.0, 3.0, (n_la, len(PERIODS)))
    cla_rate = np.round(base_rate[la] + trend[la] * period + wobble[la, period], 1)

    age = rng.choice(list(_AGE), n_children, p=[0.35, 0.3, 0.35])
    gender = rng.choice(["Female", "Male"], n_children)
    ethnicity = rng.choice(list(_ETHNICITY), n_children, p=[0.6, 0.1, 0.12, 0.1, 0.08])
    disabled = (rng.random(n_children) < 0.08).astype(int)
    uasc = (rng.random(n_children) < 0.03).astype(int)
    previous_cpp = rng.choice(list(_PREVIOUS_CPP), n_children, p=[0.55, 0.25, 0.12, 0.08])
    referral_nfa = (rng.random(n_children) < 0.2).astype(int)
    open_cpp = (rng.random(n_children) < 0.3).astype(int)
    cross = ((rng.random(n_children) < 0.05) & (treated == 0)).astype(int)

    eta = (
        intercept
        + math.log(odds_ratio) * treated
        + np.array([_PERIOD[PERIODS[p]] for p in period])
        + np.array([_AGE[a] for a in age])
        + 0.1 * (gender == "Male")
        + np.array([_ETHNICITY[e] for e in ethnicity])
        + 0.4 * disabled
        + 0.6 * uasc
        + np.array([_PREVIOUS_CPP[c] for c in previous_cpp])
        - 0.3 * referral_nfa
        + 0.005 * (cla_rate - 85.0)
        + la_effect[la]
    )
    cla_status = (rng.random(n_children) < expit(eta)).astype(int)
    # Recording of ethnicity is missing at random given the other columns.
    ethnicity_group = np.where(rng.random(n_children) < missing_ethnicity, "Missing", ethnicity)

    return pd.DataFrame(
        {
            "child": [f"C{i:06d}" for i in range(n_children)],
            "cla_status": cla_status,
            "treatment_group": treated,
            "wedge": pd.Categorical([PERIODS[p] for p in period], categories=list(PERIODS)),
            "local_authority": [la_names[k] for k in la],
            "age_group": pd.Categorical(age, categories=list(_AGE)),
            "gender": gender,
            "ethnicity_group": pd.Categorical(ethnicity_group, categories=[*_ETHNICITY, "Missing"]),
            "disabled": disabled,
            "uasc": uasc,
            "previous_cpp": pd.Categorical(previous_cpp, categories=list(_PREVIOUS_CPP)),
            "referral_nfa": referral_nfa,
            "cla_rate_per_10k": cla_rate,
            "la_readiness": readiness[la],
            "cross_contamination": cross,
            "open_cpp": open_cpp,
            "period_index": period,
        }
    )


PRIMARY_FIXED = [
    "treatment_group",
    "C(wedge)",
    "C(age_group)",
    "C(gender)",
    "C(ethnicity_group)",
    "disabled",
    "uasc",
    "C(previous_cpp)",
    "referral_nfa",
    "cla_rate_per_10k",
]
"""The primary model's fixed effects on this cohort, as a study definition would name them."""

REFERENCE_SEED = 20190401
REFERENCE_N = 10_000


def reference_cohort() -> pd.DataFrame:
    """The deterministic 10,000-child cohort of the lme4 cross-check and the GLMM benchmark."""
    return simulate_trial(n_children=REFERENCE_N, seed=REFERENCE_SEED)


def data_fingerprint(cohort: pd.DataFrame) -> str:
    """SHA-256 of the response, primary design matrix and clusters: proves which data was fitted."""
    X = build_design(cohort, PRIMARY_FIXED).matrix(cohort)
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(X, dtype="<f8").tobytes())
    digest.update(cohort["cla_status"].to_numpy(dtype="<i8").tobytes())
    digest.update("|".join(cohort["local_authority"]).encode())
    return digest.hexdigest()
