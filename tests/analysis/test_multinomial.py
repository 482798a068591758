"""The imputation model's multinomial logit agrees with statsmodels where the MLE exists."""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm

from steward.analysis.multiple_imputation import multinomial_logit


def test_unpenalised_fit_matches_statsmodels() -> None:
    rng = np.random.default_rng(4)
    X = np.column_stack([np.ones(2000), rng.normal(size=(2000, 3))])
    true = np.array([[0.2, -0.5], [0.8, 0.1], [-0.4, 0.6], [0.0, -0.3]])
    eta = np.column_stack([np.zeros(2000), X @ true])
    prob = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    y = (rng.random(2000)[:, None] > prob.cumsum(axis=1)).sum(axis=1)
    beta, cov = multinomial_logit(X, y, 3, ridge=0.0)
    fitted = sm.MNLogit(y, X).fit(disp=False)
    np.testing.assert_allclose(beta, np.asarray(fitted.params), atol=1e-8)
    np.testing.assert_allclose(cov, np.asarray(fitted.cov_params()), atol=1e-8)


def test_ridge_keeps_a_separated_level_finite() -> None:
    rng = np.random.default_rng(5)
    X = np.column_stack([np.ones(500), (np.arange(500) < 250).astype(float)])
    y = rng.integers(0, 3, 500)
    y[:250][y[:250] == 2] = 1  # level 2 never occurs where the indicator is 1: separation
    beta, cov = multinomial_logit(X, y, 3)
    assert np.all(np.isfinite(beta)) and np.all(np.isfinite(cov))
    assert beta[1, 1] < -3  # strongly negative, but finite
