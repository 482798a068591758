"""Multiple imputation of missing ethnicity and pooling by Rubin's rules.

Ethnicity is the one covariate with substantial missingness in LA returns. It is imputed from a
multinomial logistic model of the recorded values on the other covariates, the outcome and the
arm (the analysis model's variables must be in the imputation model, or the imputed data bias
the treatment effect towards the null). Each imputation draws the multinomial coefficients from
their approximate posterior before drawing categories ("proper" imputation), so the pooled
variance carries the uncertainty of the imputation model. Estimates are pooled with Rubin's
rules and the Barnard–Rubin (1999) small-sample degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg
from scipy.special import softmax

from steward.analysis.design import build_design
from steward.analysis.glm import GlmFit
from steward.analysis.glmm import GlmmFit
from steward.analysis.results import ModelResult, failed_result, term_estimates
from steward.errors import AnalysisError, Location

Fit = GlmFit | GlmmFit


@dataclass(frozen=True)
class Pooled:
    """Rubin's-rules summary of one coefficient vector."""

    estimate: np.ndarray
    within: np.ndarray  # mean within-imputation variance, U-bar
    between: np.ndarray  # between-imputation variance, B
    total: np.ndarray  # T = U-bar + (1 + 1/m) B
    df: np.ndarray  # Barnard-Rubin degrees of freedom
    fraction_missing_info: np.ndarray  # lambda = (1 + 1/m) B / T


def rubin_pool(
    estimates: np.ndarray, variances: np.ndarray, df_complete: float | None = None
) -> Pooled:
    """Pool ``m`` estimates (rows) and their squared SEs by Rubin's rules.

    ``df_complete`` is the complete-data degrees of freedom (None for a normal reference, as
    for an ML model on thousands of children); it caps the Barnard–Rubin df.
    """
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.atleast_2d(np.asarray(variances, dtype=float))
    m = q.shape[0]
    if m < 2:
        raise AnalysisError(what="Rubin's rules need at least two imputations", fix="Use m >= 2.")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    total = ubar + (1 + 1 / m) * b
    lam = np.where(total > 0, (1 + 1 / m) * b / total, 0.0)
    with np.errstate(divide="ignore"):
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
    if df_complete is None or math.isinf(df_complete):
        df = df_old
    else:
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        with np.errstate(invalid="ignore"):
            df = np.where(np.isinf(df_old), df_obs, df_old * df_obs / (df_old + df_obs))
    return Pooled(qbar, ubar, b, total, df, lam)


def impute_categories(
    data: pd.DataFrame,
    column: str,
    predictors: Sequence[str],
    m: int,
    seed: int,
    missing_level: str = "Missing",
) -> list[pd.DataFrame]:
    """``m`` completed copies of ``data`` with ``column == missing_level`` imputed.

    ``predictors`` are design terms (``C(age_group)``, ``cla_status``, ``treatment_group``...).
    """
    if column not in data.columns:
        raise AnalysisError(
            what=f"Cannot impute {column!r}: the analysis data has no such column",
            fix="Check the column name in the study definition.",
            where=Location(column=column),
        )
    values = data[column].astype(str)
    missing = (values == missing_level).to_numpy() | data[column].isna().to_numpy()
    if not missing.any():
        return [data.copy() for _ in range(m)]
    observed = ~missing
    levels = sorted(values[observed].unique())
    if len(levels) < 2:
        raise AnalysisError(
            what=f"Fewer than two recorded levels of {column!r}; nothing to impute from",
            fix="Use the missing-indicator analysis instead.",
            where=Location(column=column),
        )
    design = build_design(data, list(predictors))
    X = _independent_columns(design.matrix(data))
    target = pd.Categorical(values[observed], categories=levels).codes
    coef, cov = multinomial_logit(X[observed], target, len(levels))
    k1 = coef.shape[1]
    flat = coef.T.reshape(-1)
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(len(flat)))
    original_levels = (
        [str(c) for c in data[column].cat.categories if str(c) != missing_level]
        if isinstance(data[column].dtype, pd.CategoricalDtype)
        else levels
    )
    completed = []
    for _ in range(m):
        draw = (flat + chol @ rng.standard_normal(len(flat))).reshape(k1, -1).T
        eta = np.column_stack([np.zeros(missing.sum()), X[missing] @ draw])
        prob = softmax(eta, axis=1)
        cum = prob.cumsum(axis=1)
        pick = (rng.random(missing.sum())[:, None] > cum).sum(axis=1)
        filled = values.to_numpy().copy()
        filled[missing] = np.asarray(levels)[np.minimum(pick, len(levels) - 1)]
        copy = data.copy()
        copy[column] = pd.Categorical(filled, categories=original_levels)
        completed.append(copy)
    return completed


def multinomial_logit(
    X: np.ndarray, y: np.ndarray, k: int, ridge: float = 1e-4, max_iter: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logit by Newton's method with a small ridge penalty (first level the base).

    The imputation model only needs plausible draws, and with a few small groups (a rare
    ethnicity in one LA) the unpenalised MLE may not exist; the ridge keeps it finite, as
    mice's ``ridge`` does. Returns the coefficients (p x (k-1)) and their covariance, ordered
    by outcome level then predictor.
    """
    n, p = X.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    beta = np.zeros((p, k - 1))
    penalty = ridge * n * np.eye(p * (k - 1))
    hessian = penalty
    for _ in range(max_iter):
        eta = np.column_stack([np.zeros(n), X @ beta])
        prob = softmax(eta, axis=1)[:, 1:]
        grad = (X.T @ (onehot[:, 1:] - prob)).T.reshape(-1) - penalty @ beta.T.reshape(-1)
        hessian = np.empty((p * (k - 1), p * (k - 1)))
        for a in range(k - 1):
            for b in range(a, k - 1):
                w = prob[:, a] * ((a == b) - prob[:, b])
                block = (X * w[:, None]).T @ X
                hessian[a * p : (a + 1) * p, b * p : (b + 1) * p] = block
                hessian[b * p : (b + 1) * p, a * p : (a + 1) * p] = block
        hessian += penalty
        step = np.linalg.solve(hessian, grad)
        beta += step.reshape(k - 1, p).T
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta, np.linalg.inv(hessian)


def _independent_columns(X: np.ndarray) -> np.ndarray:
    """Drop columns determined by the others (LA-level covariates next to LA indicators)."""
    _, r, perm = scipy.linalg.qr(X, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > diag[0] * 1e-10))
    return X[:, np.sort(perm[:rank])]


def fit_imputed(
    datasets: Sequence[pd.DataFrame],
    fit: Callable[[pd.DataFrame], Fit | ModelResult],
    name: str,
    df_complete: float | None = None,
) -> ModelResult:
    """Fit the model on every completed dataset and pool the estimates by Rubin's rules."""
    fits: list[Fit] = []
    for data in datasets:
        one = fit(data)
        if isinstance(one, ModelResult):  # a failed fit: the pooled model fails with it
            return failed_result(
                name,
                one.formula,
                f"multiple imputation (m={len(datasets)}), {one.estimator}",
                one.n,
                f"the model failed on an imputed dataset: {one.message}",
            )
        fits.append(one)
    first = fits[0].result
    names = list(first.terms[i].term for i in range(len(first.terms)))
    q = np.vstack([f.beta for f in fits])
    u = np.vstack([np.diag(f.vcov) for f in fits])
    if df_complete is None and isinstance(fits[0], GlmFit):
        df_complete = fits[0].df
    pooled = rubin_pool(q, u, df_complete)
    return ModelResult(
        name=name,
        formula=first.formula,
        estimator=f"multiple imputation (m={len(fits)}, Rubin's rules, Barnard-Rubin df), "
        f"{first.estimator}",
        n=first.n,
        converged=True,
        message="converged",
        terms=term_estimates(names, pooled.estimate, np.sqrt(pooled.total), df=pooled.df),
        re_variance=(
            float(np.mean([f.result.re_variance or 0.0 for f in fits]))
            if first.re_variance is not None
            else None
        ),
        n_excluded=first.n_excluded,
        extra={
            "m": len(fits),
            "fraction_missing_information": dict(
                zip(names, pooled.fraction_missing_info.tolist(), strict=True)
            ),
        },
    )
