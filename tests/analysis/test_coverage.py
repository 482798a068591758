"""The primary model's 95% CI covers the planted odds ratio about 95% of the time."""

from __future__ import annotations

import pytest
from scipy import stats

from steward.analysis.glmm import fit_glmm
from steward.analysis.simulated_trial import PRIMARY_FIXED, TRUE_ODDS_RATIO, simulate_trial

TRIALS = 150


@pytest.mark.slow
def test_primary_ci_covers_the_true_odds_ratio_at_the_nominal_rate() -> None:
    covered = failed = 0
    for seed in range(TRIALS):
        # Correctly specified: ethnicity fully recorded, every planted covariate in the model.
        data = simulate_trial(n_children=2000, seed=1000 + seed, missing_ethnicity=0.0)
        result = fit_glmm(data, "cla_status", PRIMARY_FIXED, "local_authority")
        if not result.converged:
            failed += 1
            continue
        treat = result.term("treatment_group")
        covered += treat.ci_low <= TRUE_ODDS_RATIO <= treat.ci_high
    assert failed == 0
    # A 95% interval: the coverage count must be consistent with Binomial(TRIALS, 0.95).
    assert stats.binomtest(covered, TRIALS, 0.95).pvalue > 0.01, covered
