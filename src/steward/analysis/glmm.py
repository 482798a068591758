"""Binomial GLMM with one scalar random intercept per cluster, fitted by maximum likelihood.

The objective is lme4's ``glmer`` deviance, term for term. With ``eta = X beta + theta * u_j``
and ``u_j ~ N(0, 1)``, each cluster contributes

    h_j(u) = sum_i devres_i(eta_i) + u**2           (penalised deviance)
    D_j    = h_j(u_hat) + log(1 + theta**2 S_j) - 2 log M_j

where ``u_hat`` is the conditional mode given (theta, beta), ``S_j`` the sum of the working
weights ``mu (1 - mu)`` at the mode, and ``M_j`` the adaptive Gauss–Hermite correction (nodes
``u_hat + z_k / sqrt(1 + theta**2 S_j)``; ``M_j = 1`` for nAGQ = 1, i.e. Laplace). As in lme4,
(theta, beta) are optimised jointly and the fixed-effect covariance is ``2 H^-1`` restricted to
beta, with ``H`` the Hessian of the deviance in (theta, beta) (``vcov.merMod``, use.hessian).

Because the random effect is a scalar per cluster, every integral is one-dimensional: modes
come from a vectorised Newton iteration over clusters, the gradient is exact (implicit
differentiation through the modes), and the Hessian is a central difference of that gradient.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import minimize_scalar
from scipy.special import expit, logsumexp

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

SINGULAR_TOL = 1e-4  # lme4's isSingular() tolerance on theta


@dataclass
class GlmmFit:
    """A fitted GLMM with everything later steps (marginal effects, checks) need."""

    result: ModelResult
    design: Design
    theta: float
    beta: np.ndarray
    vcov: np.ndarray  # fixed effects, lme4's vcov()
    modes: dict[str, float]  # conditional modes b_j = theta * u_j, per cluster
    deviance: float
    hessian: np.ndarray  # of the deviance in (theta, beta)
    gradient: np.ndarray


class RandomInterceptDeviance:
    """lme4's Laplace / AGQ deviance of a logistic random-intercept model, with its gradient."""

    def __init__(self, X: np.ndarray, y: np.ndarray, cluster: np.ndarray, nagq: int = 1) -> None:
        order = np.argsort(cluster, kind="stable")
        self.X = np.ascontiguousarray(X[order], dtype=float)
        self.y = np.asarray(y, dtype=float)[order]
        codes = np.asarray(cluster)[order]
        self.starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        self.n_clusters = len(self.starts)
        self.index = np.repeat(np.arange(self.n_clusters), np.diff(np.r_[self.starts, len(codes)]))
        if nagq < 1:
            raise ValueError("nagq must be at least 1")
        z, w = hermegauss(nagq)
        self.z = z
        self.log_w = np.log(w / np.sqrt(2 * np.pi)) + z**2 / 2  # weight times 1/phi(z)
        self.u = np.zeros(self.n_clusters)  # warm start for the modes
        self.evaluations = 0

        self.bounds = list(zip(self.starts, np.r_[self.starts[1:], len(codes)], strict=True))

    def _gsum(self, v: np.ndarray) -> np.ndarray:
        return np.add.reduceat(v, self.starts, axis=0)

    def _gsum_weighted_X(self, weights: np.ndarray) -> np.ndarray:
        """Per-cluster ``sum_i weights[r, i] * x_i`` for each row r of ``weights``: J x R x p."""
        if self.n_clusters > 64:
            return np.stack([self._gsum(wr[:, None] * self.X) for wr in weights], axis=1)
        return np.stack([weights[:, a:b] @ self.X[a:b] for a, b in self.bounds])

    def modes(self, theta: float, eta_fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Conditional modes of u given (theta, beta), and mu there.

        Newton on each cluster's score ``u - theta * sum(y - mu)`` at once; the step is halved
        only in clusters where the score grew (the penalised deviance is strictly convex in u).
        """
        g = self.index
        u = self.u.copy()
        mu = expit(eta_fixed + theta * u[g])
        score = u - theta * self._gsum(self.y - mu)
        for _ in range(100):
            size = np.abs(score)
            if size.max() < 1e-11:
                break
            step = score / (1 + theta**2 * self._gsum(mu * (1 - mu)))
            t = np.ones_like(u)
            for _ in range(40):
                u_new = u - t * step
                mu_new = expit(eta_fixed + theta * u_new[g])
                score_new = u_new - theta * self._gsum(self.y - mu_new)
                worse = np.abs(score_new) > size
                if not worse.any():
                    break
                t[worse] /= 2
            if np.array_equal(u_new, u):
                break  # no representable progress left
            u, mu, score = u_new, mu_new, score_new
        self.u = u
        return u, mu

    def __call__(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """Deviance and its exact gradient at ``params = [theta, *beta]``."""
        self.evaluations += 1
        theta, beta = float(params[0]), params[1:]
        X, y, g, z = self.X, self.y, self.index, self.z
        eta_f = X @ beta
        u, mu0 = self.modes(theta, eta_f)
        eta0 = eta_f + theta * u[g]
        w = mu0 * (1 - mu0)
        w1 = w * (1 - 2 * mu0)
        S = self._gsum(w)
        a = 1 + theta**2 * S
        wx = self._gsum_weighted_X(np.stack([w, w1]))  # sums of w x and w1 x per cluster
        du_db = -theta * wx[:, 0] / a[:, None]
        du_dt = (self._gsum(y - mu0) - theta * u * S) / a
        W1 = self._gsum(w1)
        dS_db = wx[:, 1] + theta * W1[:, None] * du_db
        dS_dt = W1 * (u + theta * du_dt)
        da_db = theta**2 * dS_db
        da_dt = 2 * theta * S + theta**2 * dS_dt
        s = a**-0.5
        ds_db = -0.5 * (s**3)[:, None] * da_db
        ds_dt = -0.5 * s**3 * da_dt
        h0 = self._gsum(2 * np.logaddexp(0, eta0) - 2 * y * eta0) + u**2

        if len(z) == 1:  # Laplace: the single node is the mode itself
            V = u[:, None]
            mu_k = mu0[:, None]
            log_mult = np.zeros_like(u)
            weight = np.ones((len(u), 1))
        else:
            V = u[:, None] + s[:, None] * z[None, :]  # quadrature nodes per cluster, J x K
            eta_k = eta_f[:, None] + theta * V[g]
            mu_k = expit(eta_k)
            h_k = self._gsum(2 * np.logaddexp(0, eta_k) - 2 * y[:, None] * eta_k) + V**2
            log_terms = self.log_w[None, :] - (h_k - h0[:, None]) / 2
            log_mult = logsumexp(log_terms, axis=1)
            weight = np.exp(log_terms - log_mult[:, None])  # pi_jk, rows sum to one

        deviance = float(np.sum(h0 + np.log(a) - 2 * log_mult))

        r_k = -2 * (y[:, None] - mu_k)
        R_k = self._gsum(r_k)
        dh_dv = theta * R_k + 2 * V
        c = np.sum(weight[g] * r_k, axis=1)
        pd_v = np.sum(weight * dh_dv, axis=1)
        pd_vz = np.sum(weight * dh_dv * z[None, :], axis=1)
        grad_beta = np.sum(da_db / a[:, None], axis=0) + X.T @ c + pd_v @ du_db + pd_vz @ ds_db
        dv_dt = du_dt[:, None] + z[None, :] * ds_dt[:, None]
        grad_theta = float(np.sum(da_dt / a) + np.sum(weight * (R_k * V + dh_dv * dv_dt)))
        return deviance, np.r_[grad_theta, grad_beta]

    def hessian(self, params: np.ndarray, step: float = 1e-5) -> np.ndarray:
        """Central difference of the exact gradient, symmetrised."""
        k = len(params)
        H = np.empty((k, k))
        saved = self.u.copy()
        for i in range(k):
            h = step * max(1.0, abs(params[i]))
            up, down = params.copy(), params.copy()
            up[i] += h
            down[i] -= h
            H[:, i] = (self(up)[1] - self(down)[1]) / (2 * h)
            self.u = saved.copy()
        return (H + H.T) / 2


@dataclass
class _Optimum:
    params: np.ndarray
    deviance: float
    gradient: np.ndarray
    hessian: np.ndarray
    iterations: int
    converged: bool
    message: str


def _newton(
    objective: RandomInterceptDeviance, start: np.ndarray, gtol: float, max_iter: int
) -> _Optimum:
    """Damped Newton with backtracking; theta is free in sign (the deviance is even in it).

    The first step uses the finite-difference Hessian; later steps update it by BFGS, which
    keeps Newton's convergence near the optimum at a fraction of the cost. The Hessian is
    recomputed whenever a step fails, and once more at the optimum for the standard errors.
    """
    x = start.copy()
    f, g = objective(x)
    H = objective.hessian(x)
    fresh = True
    for it in range(1, max_iter + 1):
        eig_min = float(np.linalg.eigvalsh(H)[0])
        scale = max(1.0, float(np.abs(np.diag(H)).max()))
        shift = 0.0 if eig_min > 1e-10 * scale else -eig_min + 1e-6 * scale
        accepted = False
        while True:
            step = -np.linalg.solve(H + shift * np.eye(len(x)), g)
            slope = float(g @ step)
            t = 1.0
            saved = objective.u.copy()
            for _ in range(40):
                x_new = x + t * step
                f_new, g_new = objective(x_new)
                if np.isfinite(f_new) and f_new <= f + 1e-4 * t * slope + 1e-13 * abs(f):
                    accepted = True
                    break
                objective.u = saved.copy()
                t /= 2
            if accepted or shift > 1e8 * scale:
                break
            shift = max(10 * shift, 1e-4 * scale)
        if not accepted:
            if fresh:
                return _Optimum(
                    x, f, g, H, it, False, "the line search could not reduce the deviance"
                )
            H, fresh = objective.hessian(x), True
            continue
        s_k, y_k = x_new - x, g_new - g
        x, f, g = x_new, f_new, g_new
        if np.max(np.abs(g)) < gtol:
            # One Newton step on a fresh Hessian: quadratic convergence takes the gradient far
            # below the tolerance; the Hessian barely moves over so short a step.
            H = objective.hessian(x)
            saved = objective.u.copy()
            x_pol = x - np.linalg.solve(H, g)
            f_pol, g_pol = objective(x_pol)
            if f_pol <= f + 1e-13 * abs(f) and np.max(np.abs(g_pol)) < np.max(np.abs(g)):
                x, f, g = x_pol, f_pol, g_pol
            else:
                objective.u = saved
            return _Optimum(x, f, g, H, it, True, "")
        ys = float(y_k @ s_k)
        Hs = H @ s_k
        if ys > 1e-12 * float(np.linalg.norm(y_k) * np.linalg.norm(s_k)):
            H = H + np.outer(y_k, y_k) / ys - np.outer(Hs, Hs) / float(s_k @ Hs)
        fresh = False
        if it % 25 == 0:
            H, fresh = objective.hessian(x), True
    return _Optimum(
        x,
        f,
        g,
        objective.hessian(x),
        max_iter,
        False,
        f"no convergence within {max_iter} iterations",
    )


def _logistic_start(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ordinary logistic regression by IRLS, the starting point for beta."""
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        mu = expit(X @ beta)
        w = np.clip(mu * (1 - mu), 1e-10, None)
        step = np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def estimate_glmm(
    data: pd.DataFrame,
    response: str,
    fixed: list[str],
    group: str,
    nagq: int = 1,
    name: str = "primary",
    gtol: float = 1e-6,
    max_iter: int = 100,
) -> GlmmFit | ModelResult:
    """Fit ``response ~ fixed + (1 | group)``; a failed fit comes back as a failed ModelResult.

    Raises ``AnalysisError`` when the data cannot support the model at all (missing columns,
    a non-binary response, a factor level with no events, fewer than two clusters).
    """
    design = build_design(data, fixed)
    formula = r_formula(response, design, group)
    estimator = "ML, Laplace (nAGQ=1)" if nagq == 1 else f"ML, adaptive Gauss-Hermite (nAGQ={nagq})"
    frame, excluded = model_frame(data, response, design, extra=[group])
    check_events_per_level(frame, response, design)
    clusters = frame[group].astype(str)
    labels = sorted(clusters.unique())
    if len(labels) < 2:
        raise AnalysisError(
            what=f"The random intercept needs at least two {group} clusters, the data has {len(labels)}",
            fix="Fit the model on the full multi-LA cohort.",
            where=Location(column=group),
        )
    X = design.matrix(frame)
    y = frame[response].to_numpy(dtype=float)
    n = len(frame)
    if not is_full_rank(X):
        raise AnalysisError(
            what="The fixed effects are collinear (the design matrix is rank deficient)",
            fix="Remove a term that is determined by the others (e.g. an LA-level indicator "
            "that repeats the wedge).",
        )
    code = pd.Categorical(clusters, categories=labels).codes
    objective = RandomInterceptDeviance(X, y, code, nagq)
    beta0 = _logistic_start(X, y)
    # Like lme4's first stage, start theta where the deviance is lowest with beta held fixed.
    with np.errstate(over="ignore", under="ignore"):
        theta0 = minimize_scalar(
            lambda t: objective(np.r_[t, beta0])[0],
            bounds=(0.0, 3.0),
            method="bounded",
            options={"xatol": 1e-3},
        ).x
    start = np.r_[max(float(theta0), 0.05), beta0]
    began = time.perf_counter()
    try:
        with np.errstate(over="ignore", under="ignore"):
            opt = _newton(objective, start, gtol, max_iter)
    except (np.linalg.LinAlgError, FloatingPointError, ValueError) as exc:
        return failed_result(
            name, formula, estimator, n, f"the fit failed numerically: {exc}", n_excluded=excluded
        )
    elapsed = time.perf_counter() - began
    grad_norm = float(np.max(np.abs(opt.gradient)))
    if not opt.converged:
        return failed_result(
            name,
            formula,
            estimator,
            n,
            f"did not converge: {opt.message} (largest gradient {grad_norm:.2g})",
            n_excluded=excluded,
            gradient_norm=grad_norm,
            iterations=opt.iterations,
        )
    params = opt.params.copy()
    theta = abs(float(params[0]))
    warnings: list[str] = []
    H = opt.hessian
    singular = theta < SINGULAR_TOL
    if singular:
        warnings.append(
            f"singular fit: the between-{group} variance is estimated at the boundary (zero); "
            "the random intercept adds nothing and a fixed-effects model is the honest summary"
        )
        block = H[1:, 1:]
        cov_full = None
    else:
        block = H
        cov_full = block
    try:
        evals = np.linalg.eigvalsh(block)
        if evals[0] <= 0:
            raise np.linalg.LinAlgError("not positive definite")
        inv = 2 * np.linalg.inv(block)
    except np.linalg.LinAlgError:
        return failed_result(
            name,
            formula,
            estimator,
            n,
            "the Hessian of the deviance is not positive definite at the optimum, so standard "
            "errors do not exist; simplify the model",
            n_excluded=excluded,
            gradient_norm=grad_norm,
            iterations=opt.iterations,
        )
    vcov: np.ndarray = inv[1:, 1:] if cov_full is not None else inv
    vcov = (vcov + vcov.T) / 2
    beta = params[1:]
    se = np.sqrt(np.diag(vcov))
    deviance = opt.deviance
    objective(np.r_[theta, beta])  # modes at the reported sign of theta
    modes = {label: theta * float(u) for label, u in zip(labels, objective.u, strict=True)}
    result = ModelResult(
        name=name,
        formula=formula,
        estimator=estimator,
        n=n,
        converged=True,
        message="singular fit" if singular else "converged",
        terms=term_estimates(design.columns, beta, se),
        re_variance=theta**2,
        re_sd=theta,
        log_likelihood=-deviance / 2,
        aic=deviance + 2 * (len(beta) + 1),
        gradient_norm=grad_norm,
        iterations=opt.iterations,
        n_excluded=excluded,
        warnings=warnings,
        extra={
            "group": group,
            "n_clusters": len(labels),
            "nagq": nagq,
            "deviance": deviance,
            "seconds": elapsed,
        },
    )
    return GlmmFit(result, design, theta, beta, vcov, modes, deviance, H, opt.gradient)


def fit_glmm(
    data: pd.DataFrame,
    response: str,
    fixed: list[str],
    group: str,
    nagq: int = 1,
    name: str = "primary",
    gtol: float = 1e-6,
    max_iter: int = 100,
) -> ModelResult:
    """Fit the primary model ``response ~ fixed + (1 | group)`` by ML (Laplace or AGQ)."""
    fit = estimate_glmm(data, response, fixed, group, nagq, name, gtol, max_iter)
    return fit.result if isinstance(fit, GlmmFit) else fit
