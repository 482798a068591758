"""Logistic GLM with cluster-robust standard errors for few clusters (CR2, Bell–McCaffrey).

The sensitivity analyses fit LA fixed effects instead of a random intercept, so the only
clustering left is within LA, and there are just 4–5 LAs. The plain sandwich (CR0/CR1) is badly
biased downwards with so few clusters; CR2 rescales each cluster's residuals by
``(I - H_gg)^(-1/2)`` (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018), with the
Moore–Penrose inverse where LA fixed effects make ``I - H_gg`` singular, and inference uses a
t distribution with G - 1 degrees of freedom.

For a GLM the working (IRLS) regression is used: ``X~ = W^1/2 X`` and ``e~ = W^-1/2 (y - mu)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from steward.analysis.design import (
    Design,
    build_design,
    check_events_per_level,
    is_full_rank,
    model_frame,
    r_formula,
)
from steward.analysis.results import ModelResult, failed_result, term_estimates
from steward.errors import AnalysisError, Location

Covariance = Literal["CR2", "model"]


@dataclass
class GlmFit:
    """A fitted logistic GLM with what marginal effects and pooling need."""

    result: ModelResult
    design: Design
    beta: np.ndarray
    vcov: np.ndarray
    df: float | None  # reference t degrees of freedom; None = normal


def irls_logistic(
    X: np.ndarray, y: np.ndarray, tol: float = 1e-10, max_iter: int = 50
) -> tuple[np.ndarray, bool, int]:
    """Maximum-likelihood logistic regression by iteratively reweighted least squares."""
    beta = np.zeros(X.shape[1])
    for it in range(1, max_iter + 1):
        mu = expit(X @ beta)
        w = mu * (1 - mu)
        step = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta, True, it
    return beta, False, max_iter


def cr2_vcov(X: np.ndarray, y: np.ndarray, beta: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """CR2 cluster-robust covariance of a logistic GLM's coefficients.

    ``(I - H_gg)`` differs from the identity only on the span of the cluster's rows of ``X~``,
    so its inverse square root is built from a thin SVD of those rows, never an n_g x n_g matrix.
    """
    mu = expit(X @ beta)
    w = mu * (1 - mu)
    Xw = np.sqrt(w)[:, None] * X
    e = (y - mu) / np.sqrt(w)
    bread = np.linalg.inv(Xw.T @ Xw)
    meat = np.zeros_like(bread)
    for label in np.unique(cluster):
        rows = cluster == label
        Xg, eg = Xw[rows], e[rows]
        U, s, Vt = np.linalg.svd(Xg, full_matrices=False)
        keep = s > s.max() * 1e-12
        U, s, Vt = U[:, keep], s[keep], Vt[keep]
        # H_gg = U M U' with M = S V' B V S; diagonalise M to get H_gg's eigenvectors.
        M = (s[:, None] * Vt) @ bread @ (Vt.T * s[None, :])
        lam, Q = np.linalg.eigh((M + M.T) / 2)
        Ug = U @ Q
        one_minus = 1 - lam
        inv_sqrt = np.where(one_minus > 1e-10, 1 / np.sqrt(np.clip(one_minus, 1e-300, None)), 0.0)
        adjusted = eg + Ug @ ((inv_sqrt - 1) * (Ug.T @ eg))
        score = Xg.T @ adjusted
        meat += np.outer(score, score)
    V = bread @ meat @ bread
    return (V + V.T) / 2


def estimate_glm(
    data: pd.DataFrame,
    response: str,
    fixed: list[str],
    cluster: str | None = None,
    covariance: Covariance = "CR2",
    name: str = "glm",
) -> GlmFit | ModelResult:
    """Fit ``response ~ fixed`` by ML; CR2 errors clustered on ``cluster`` with t(G - 1)."""
    design = build_design(data, fixed)
    formula = r_formula(response, design)
    extra = [cluster] if cluster else []
    frame, excluded = model_frame(data, response, design, extra=extra)
    check_events_per_level(frame, response, design)
    X = design.matrix(frame)
    y = frame[response].to_numpy(dtype=float)
    n = len(frame)
    estimator = "ML logistic GLM, " + (
        f"CR2 cluster-robust SE by {cluster}, t(G-1)" if covariance == "CR2" else "model-based SE"
    )
    if covariance == "CR2" and not cluster:
        raise AnalysisError(
            what="CR2 standard errors need a cluster column",
            fix="Name the cluster (e.g. local_authority) or ask for model-based errors.",
        )
    if not is_full_rank(X):
        raise AnalysisError(
            what=f"The fixed effects of model {name!r} are collinear (rank-deficient design)",
            fix="Remove a term determined by the others, e.g. an LA-level covariate next to LA "
            "fixed effects.",
        )
    try:
        beta, converged, iterations = irls_logistic(X, y)
    except np.linalg.LinAlgError as exc:
        return failed_result(
            name,
            formula,
            estimator,
            n,
            f"IRLS failed ({exc}): usually separation, a term predicts the outcome perfectly",
            n_excluded=excluded,
        )
    if not converged or not np.all(np.isfinite(beta)):
        return failed_result(
            name,
            formula,
            estimator,
            n,
            "IRLS did not converge (often separation: a term predicts the outcome perfectly)",
            n_excluded=excluded,
            iterations=iterations,
        )
    df: float | None
    if covariance == "CR2":
        assert cluster is not None
        labels = frame[cluster].astype(str).to_numpy()
        n_clusters = len(np.unique(labels))
        if n_clusters < 2:
            raise AnalysisError(
                what=f"Cluster-robust errors need at least two {cluster} clusters",
                fix="Fit on the multi-LA cohort.",
                where=Location(column=cluster),
            )
        vcov = cr2_vcov(X, y, beta, labels)
        df = float(n_clusters - 1)
    else:
        mu = expit(X @ beta)
        vcov = np.linalg.inv(X.T @ ((mu * (1 - mu))[:, None] * X))
        df = None
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    mu = expit(X @ beta)
    loglik = float(np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu)))
    result = ModelResult(
        name=name,
        formula=formula,
        estimator=estimator,
        n=n,
        converged=True,
        message="converged",
        terms=term_estimates(design.columns, beta, se, df=df),
        log_likelihood=loglik,
        aic=-2 * loglik + 2 * len(beta),
        iterations=iterations,
        n_excluded=excluded,
        extra={"cluster": cluster, "df": df} if cluster else {},
    )
    return GlmFit(result, design, beta, vcov, df)


def fit_glm(
    data: pd.DataFrame,
    response: str,
    fixed: list[str],
    cluster: str | None = None,
    covariance: Covariance = "CR2",
    name: str = "glm",
) -> ModelResult:
    """Fit a logistic GLM (e.g. with ``C(local_authority)`` fixed effects) with CR2 errors."""
    fit = estimate_glm(data, response, fixed, cluster, covariance, name)
    return fit.result if isinstance(fit, GlmFit) else fit


WEBB_WEIGHTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def wild_score_bootstrap_pvalue(
    data: pd.DataFrame,
    response: str,
    fixed: list[str],
    cluster: str,
    term: str = "treatment_group",
    max_draws: int = 100_000,
    seed: int = 0,
) -> tuple[float, int]:
    """Two-sided p-value for ``term = 0`` by the wild cluster restricted score bootstrap.

    Kline & Santos (2012) with Webb's six-point weights, the usual choice with fewer than ten
    clusters. The model is fitted once under the null; each draw flips and rescales whole
    clusters' scores. With G clusters there are only 6**G distinct draws, so when that is at
    most ``max_draws`` (G <= 6) every one is enumerated and the p-value is exact, not random.
    Returns the p-value and the number of draws.
    """
    design = build_design(data, fixed)
    if term not in design.columns:
        raise AnalysisError(
            what=f"The model has no term {term!r} to test",
            fix="Name a column of the model exactly as it is reported (R naming).",
            where=Location(column=term),
        )
    frame, _ = model_frame(data, response, design, extra=[cluster])
    X = design.matrix(frame)
    y = frame[response].to_numpy(dtype=float)
    k = design.columns.index(term)
    restricted = np.delete(X, k, axis=1)
    beta_r, converged, _ = irls_logistic(restricted, y)
    if not converged:
        raise AnalysisError(
            what="The model under the null hypothesis did not converge",
            fix="Check the model for separation before bootstrapping.",
        )
    mu = expit(restricted @ beta_r)
    info_inv = np.linalg.inv(X.T @ ((mu * (1 - mu))[:, None] * X))
    labels = frame[cluster].astype(str).to_numpy()
    groups = np.unique(labels)
    # Efficient score contributions for the tested coefficient, one per cluster.
    scores = np.array([info_inv[k] @ (X[labels == g].T @ (y - mu)[labels == g]) for g in groups])

    def statistic(v: np.ndarray) -> np.ndarray:
        contrib = v * scores
        return np.abs(contrib.sum(axis=-1)) / np.sqrt((contrib**2).sum(axis=-1))

    observed = float(statistic(np.ones(len(groups))))
    n_groups = len(groups)
    if len(WEBB_WEIGHTS) ** n_groups <= max_draws:
        grids = np.meshgrid(*([WEBB_WEIGHTS] * n_groups), indexing="ij")
        draws = np.stack([g.reshape(-1) for g in grids], axis=1)
    else:
        draws = np.random.default_rng(seed).choice(WEBB_WEIGHTS, size=(max_draws, n_groups))
    boot = statistic(draws)
    return float(np.mean(boot >= observed - 1e-12)), len(draws)
