"""Average marginal effects: closed forms, finite differences, delta-method SEs."""

from __future__ import annotations

import numpy as np
import pytest

from steward.analysis.glm import GlmFit, estimate_glm
from steward.analysis.glmm import GlmmFit, estimate_glmm
from steward.analysis.marginal_effects import ame_and_gradient, average_marginal_effect
from steward.analysis.simulated_trial import simulate_trial
from steward.errors import AnalysisError


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return simulate_trial(n_children=3000, seed=31)


def test_saturated_model_ame_is_the_difference_in_observed_risks(data) -> None:  # type: ignore[no-untyped-def]
    fit = estimate_glm(data, "cla_status", ["treatment_group"], covariance="model")
    assert isinstance(fit, GlmFit)
    me = average_marginal_effect(fit, data)
    risks = data.groupby("treatment_group")["cla_status"].mean()
    assert me.risk_difference_pp == pytest.approx(100 * (risks[1] - risks[0]), abs=1e-8)
    assert me.risk_untreated_pct == pytest.approx(100 * risks[0], abs=1e-8)
    # delta method = the textbook SE of a difference of two proportions here
    n = data.groupby("treatment_group").size()
    se = np.sqrt(risks[1] * (1 - risks[1]) / n[1] + risks[0] * (1 - risks[0]) / n[0])
    assert me.std_error_pp == pytest.approx(100 * se, rel=1e-6)


@pytest.mark.parametrize("model", ["glm", "glmm"])
def test_delta_method_gradient_matches_finite_differences(data, model: str) -> None:  # type: ignore[no-untyped-def]
    fixed = ["treatment_group", "C(wedge)", "disabled", "treatment_group:la_readiness"]
    fit = (
        estimate_glm(data, "cla_status", fixed, cluster="local_authority")
        if model == "glm"
        else estimate_glmm(data, "cla_status", fixed, "local_authority")
    )
    assert isinstance(fit, GlmFit | GlmmFit)
    ame, grad, _, _, _ = ame_and_gradient(fit, data, "treatment_group")
    numeric = np.empty_like(grad)
    for i in range(len(grad)):
        step = np.zeros_like(fit.beta)
        step[i] = 1e-6
        up = ame_and_gradient(fit, data, "treatment_group", fit.beta + step)[0]
        down = ame_and_gradient(fit, data, "treatment_group", fit.beta - step)[0]
        numeric[i] = (up - down) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    me = average_marginal_effect(fit, data)
    assert me.risk_difference_pp == pytest.approx(100 * ame)
    assert me.ci_low_pp < me.risk_difference_pp < me.ci_high_pp
    assert me.risk_difference_pp < 0  # the planted effect lowers the risk


def test_ame_of_a_term_not_in_the_model_is_a_user_error(data) -> None:  # type: ignore[no-untyped-def]
    fit = estimate_glm(data, "cla_status", ["disabled"], covariance="model")
    assert isinstance(fit, GlmFit)
    with pytest.raises(AnalysisError, match="treatment_group"):
        average_marginal_effect(fit, data)
