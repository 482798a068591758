"""Average marginal effect of a binary term: the risk difference in percentage points.

Odds ratios are hard to read for a policy audience and are not collapsible; the AME says how
many more (or fewer) children per hundred would enter care if every child in the cohort were
treated versus none. Predictions use each child's own covariates (for a GLMM, conditional on
the LA's predicted random intercept); the standard error is by the delta method from the
model's covariance of the fixed effects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from steward.analysis.design import Numeric
from steward.analysis.glm import GlmFit
from steward.analysis.glmm import GlmmFit
from steward.errors import AnalysisError, Location


@dataclass(frozen=True)
class MarginalEffect:
    """Risk difference (treated minus untreated), in percentage points, with its 95% CI."""

    term: str
    risk_difference_pp: float
    std_error_pp: float
    ci_low_pp: float
    ci_high_pp: float
    risk_untreated_pct: float
    risk_treated_pct: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _frame_and_offset(fit: GlmFit | GlmmFit, data: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    response_cols = [fit.result.formula.split("~")[0].strip()]
    if isinstance(fit, GlmmFit):
        group = str(fit.result.extra["group"])
        frame = data.loc[:, list(dict.fromkeys(response_cols + fit.design.variables + [group]))]
        frame = frame.dropna()
        offset = frame[group].astype(str).map(fit.modes).to_numpy(dtype=float)
    else:
        frame = data.loc[:, list(dict.fromkeys(response_cols + fit.design.variables))].dropna()
        offset = np.zeros(len(frame))
    return frame, offset


def ame_and_gradient(
    fit: GlmFit | GlmmFit, data: pd.DataFrame, term: str, beta: np.ndarray | None = None
) -> tuple[float, np.ndarray, float, float, int]:
    """AME (probability scale), its gradient in beta, mean risks untreated/treated, and n."""
    if not any(
        isinstance(c, Numeric) and c.column == term for t in fit.design.terms for c in t.components
    ):
        raise AnalysisError(
            what=f"The model has no 0/1 term {term!r} to take a marginal effect of",
            fix="Name the treatment column exactly as it appears in the model's fixed effects.",
            where=Location(column=term),
        )
    frame, offset = _frame_and_offset(fit, data)
    b = fit.beta if beta is None else beta
    treated, untreated = frame.copy(), frame.copy()
    treated[term] = 1
    untreated[term] = 0
    X1, X0 = fit.design.matrix(treated), fit.design.matrix(untreated)
    p1, p0 = expit(X1 @ b + offset), expit(X0 @ b + offset)
    ame = float(np.mean(p1 - p0))
    grad = ((p1 * (1 - p1))[:, None] * X1 - (p0 * (1 - p0))[:, None] * X0).mean(axis=0)
    return ame, grad, float(p0.mean()), float(p1.mean()), len(frame)


def average_marginal_effect(
    fit: GlmFit | GlmmFit, data: pd.DataFrame, term: str = "treatment_group", level: float = 0.95
) -> MarginalEffect:
    """Average marginal effect of switching ``term`` from 0 to 1 for every child."""
    ame, grad, r0, r1, n = ame_and_gradient(fit, data, term)
    se = float(np.sqrt(grad @ fit.vcov @ grad))
    df = fit.df if isinstance(fit, GlmFit) else None
    ref = stats.norm if df is None else stats.t(df)
    q = float(ref.ppf(0.5 + level / 2))
    return MarginalEffect(
        term=term,
        risk_difference_pp=100 * ame,
        std_error_pp=100 * se,
        ci_low_pp=100 * (ame - q * se),
        ci_high_pp=100 * (ame + q * se),
        risk_untreated_pct=100 * r0,
        risk_treated_pct=100 * r1,
        n=n,
    )


def attach_marginal_effect(
    fit: GlmFit | GlmmFit, data: pd.DataFrame, term: str = "treatment_group"
) -> GlmFit | GlmmFit:
    """Record the AME in the model's result so it is written beside the odds ratios."""
    fit.result.extra["average_marginal_effect"] = average_marginal_effect(fit, data, term).to_dict()
    return fit
