"""Rubin's rules on a worked example, and the ethnicity imputation itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from steward.analysis.glmm import estimate_glmm
from steward.analysis.multiple_imputation import fit_imputed, impute_categories, rubin_pool
from steward.analysis.simulated_trial import simulate_trial


def test_rubins_rules_on_a_worked_example() -> None:
    # m = 3 estimates 1, 2, 3 with within variances 1, 1, 1:
    # qbar = 2, Ubar = 1, B = 1, T = 1 + (4/3) * 1 = 7/3, lambda = (4/3) / (7/3) = 4/7,
    # df_old = (m - 1) / lambda^2 = 2 * 49 / 16 = 6.125,
    # with df_com = 10: df_obs = (11/13) * 10 * (3/7) = 330/91, df = 1 / (1/6.125 + 91/330).
    pooled = rubin_pool(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [1.0], [1.0]]), 10)
    assert pooled.estimate[0] == pytest.approx(2.0)
    assert pooled.within[0] == pytest.approx(1.0)
    assert pooled.between[0] == pytest.approx(1.0)
    assert pooled.total[0] == pytest.approx(7 / 3)
    assert pooled.fraction_missing_info[0] == pytest.approx(4 / 7)
    assert pooled.df[0] == pytest.approx(1 / (1 / 6.125 + 91 / 330))
    assert rubin_pool(np.array([[1.0], [2.0], [3.0]]), np.ones((3, 1))).df[0] == pytest.approx(
        6.125
    )


def test_no_between_imputation_variance_gives_complete_data_df() -> None:
    pooled = rubin_pool(np.full((5, 2), 0.3), np.full((5, 2), 0.04), df_complete=4)
    assert pooled.total == pytest.approx([0.04, 0.04])
    assert pooled.df == pytest.approx([4 * 5 / 7, 4 * 5 / 7])  # (4+1)/(4+3)*4, lambda = 0


def test_imputation_fills_only_the_missing_and_is_reproducible() -> None:
    data = simulate_trial(n_children=2500, seed=21, missing_ethnicity=0.15)
    missing = data["ethnicity_group"].astype(str) == "Missing"
    predictors = ["cla_status", "treatment_group", "C(age_group)", "C(local_authority)"]
    first = impute_categories(data, "ethnicity_group", predictors, m=5, seed=7)
    again = impute_categories(data, "ethnicity_group", predictors, m=5, seed=7)
    assert len(first) == 5
    for a, b in zip(first, again, strict=True):
        assert (a["ethnicity_group"] == b["ethnicity_group"]).all()
        assert "Missing" not in set(a["ethnicity_group"].astype(str))
        kept = a.loc[~missing, "ethnicity_group"].astype(str)
        assert (kept == data.loc[~missing, "ethnicity_group"].astype(str)).all()
    filled = np.array([d.loc[missing, "ethnicity_group"].astype(str).to_numpy() for d in first])
    assert (filled != filled[0]).any()  # imputations differ: the between variance is real
    # imputed shares resemble the recorded distribution
    share_white = np.mean(filled == "White")
    observed_white = np.mean(data.loc[~missing, "ethnicity_group"].astype(str) == "White")
    assert abs(share_white - observed_white) < 0.08


def test_pooled_glmm_has_wider_intervals_where_data_were_imputed() -> None:
    data = simulate_trial(n_children=2500, seed=22, missing_ethnicity=0.3)
    fixed = ["treatment_group", "C(wedge)", "C(ethnicity_group)"]
    completed = impute_categories(
        data, "ethnicity_group", ["cla_status", "treatment_group", "C(wedge)"], m=5, seed=1
    )
    pooled = fit_imputed(
        completed, lambda d: estimate_glmm(d, "cla_status", fixed, "local_authority"), "mi_m5"
    )
    assert pooled.converged and pooled.extra["m"] == 5
    asian = pooled.term("ethnicity_groupAsian")
    assert asian.df is not None and math.isfinite(asian.df)
    assert pooled.extra["fraction_missing_information"]["ethnicity_groupAsian"] > 0.05
