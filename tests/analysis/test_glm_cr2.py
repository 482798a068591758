"""Logistic GLM and its CR2 cluster-robust covariance, against a by-hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import statsmodels.api as sm
from scipy.special import expit

from steward.analysis.glm import GlmFit, cr2_vcov, estimate_glm, irls_logistic


def _example(with_cluster_dummies: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    cluster = np.repeat([0, 1, 2, 3], [5, 6, 7, 6])
    x = rng.normal(size=len(cluster))
    treat = rng.integers(0, 2, len(cluster))
    X = np.column_stack([np.ones(len(cluster)), treat, x])
    if with_cluster_dummies:
        X = np.column_stack([X, *(cluster == k for k in (1, 2, 3))]).astype(float)
    y = (rng.random(len(cluster)) < expit(X[:, :3] @ np.array([-0.2, 0.6, 0.5]))).astype(float)
    return X, y, cluster


def _cr2_by_hand(X: np.ndarray, y: np.ndarray, beta: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    mu = expit(X @ beta)
    W = np.diag(mu * (1 - mu))
    Xt = scipy.linalg.sqrtm(W).real @ X
    et = np.linalg.inv(scipy.linalg.sqrtm(W).real) @ (y - mu)
    B = np.linalg.inv(Xt.T @ Xt)
    meat = np.zeros_like(B)
    for g in np.unique(cluster):
        r = cluster == g
        H = Xt[r] @ B @ Xt[r].T
        A = scipy.linalg.sqrtm(np.linalg.pinv(np.eye(r.sum()) - H, hermitian=True)).real
        s = Xt[r].T @ A @ et[r]
        meat += np.outer(s, s)
    return B @ meat @ B


@pytest.mark.parametrize("with_cluster_dummies", [False, True])
def test_cr2_equals_the_hand_computed_sandwich(with_cluster_dummies: bool) -> None:
    X, y, cluster = _example(with_cluster_dummies)
    beta, converged, _ = irls_logistic(X, y)
    assert converged
    np.testing.assert_allclose(beta, sm.Logit(y, X).fit(disp=False).params, atol=1e-8)
    np.testing.assert_allclose(
        cr2_vcov(X, y, beta, cluster), _cr2_by_hand(X, y, beta, cluster), rtol=1e-8, atol=1e-12
    )


def test_cr2_is_larger_than_the_unadjusted_sandwich() -> None:
    X, y, cluster = _example(False)
    beta, _, _ = irls_logistic(X, y)
    cr0 = sm.Logit(y, X).fit(
        disp=False, cov_type="cluster", cov_kwds={"groups": cluster, "use_correction": False}
    )
    assert np.all(np.diag(cr2_vcov(X, y, beta, cluster)) > np.diag(cr0.cov_params()))


def test_glm_with_la_fixed_effects_uses_t_with_clusters_minus_one_df() -> None:
    from steward.analysis.simulated_trial import simulate_trial

    data = simulate_trial(n_children=2000, seed=8)
    fit = estimate_glm(
        data,
        "cla_status",
        ["treatment_group", "C(wedge)", "C(local_authority)"],
        cluster="local_authority",
        name="la_fe",
    )
    assert isinstance(fit, GlmFit)
    treat = fit.result.term("treatment_group")
    assert treat.df == 4.0
    assert fit.result.formula == "cla_status ~ treatment_group + wedge + local_authority"
    # the CI uses t(4), wider than a normal interval with the same SE
    assert np.log(treat.ci_high) - treat.estimate == pytest.approx(2.7764451 * treat.std_error)


def test_separation_is_reported_as_a_failed_model() -> None:
    data = pd.DataFrame(
        {"y": [0, 0, 0, 1, 1, 1, 0, 1], "x": [0, 0, 0, 1, 1, 1, 0, 1], "la": list("aabbaabb")}
    )
    result = estimate_glm(data, "y", ["x"], cluster="la")
    assert not isinstance(result, GlmFit)
    assert not result.converged and "separation" in result.message


def test_wild_score_bootstrap_enumerates_webb_draws_and_detects_a_large_effect() -> None:
    from steward.analysis.glm import wild_score_bootstrap_pvalue
    from steward.analysis.simulated_trial import simulate_trial

    fixed = ["treatment_group", "C(wedge)", "C(local_authority)"]
    strong = simulate_trial(n_children=4000, seed=2, odds_ratio=0.3)
    p, draws = wild_score_bootstrap_pvalue(strong, "cla_status", fixed, "local_authority")
    assert draws == 6**5
    # with 5 clusters the smallest attainable p is 2 / 6**5 (the draw and its mirror image)
    assert 2 / 6**5 <= p < 0.05
    assert wild_score_bootstrap_pvalue(strong, "cla_status", fixed, "local_authority") == (p, draws)
    null = simulate_trial(n_children=4000, seed=3, odds_ratio=1.0)
    p_null, _ = wild_score_bootstrap_pvalue(null, "cla_status", fixed, "local_authority")
    assert p_null > 0.05
