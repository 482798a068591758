"""Loading the registry: the default loads; each kind of bad input is a located, fixable error."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.policy.findings import RegistryError
from steward.policy.loader import default_registry, load_registry, registry_path

from .conftest import DEFAULT_TEXT, Variant, line_of


def problems(path: Path) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    return info.value


def test_default_registry_declares_the_study() -> None:
    registry = default_registry()
    assert {s.id for s in registry.data_subjects} == {"child", "parent_guardian", "professional"}
    assert {c.id for c in registry.data_categories if c.special} == {"ethnicity", "disability"}
    assert {s.id for s in registry.sources} == {"local_authority", "dfe_srs", "direct_collection"}
    assert registry.category("dfe_education_extract").held_in == ["srs_research"]
    assert registry.category("anonymised_archive").held_in == ["srs_archive"]
    assert not registry.category("interview_data").archivable
    assert registry.automated_decision_making is False
    # A refining purpose inherits its parent's lawful basis.
    basis = registry.lawful_basis("impact_evaluation")
    assert basis is not None and basis.basis == "legitimate_interests"
    archive = registry.lawful_basis("archiving")
    assert archive is not None and archive.basis == "public_task"


def test_workspace_policy_file_wins_over_default(tmp_path: Path, variant: Variant) -> None:
    assert registry_path(tmp_path) != tmp_path / "policy.yaml"
    variant()
    assert registry_path(tmp_path) == tmp_path / "policy.yaml"


def test_typo_in_an_id_names_line_and_suggests(variant: Variant) -> None:
    path = variant(("covers: [participant_admin]", "covers: [participant_admn]"))
    err = problems(path)
    (problem,) = err.problems
    assert problem.code == "unknown_category"
    assert problem.line == line_of(path.read_text(), "participant_admn")
    assert problem.field == "purposes[2].covers[0]"
    assert "Did you mean 'participant_admin'?" in problem.fix
    assert problem.file == str(path)
    assert err.where.row == problem.line


def test_cycle_in_category_groups(variant: Variant) -> None:
    path = variant(
        (
            "  - id: child_characteristics\n",
            "  - id: child_characteristics\n    includes: [study_data]\n",
        )
    )
    (problem,) = problems(path).problems
    assert problem.code == "category_group_cycle"
    assert "child_characteristics" in problem.message and "study_data" in problem.message
    assert problem.line == line_of(path.read_text(), "includes: [study_data]")


def test_cycle_in_purpose_refinement(variant: Variant) -> None:
    path = variant(
        ("    refines: evaluation_research\n    covers: [administrative_data, education_data]",
         "    refines: participant_contact\n    covers: [administrative_data, education_data]"),
        ("    refines: evaluation_research\n    covers: [participant_admin]",
         "    refines: impact_evaluation\n    covers: [participant_admin]"),
    )  # fmt: skip
    (problem,) = problems(path).problems
    assert problem.code == "purpose_cycle"
    assert "impact_evaluation -> participant_contact -> impact_evaluation" in problem.message


def test_missing_field_is_located_at_its_entry(variant: Variant) -> None:
    path = variant(("    name: Gender\n", ""))
    (problem,) = problems(path).problems
    assert problem.code == "missing_field"
    assert problem.field == "data_categories[3].name"
    assert problem.line == line_of(path.read_text(), "  - id: gender")
    assert "Add 'name:'" in problem.fix


def test_date_in_the_wrong_format(variant: Variant) -> None:
    path = variant(("next_review: 2027-03-01", "next_review: 01/03/2027"))
    (problem,) = problems(path).problems
    assert problem.code == "bad_date"
    assert problem.field == "recipients[1].next_review"
    assert problem.line == line_of(path.read_text(), "01/03/2027")
    assert "YYYY-MM-DD" in problem.fix and "01/03/2027" in problem.message


def test_retention_rule_for_unknown_category(variant: Variant) -> None:
    path = variant(("applies_to: [dfe_education_extract]", "applies_to: [dfe_education_extrct]"))
    (problem,) = problems(path).problems
    assert problem.code == "unknown_category"
    assert problem.field == "retention[1].applies_to[0]"
    assert "dfe_education_extract" in problem.fix


def test_non_uk_recipient_is_refused_at_load(variant: Variant) -> None:
    path = variant(("    category: Transcription service\n    role: processor\n    country: GB",
                    "    category: Transcription service\n    role: processor\n    country: US"))  # fmt: skip
    (problem,) = problems(path).problems
    assert problem.code == "recipient_outside_uk"
    assert problem.line == line_of(path.read_text(), "country: US")


def test_unknown_field_and_several_problems_are_all_listed(variant: Variant) -> None:
    path = variant(
        ("    special: true\n", "    specail: true\n"),
        ("approved_on: 2022-04-01", "approved_on: 2022-4-1"),
    )
    err = problems(path)
    assert [p.code for p in err.problems] == ["unknown_field", "bad_date"]
    assert "Did you mean 'special'?" in err.problems[0].fix
    assert err.problems[0].line == line_of(path.read_text(), "specail")
    assert "(and 1 more problem(s))" in err.what


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(DEFAULT_TEXT.replace("version: 1\n", "version: [1\n", 1))
    (problem,) = problems(path).problems
    assert problem.code == "yaml_syntax" and problem.line is not None


def test_duplicate_id(variant: Variant) -> None:
    path = variant(("  - id: rectification", "  - id: access"))
    (problem,) = problems(path).problems
    assert problem.code == "duplicate_id" and "'access'" in problem.message
