from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from steward.disclosure import check_fitted_model, check_model
from steward.errors import DisclosureError


@pytest.mark.parametrize(
    ("dof", "status"), [(9, "fail"), (9.5, "fail"), (10, "pass"), (250, "pass")]
)
def test_residual_dof_rule(dof: float, status: str) -> None:
    assert check_model(name="m", residual_dof=dof).status == status


def test_small_categorical_level_goes_to_review() -> None:
    checked = check_model(name="m", residual_dof=100, level_counts={"la": {"354": 60, "807": 9}})
    assert checked.status == "review"
    assert checked.properties["small_levels"] == [{"term": "la", "level": "807", "n": 9}]
    ok = check_model(name="m", residual_dof=100, level_counts={"la": {"354": 60, "807": 10}})
    assert ok.status == "pass"


def test_failed_model_publishes_nothing() -> None:
    coefficients = pd.DataFrame({"coef": [1.0, 2.0]}, index=["Intercept", "x"])
    checked = check_model(name="m", residual_dof=3, coefficients=coefficients)
    assert checked.status == "fail"
    assert checked.safe.empty


def test_statsmodels_fit_is_checked() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=40), "la": ["a"] * 34 + ["b"] * 6})
    df["y"] = 2 * df.x + rng.normal(size=40)
    fit = smf.ols("y ~ x + C(la)", data=df).fit()
    checked = check_fitted_model(fit, name="ols", data=df, categorical=["la"])
    assert checked.properties["residual_dof"] == 37
    assert checked.status == "review"  # level b has 6 observations
    assert list(checked.safe.columns) == ["coef", "std_err"]
    tiny = smf.ols("y ~ x", data=df.iloc[:8]).fit()
    assert check_fitted_model(tiny, name="tiny").status == "fail"  # 6 residual dof
    with pytest.raises(DisclosureError, match="not a column"):
        check_fitted_model(fit, name="ols", data=df, categorical=["region"])
    with pytest.raises(DisclosureError, match="residual degrees of freedom"):
        check_fitted_model(object(), name="nothing")
