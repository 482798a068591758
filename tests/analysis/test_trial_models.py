"""The whole pre-specified model set, with a failing member reported as failed."""

from __future__ import annotations

import json
from pathlib import Path

from steward.analysis.results import write_models_json
from steward.analysis.sensitivity import TrialModelSpec, trial_models
from steward.analysis.simulated_trial import simulate_trial

FIXED = ["treatment_group", "C(wedge)", "C(age_group)", "C(ethnicity_group)", "disabled"]


def test_every_model_is_fitted_or_reported_failed(tmp_path: Path) -> None:
    data = simulate_trial(n_children=2500, seed=42)
    # No child with an open CPP referred in wedge 2 enters care: that subgroup model cannot
    # estimate its wedge 2 effect.
    data.loc[(data["open_cpp"] == 1) & (data["wedge"] == "wedge_2"), "cla_status"] = 0
    spec = TrialModelSpec(
        fixed=FIXED, interactions=["treatment_group:la_readiness"], agq_nodes=5, imputations=(5,)
    )
    results = {r.name: r for r in trial_models(data, spec)}
    assert list(results) == [
        "primary",
        "primary_agq5",
        "la_fixed_effects_cr2",
        "complete_case_ethnicity",
        "multiple_imputation_m5",
        "subgroup_open_cpp",
        "excluding_cross_contamination",
        "interaction_treatment_group_x_la_readiness",
    ]
    failed = results.pop("subgroup_open_cpp")
    assert not failed.converged and "no events" in failed.message and "wedge_2" in failed.message
    assert failed.formula.startswith("cla_status ~ treatment_group + wedge + age_group")
    for result in results.values():
        assert result.converged, (result.name, result.message)
        assert 0 < result.term("treatment_group").odds_ratio < 1
    primary = results["primary"]
    ame = primary.extra["average_marginal_effect"]
    assert ame["risk_difference_pp"] < 0 and ame["ci_low_pp"] < ame["ci_high_pp"]
    assert results["complete_case_ethnicity"].n < primary.n
    assert results["excluding_cross_contamination"].n < primary.n
    assert results["la_fixed_effects_cr2"].term("treatment_group").df == 4.0
    wild = results["la_fixed_effects_cr2"].extra["wild_cluster_bootstrap"]
    assert wild["draws"] == 6**5 and 0 < wild["p_value"] <= 1
    assert "treatment_group:la_readiness" in [
        t.term for t in results["interaction_treatment_group_x_la_readiness"].terms
    ]
    doc = json.loads(
        write_models_json(trial_models(data, spec)[:1], tmp_path / "m.json").read_text()
    )
    assert doc["models"][0]["extra"]["average_marginal_effect"]["n"] == primary.n
