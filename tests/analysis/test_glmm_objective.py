"""The GLMM deviance against independent, slow, obviously-correct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize
from scipy.special import expit

from steward.analysis.glmm import RandomInterceptDeviance


def _small_problem(seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, clusters = 600, 6
    cluster = rng.integers(0, clusters, n)
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)])
    b = rng.normal(0, 0.8, clusters)
    y = (rng.random(n) < expit(X @ np.array([-1.0, 0.5, 0.3]) + b[cluster])).astype(float)
    return X, y, cluster


def _cluster_h(u: float, eta: np.ndarray, y: np.ndarray, theta: float) -> float:
    e = eta + theta * u
    return float(np.sum(2 * np.logaddexp(0, e) - 2 * y * e) + u**2)


def _integrand(u: float, eta: np.ndarray, y: np.ndarray, theta: float, h_min: float) -> float:
    return float(np.exp(-(_cluster_h(u, eta, y, theta) - h_min) / 2) / np.sqrt(2 * np.pi))


def _laplace_by_hand(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, cluster: np.ndarray
) -> float:
    theta, beta = params[0], params[1:]
    total = 0.0
    for j in np.unique(cluster):
        rows = cluster == j
        eta = X[rows] @ beta
        res = optimize.minimize_scalar(
            _cluster_h, bracket=(-3, 3), args=(eta, y[rows], theta), tol=1e-12
        )
        mu = expit(eta + theta * res.x)
        total += res.fun + np.log(1 + theta**2 * np.sum(mu * (1 - mu)))
    return total


def _exact_by_quadrature(
    params: np.ndarray, X: np.ndarray, y: np.ndarray, cluster: np.ndarray
) -> float:
    theta, beta = params[0], params[1:]
    total = 0.0
    for j in np.unique(cluster):
        rows = cluster == j
        eta = X[rows] @ beta
        yj = y[rows]
        h_min = optimize.minimize_scalar(_cluster_h, args=(eta, yj, theta)).fun
        value, _ = integrate.quad(
            _integrand,
            -12,
            12,
            args=(eta, yj, theta, h_min),
            epsabs=1e-14,
            epsrel=1e-12,
            limit=200,
        )
        total += h_min - 2 * np.log(value)
    return total


PARAMS = np.array([0.9, -0.9, 0.45, 0.25])


def test_nagq_one_is_the_laplace_approximation() -> None:
    X, y, cluster = _small_problem()
    ours, _ = RandomInterceptDeviance(X, y, cluster, nagq=1)(PARAMS)
    assert ours == pytest.approx(_laplace_by_hand(PARAMS, X, y, cluster), abs=1e-7)


def test_agq_converges_to_the_exact_integral_as_nodes_grow() -> None:
    X, y, cluster = _small_problem()
    exact = _exact_by_quadrature(PARAMS, X, y, cluster)
    errors = [
        abs(RandomInterceptDeviance(X, y, cluster, nagq=k)(PARAMS)[0] - exact)
        for k in (1, 3, 5, 9, 15, 25)
    ]
    assert errors[0] > 1e-4  # Laplace is an approximation ...
    assert errors[-1] < 1e-7  # ... which AGQ removes,
    assert errors[2] < errors[0] / 10  # and quickly
    assert errors[-1] < errors[0] / 1000


@pytest.mark.parametrize("nagq", [1, 5])
def test_gradient_matches_finite_differences(nagq: int) -> None:
    X, y, cluster = _small_problem(seed=4)
    objective = RandomInterceptDeviance(X, y, cluster, nagq=nagq)
    _, grad = objective(PARAMS)
    numeric = np.empty_like(PARAMS)
    for i in range(len(PARAMS)):
        step = np.zeros_like(PARAMS)
        step[i] = 1e-6
        numeric[i] = (objective(PARAMS + step)[0] - objective(PARAMS - step)[0]) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_the_deviance_does_not_depend_on_row_order() -> None:
    X, y, cluster = _small_problem(seed=2)
    perm = np.random.default_rng(0).permutation(len(y))
    a = RandomInterceptDeviance(X, y, cluster)(PARAMS)[0]
    b = RandomInterceptDeviance(X[perm], y[perm], pd.Series(cluster[perm]).to_numpy())(PARAMS)[0]
    assert a == pytest.approx(b, abs=1e-9)
