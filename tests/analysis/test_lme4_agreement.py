"""Agreement with lme4's glmer on the reference cohort (lme4's output is stored; R not needed).

Two stored references, both regenerated as docs/lme4-crosscheck.md describes:

- ``data/lme4_at_optimum.json``: lme4's own deviance function, finite-difference gradient and
  Hessian (``lme4:::deriv12``) evaluated at Steward's optimum (``data/lme4_at_optimum.R``);
- ``data/lme4_reference.json``: complete ``glmer`` fits (``data/lme4_reference.R``).
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

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "lme4_reference.json").read_text())
AT_OPTIMUM = json.loads((DATA / "lme4_at_optimum.json").read_text())


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return reference_cohort()


@pytest.fixture(scope="module")
def fits(cohort: pd.DataFrame) -> dict[int, GlmmFit]:
    out = {}
    for nagq in (1, 7):
        fit = estimate_glmm(cohort, "cla_status", PRIMARY_FIXED, "local_authority", nagq=nagq)
        assert isinstance(fit, GlmmFit)
        out[nagq] = fit
    return out


def test_the_cohort_is_the_one_lme4_fitted(cohort: pd.DataFrame) -> None:
    assert data_fingerprint(cohort) == REFERENCE["data_sha256"]
    assert len(cohort) == REFERENCE["n"]


@pytest.mark.parametrize("nagq", [1, 7])
def test_lme4_deviance_and_hessian_at_our_optimum(fits: dict[int, GlmmFit], nagq: int) -> None:
    ref = next(f for f in AT_OPTIMUM["fits"] if f["nAGQ"] == nagq)
    fit = fits[nagq]
    assert fit.result.gradient_norm is not None and fit.result.gradient_norm < 1e-6
    # the optimum has not moved since lme4 evaluated it
    np.testing.assert_allclose(fit.beta, ref["steward_beta"], rtol=0, atol=1e-8)
    assert fit.theta == pytest.approx(ref["steward_theta"], abs=1e-8)
    # the same objective: lme4's deviance function gives our deviance at our optimum
    assert fit.deviance == pytest.approx(ref["lme4_deviance"], abs=1e-6)
    # standard errors as vcov.merMod computes them from lme4's own Hessian
    se = np.array([t.std_error for t in fit.result.terms])
    np.testing.assert_allclose(se, ref["lme4_std_error"], rtol=1e-3)


def _fit(label: str) -> dict[str, Any]:
    return next(f for f in REFERENCE["fits"] if f["label"] == label)


def test_lme4_default_fit_is_a_worse_optimum_near_ours(fits: dict[int, GlmmFit]) -> None:
    default = _fit("laplace_default")
    fit = fits[1]
    assert [t.term for t in fit.result.terms] == default["terms"]
    assert fit.result.log_likelihood is not None
    assert fit.result.log_likelihood >= default["log_likelihood"] - 1e-6
    # lme4 stopped with max|grad| ~ 0.5 (it warns); its estimates are close, not identical
    np.testing.assert_allclose(fit.beta, default["estimate"], rtol=0, atol=5e-3)
    se = np.array([t.std_error for t in fit.result.terms])
    np.testing.assert_allclose(se, default["std_error"], rtol=5e-3)
    assert fit.result.re_variance == pytest.approx(default["re_variance"], rel=1e-2)
