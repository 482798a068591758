"""The trial's model set: the primary GLMM and the sensitivity analyses around it.

Each model is fitted independently; one that cannot be fitted is reported as failed with its
reason (never dropped, never given numbers), so ``outputs/models.json`` always lists the whole
pre-specified set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from steward.analysis.design import r_formula_text
from steward.analysis.glm import GlmFit, estimate_glm, wild_score_bootstrap_pvalue
from steward.analysis.glmm import GlmmFit, estimate_glmm
from steward.analysis.marginal_effects import attach_marginal_effect
from steward.analysis.multiple_imputation import fit_imputed, impute_categories
from steward.analysis.results import ModelResult, failed_result
from steward.errors import AnalysisError


@dataclass(frozen=True)
class TrialModelSpec:
    """What the study definition says about the models (column names and terms)."""

    fixed: list[str]
    response: str = "cla_status"
    treatment: str = "treatment_group"
    group: str = "local_authority"
    ethnicity: str = "ethnicity_group"
    missing_level: str = "Missing"
    open_cpp: str = "open_cpp"
    cross_contamination: str = "cross_contamination"
    interactions: list[str] = field(default_factory=list)  # e.g. "treatment_group:la_readiness"
    agq_nodes: int = 7
    imputations: tuple[int, ...] = (5, 10)
    seed: int = 2019


def _guard(
    name: str, formula: str, estimator: str, n: int, run: Callable[[], ModelResult]
) -> ModelResult:
    try:
        return run()
    except AnalysisError as exc:
        return failed_result(name, formula, estimator, n, f"{exc.what}. {exc.fix}")


def _glmm(
    data: pd.DataFrame, spec: TrialModelSpec, fixed: list[str], name: str, nagq: int = 1
) -> ModelResult:
    def run() -> ModelResult:
        fit = estimate_glmm(data, spec.response, fixed, spec.group, nagq=nagq, name=name)
        if isinstance(fit, GlmmFit):
            return attach_marginal_effect(fit, data, spec.treatment).result
        return fit

    formula = r_formula_text(spec.response, fixed, spec.group)
    return _guard(name, formula, f"ML GLMM (nAGQ={nagq})", len(data), run)


def trial_models(data: pd.DataFrame, spec: TrialModelSpec) -> list[ModelResult]:
    """Fit the primary model and every sensitivity analysis; failures are kept as failed."""
    results = [
        _glmm(data, spec, spec.fixed, "primary"),
        _glmm(data, spec, spec.fixed, f"primary_agq{spec.agq_nodes}", nagq=spec.agq_nodes),
    ]

    fe_fixed = [*spec.fixed, f"C({spec.group})"]

    def glm_fe() -> ModelResult:
        fit = estimate_glm(data, spec.response, fe_fixed, spec.group, "CR2", "la_fixed_effects_cr2")
        if not isinstance(fit, GlmFit):
            return fit
        p_value, draws = wild_score_bootstrap_pvalue(
            data, spec.response, fe_fixed, spec.group, spec.treatment
        )
        fit.result.extra["wild_cluster_bootstrap"] = {
            "term": spec.treatment,
            "p_value": p_value,
            "draws": draws,
            "weights": "Webb six-point, restricted score bootstrap",
        }
        return attach_marginal_effect(fit, data, spec.treatment).result

    results.append(
        _guard(
            "la_fixed_effects_cr2",
            r_formula_text(spec.response, fe_fixed),
            "ML logistic GLM, CR2",
            len(data),
            glm_fe,
        )
    )

    observed = data[data[spec.ethnicity].astype(str) != spec.missing_level]
    results.append(_glmm(observed, spec, spec.fixed, "complete_case_ethnicity"))
    # The primary model is the missing-indicator analysis: "Missing" is a level of ethnicity.

    for m in spec.imputations:
        name = f"multiple_imputation_m{m}"

        def run_mi(m: int = m, name: str = name) -> ModelResult:
            predictors = [t for t in spec.fixed if spec.ethnicity not in t]
            predictors += [spec.response, f"C({spec.group})"]
            completed = impute_categories(
                data, spec.ethnicity, predictors, m, spec.seed + m, spec.missing_level
            )
            return fit_imputed(
                completed,
                lambda d: estimate_glmm(d, spec.response, spec.fixed, spec.group, name=name),
                name,
            )

        results.append(
            _guard(
                name,
                r_formula_text(spec.response, spec.fixed, spec.group),
                f"multiple imputation (m={m})",
                len(data),
                run_mi,
            )
        )

    results.append(_glmm(data[data[spec.open_cpp] == 1], spec, spec.fixed, "subgroup_open_cpp"))
    results.append(
        _glmm(
            data[data[spec.cross_contamination] == 0],
            spec,
            spec.fixed,
            "excluding_cross_contamination",
        )
    )
    for interaction in spec.interactions:
        label = interaction.replace(":", "_x_")
        results.append(_glmm(data, spec, [*spec.fixed, interaction], f"interaction_{label}"))
    return results


__all__ = ["TrialModelSpec", "trial_models"]
