"""The planted treatment effect: who enters care within 18 months of their first referral.

For each child's first referral, ``P(first period of care starts within 18 months, on or after
the referral)`` follows a logistic model::

    logit p = intercept + u_LA + log(OR) * treated + age effect + b_cpp * min(previous CPPs, 3)
              + b_disabled * disabled

``treated`` is 1 when the referral is on or after the LA's go-live and the child is 12–17 (the
No Wrong Door model works with adolescents). The LA intercepts ``u_LA`` are drawn from the seed
with sd ``la_sd``. The intercept is solved so the untreated 12–17 year olds of the generated
population (at u = 0) have the base rate (about 7%, as in the evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW_DAYS = 548  # 18 months
TREATED_AGES = (12, 17)
# Log-odds relative to a 14-year-old; younger children (babies most) enter care more often.
AGE_EFFECT = np.array(
    [1.2, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.0, -0.1, -0.1, -0.1, -0.1]
    + [0.08 * (a - 14) for a in range(12, 18)]
)


@dataclass(frozen=True)
class CareModel:
    """Coefficients of the care-entry model (all on the log-odds scale but ``odds_ratio``)."""

    odds_ratio: float = 0.8
    base_rate: float = 0.07
    la_sd: float = 0.15
    previous_cpp: float = 0.25  # per previous child protection plan, capped at 3
    disabled: float = 0.30

    @property
    def log_odds_ratio(self) -> float:
        return float(np.log(self.odds_ratio))

    def covariate_logit(
        self, age: np.ndarray, previous_cpp: np.ndarray, disabled: np.ndarray
    ) -> np.ndarray:
        """The covariate part of the linear predictor (no intercept, LA or treatment term)."""
        return (
            AGE_EFFECT[age]
            + self.previous_cpp * np.minimum(previous_cpp, 3)
            + self.disabled * disabled
        )

    def solve_intercept(self, covariate_logit_12_17: np.ndarray) -> float:
        """The intercept giving the base rate to untreated 12–17s at a zero LA effect."""
        if covariate_logit_12_17.size == 0:
            return float(np.log(self.base_rate / (1 - self.base_rate)))
        lo, hi = -12.0, 6.0
        for _ in range(60):  # bisection: the mean probability rises with the intercept
            mid = (lo + hi) / 2
            rate = float(np.mean(1 / (1 + np.exp(-(mid + covariate_logit_12_17)))))
            lo, hi = (mid, hi) if rate < self.base_rate else (lo, mid)
        return (lo + hi) / 2


def is_treated(age: np.ndarray, referral: np.ndarray, go_live: np.datetime64) -> np.ndarray:
    """Whether each first referral falls under the model: on/after go-live, child aged 12–17."""
    return (referral >= go_live) & (age >= TREATED_AGES[0]) & (age <= TREATED_AGES[1])


def care_start_offsets(
    rng: np.random.Generator, p_within: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Days from first referral to care for each child (-1: never), and the 18-month outcome.

    Entries within the window come early more often than late; a few children not entering care
    within 18 months enter later, which the outcome must not count.
    """
    n = p_within.size
    within = rng.random(n) < p_within
    early = np.floor(WINDOW_DAYS * rng.beta(0.8, 1.6, size=n)).astype(np.int64)
    later = WINDOW_DAYS + rng.integers(1, 700, size=n)
    late = ~within & (rng.random(n) < 0.02)
    offsets = np.where(within, early, np.where(late, later, -1))
    return offsets, within
