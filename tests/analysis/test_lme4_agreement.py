"""Agreement with lme4's glmer on the reference cohort (lme4's output is stored; R not needed).

``data/lme4_reference.json`` was produced by ``data/lme4_reference.R`` through
``data/make_lme4_reference.py``; docs/lme4-crosscheck.md says how to rerun it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from steward.analysis.glmm import GlmmFit, estimate_glmm
from steward.analysis.simulated_trial import PRIMARY_FIXED, data_fingerprint, reference_cohort

REFERENCE = json.loads((Path(__file__).parent / "data" / "lme4_reference.json").read_text())


def _lme4(label: str) -> dict[str, Any]:
    return next(fit for fit in REFERENCE["fits"] if fit["label"] == label)


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return reference_cohort()


@pytest.fixture(scope="module")
def laplace(cohort: pd.DataFrame) -> GlmmFit:
    fit = estimate_glmm(cohort, "cla_status", PRIMARY_FIXED, "local_authority", nagq=1)
    assert isinstance(fit, GlmmFit)
    return fit


def test_the_cohort_is_the_one_lme4_fitted(cohort: pd.DataFrame) -> None:
    assert data_fingerprint(cohort) == REFERENCE["data_sha256"]
    assert len(cohort) == REFERENCE["n"]


def _assert_agrees(ours: GlmmFit, lme4: dict[str, Any]) -> None:
    assert [t.term for t in ours.result.terms] == lme4["terms"]
    np.testing.assert_allclose(ours.beta, lme4["estimate"], rtol=0, atol=1e-4)
    se = np.array([t.std_error for t in ours.result.terms])
    np.testing.assert_allclose(se, lme4["std_error"], rtol=1e-3)
    assert ours.result.re_variance == pytest.approx(lme4["re_variance"], rel=1e-3)
    # at least as good an optimum as lme4's (to its own convergence)
    assert ours.result.log_likelihood is not None
    assert ours.result.log_likelihood >= lme4["log_likelihood"] - 1e-6


def test_laplace_agrees_with_lme4_at_its_tightest_settings(laplace: GlmmFit) -> None:
    assert laplace.result.gradient_norm is not None and laplace.result.gradient_norm < 1e-6
    _assert_agrees(laplace, _lme4("laplace_bobyqa_tight"))
    _assert_agrees(laplace, _lme4("laplace_nlopt_tight"))


def test_laplace_matches_lme4_defaults_within_their_convergence(laplace: GlmmFit) -> None:
    default = _lme4("laplace_default")
    np.testing.assert_allclose(laplace.beta, default["estimate"], rtol=0, atol=1e-2)
    assert laplace.result.log_likelihood is not None
    assert laplace.result.log_likelihood >= default["log_likelihood"] - 1e-6


def test_agq7_agrees_with_lme4(cohort: pd.DataFrame) -> None:
    fit = estimate_glmm(cohort, "cla_status", PRIMARY_FIXED, "local_authority", nagq=7)
    assert isinstance(fit, GlmmFit)
    _assert_agrees(fit, _lme4("agq7_bobyqa_tight"))
