"""The trial analysis: the primary GLMM, the sensitivity models, and ``models.json``.

Public entry points:

- ``fit_glmm`` / ``estimate_glmm``: logistic GLMM with a random LA intercept, ML by Laplace or
  adaptive Gauss–Hermite quadrature, matching lme4's ``glmer``.
- ``fit_glm`` / ``estimate_glm``: logistic GLM (LA fixed effects) with CR2 cluster-robust errors.
- ``impute_categories``, ``fit_imputed``, ``rubin_pool``: multiple imputation of ethnicity.
- ``average_marginal_effect``: risk difference in percentage points with a delta-method SE.
- ``trial_models``: the pre-specified model set; ``write_models_json`` writes it out.
"""

from steward.analysis.glm import GlmFit, estimate_glm, fit_glm
from steward.analysis.glmm import GlmmFit, estimate_glmm, fit_glmm
from steward.analysis.marginal_effects import MarginalEffect, average_marginal_effect
from steward.analysis.multiple_imputation import fit_imputed, impute_categories, rubin_pool
from steward.analysis.results import ModelResult, TermEstimate, write_models_json
from steward.analysis.sensitivity import TrialModelSpec, trial_models

__all__ = [
    "GlmFit",
    "GlmmFit",
    "MarginalEffect",
    "ModelResult",
    "TermEstimate",
    "TrialModelSpec",
    "average_marginal_effect",
    "estimate_glm",
    "estimate_glmm",
    "fit_glm",
    "fit_glmm",
    "fit_imputed",
    "impute_categories",
    "rubin_pool",
    "trial_models",
    "write_models_json",
]
