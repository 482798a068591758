"""Fitting the primary GLMM: status, failures and user errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from steward.analysis.glmm import GlmmFit, estimate_glmm, fit_glmm
from steward.analysis.results import write_models_json
from steward.analysis.simulated_trial import simulate_trial
from steward.errors import AnalysisError

FIXED = ["treatment_group", "C(wedge)", "disabled"]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return simulate_trial(n_children=3000, seed=11, re_sd=0.5)


def test_fit_reports_estimates_variance_and_convergence(cohort: pd.DataFrame) -> None:
    result = fit_glmm(cohort, "cla_status", FIXED, "local_authority")
    assert result.converged and result.message == "converged"
    assert result.gradient_norm is not None and result.gradient_norm < 1e-6
    assert result.formula == (
        "cla_status ~ treatment_group + wedge + disabled + (1 | local_authority)"
    )
    assert [t.term for t in result.terms] == [
        "(Intercept)",
        "treatment_group",
        "wedgewedge_1",
        "wedgewedge_2",
        "wedgewedge_3",
        "wedgewedge_4",
        "disabled",
    ]
    treat = result.term("treatment_group")
    assert treat.odds_ratio == pytest.approx(np.exp(treat.estimate))
    assert treat.ci_low < treat.odds_ratio < treat.ci_high
    assert result.re_variance is not None and result.re_variance > 0
    assert result.re_sd == pytest.approx(np.sqrt(result.re_variance))
    assert result.aic == pytest.approx(-2 * result.log_likelihood + 2 * (len(result.terms) + 1))
    assert not result.warnings


def test_named_reference_level_changes_the_contrasts(cohort: pd.DataFrame) -> None:
    result = fit_glmm(
        cohort, "cla_status", ["treatment_group", "C(wedge, ref=wedge_2)"], "local_authority"
    )
    names = [t.term for t in result.terms]
    assert "wedgebaseline" in names and "wedgewedge_2" not in names


def test_agq_and_laplace_agree_closely_but_not_exactly(cohort: pd.DataFrame) -> None:
    laplace = fit_glmm(cohort, "cla_status", FIXED, "local_authority", nagq=1)
    agq = fit_glmm(cohort, "cla_status", FIXED, "local_authority", nagq=9)
    assert agq.converged and agq.estimator.endswith("(nAGQ=9)")
    a, b = laplace.term("treatment_group"), agq.term("treatment_group")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-2)
    assert laplace.log_likelihood != agq.log_likelihood


def test_singular_random_effect_is_reported() -> None:
    # Every LA holds an identical copy of the same children: no between-LA variation at all.
    block = simulate_trial(n_children=400, seed=5, n_la=1, re_sd=0.0)
    copies = []
    for k in range(5):
        part = block.copy()
        part["local_authority"] = f"LA{k + 1}"
        copies.append(part)
    data = pd.concat(copies, ignore_index=True)
    result = fit_glmm(data, "cla_status", ["disabled", "referral_nfa"], "local_authority")
    assert result.converged
    assert result.message == "singular fit"
    assert result.re_variance is not None and result.re_variance < 1e-8
    assert any("singular fit" in w for w in result.warnings)


def test_non_convergence_is_a_failed_result_without_numbers(
    cohort: pd.DataFrame, tmp_path: pytest.TempPathFactory
) -> None:
    fit = estimate_glmm(cohort, "cla_status", FIXED, "local_authority", max_iter=1, gtol=1e-14)
    assert not isinstance(fit, GlmmFit)
    assert not fit.converged and "did not converge" in fit.message
    path = write_models_json([fit], tmp_path / "outputs" / "models.json")  # type: ignore[operator]
    entry = json.loads(path.read_text())["models"][0]
    assert entry["converged"] is False and "did not converge" in entry["message"]
    assert "terms" not in entry and "re_variance" not in entry


def test_no_events_in_a_wedge_is_a_clear_error(cohort: pd.DataFrame) -> None:
    data = cohort.copy()
    data.loc[data["wedge"] == "wedge_3", "cla_status"] = 0
    with pytest.raises(AnalysisError) as err:
        fit_glmm(data, "cla_status", FIXED, "local_authority")
    assert "no events" in err.value.what and "'wedge_3'" in err.value.what
    assert err.value.where.column == "wedge"


def test_missing_column_and_non_binary_response_are_user_errors(cohort: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="la_readines"):
        fit_glmm(cohort, "cla_status", ["la_readines"], "local_authority")
    data = cohort.assign(cla_status=cohort["cla_status"] * 2)
    with pytest.raises(AnalysisError, match="must be 0/1"):
        fit_glmm(data, "cla_status", FIXED, "local_authority")


def test_rows_with_missing_values_are_counted_not_silently_dropped(cohort: pd.DataFrame) -> None:
    data = cohort.copy()
    data.loc[:9, "disabled"] = np.nan
    result = fit_glmm(data, "cla_status", FIXED, "local_authority")
    assert result.n == len(data) - 10 and result.n_excluded == 10
