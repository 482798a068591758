"""outputs/models.json: every model, failed ones without numbers, written atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from steward.analysis.results import ModelResult, failed_result, term_estimates, write_models_json


def _ok() -> ModelResult:
    return ModelResult(
        name="primary",
        formula="y ~ t + (1 | la)",
        estimator="ML, Laplace (nAGQ=1)",
        n=100,
        converged=True,
        message="converged",
        terms=term_estimates(["(Intercept)", "t"], np.array([-1.0, -0.4]), np.array([0.2, 0.1])),
        re_variance=0.09,
        re_sd=0.3,
    )


def test_term_estimates_are_wald_intervals_on_the_odds_ratio_scale() -> None:
    t = term_estimates(["t"], np.array([-0.4]), np.array([0.1]))[0]
    assert t.odds_ratio == pytest.approx(math.exp(-0.4))
    assert t.ci_low == pytest.approx(math.exp(-0.4 - 1.959963985 * 0.1))
    assert t.ci_high == pytest.approx(math.exp(-0.4 + 1.959963985 * 0.1))
    assert t.p_value == pytest.approx(2 * 0.5 * math.erfc(4 / math.sqrt(2)), rel=1e-6)


def test_models_json_lists_every_model_and_no_numbers_for_a_failed_one(tmp_path: Path) -> None:
    failed = failed_result("subgroup_open_cpp", "y ~ t + (1 | la)", "ML", 40, "did not converge")
    path = write_models_json([_ok(), failed], tmp_path / "outputs" / "models.json")
    doc = json.loads(path.read_text())
    first, second = doc["models"]
    assert first["name"] == "primary" and first["converged"] is True
    assert first["re_variance"] == 0.09
    term = first["terms"][1]
    assert set(term) >= {"term", "estimate", "std_error", "odds_ratio", "ci_low", "ci_high"}
    assert second == {
        "name": "subgroup_open_cpp",
        "formula": "y ~ t + (1 | la)",
        "estimator": "ML",
        "n": 40,
        "converged": False,
        "message": "did not converge",
        "warnings": [],
    }
    assert [p.name for p in path.parent.iterdir()] == ["models.json"]  # no temp file left


def test_non_finite_numbers_are_written_as_null_not_nan(tmp_path: Path) -> None:
    result = _ok()
    result.aic = float("nan")
    text = write_models_json([result], tmp_path / "models.json").read_text()
    assert "NaN" not in text and json.loads(text)["models"][0]["aic"] is None
