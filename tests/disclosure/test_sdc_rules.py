from __future__ import annotations

import pytest

from steward.disclosure import SdcRules
from steward.errors import ConfigError


def test_defaults_are_acros() -> None:
    rules = SdcRules()
    assert rules.safe_threshold == 10
    assert rules.safe_dof_threshold == 10
    assert rules.safe_nk_n == 2
    assert rules.safe_nk_k == 0.90
    assert rules.safe_pratio_p == 0.10
    assert rules.zeros_are_disclosive is True
    assert rules.survival_safe_threshold == 10
    assert rules.rounding_base is None


def test_study_definition_overrides_some_rules() -> None:
    rules = SdcRules.from_study({"sdc": {"safe_threshold": 5, "rounding_base": 5}})
    assert rules.safe_threshold == 5
    assert rules.rounding_base == 5
    assert rules.safe_nk_k == 0.90


def test_study_without_sdc_block_keeps_defaults() -> None:
    assert SdcRules.from_study({"name": "nwd"}) == SdcRules()


@pytest.mark.parametrize(
    "block",
    [{"safe_threshold": 0}, {"safe_nk_k": 1.5}, {"unknown_rule": 1}, "ten"],
)
def test_bad_sdc_block_is_a_config_error(block: object) -> None:
    with pytest.raises(ConfigError) as info:
        SdcRules.from_study({"sdc": block}, file="study.yaml")
    assert info.value.where.file == "study.yaml"
    assert info.value.fix
