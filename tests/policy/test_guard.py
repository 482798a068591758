"""Run-time purpose checks refuse a step before it touches any data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from steward.errors import PolicyViolation
from steward.policy.findings import RegistryError
from steward.policy.guard import (
    PIPELINE_STEPS,
    PolicyGate,
    ProcessingStep,
    check_recipient,
    gate_for_workspace,
    require,
)
from steward.policy.loader import default_registry

from .conftest import Variant

TODAY = dt.date(2026, 7, 1)


def gate(environment: str = "evaluator", today: dt.date = TODAY) -> PolicyGate:
    return PolicyGate(default_registry(), environment, today)


def allowed_in(step: ProcessingStep) -> set[str]:
    out = set()
    for env in ("evaluator", "srs_research", "srs_archive"):
        try:
            gate(env).require(step)
        except PolicyViolation:
            continue
        out.add(env)
    return out


def test_every_declared_step_runs_where_its_data_may_be_held() -> None:
    where = {name: allowed_in(step) for name, step in PIPELINE_STEPS.items()}
    assert where["ingest"] == {"evaluator", "srs_research"}
    assert where["linkage"] == where["cohort"] == where["analysis"] == {"srs_research"}
    assert where["archive"] == {"srs_archive"}
    assert where["transcription"] == {"evaluator"}
    assert all(where.values()), where


def test_undeclared_category_is_refused() -> None:
    with pytest.raises(PolicyViolation) as info:
        gate().require(PIPELINE_STEPS["cohort"], ["contact_details"])
    assert "did not declare" in info.value.what and "contact_details" in info.value.what
    assert info.value.where.column == "cohort"


def test_purpose_that_does_not_cover_the_data_is_refused() -> None:
    step = ProcessingStep(
        "contact_export", "export", "impact_evaluation", reads=("contact_details",)
    )
    with pytest.raises(PolicyViolation) as info:
        require(step, registry=default_registry(), environment="evaluator")
    assert "does not cover" in info.value.what and "contact_details" in info.value.what
    assert "covers" in info.value.fix


def test_unknown_purpose_is_refused_with_suggestion() -> None:
    step = ProcessingStep("cohort", "cohort", "impact_evalution", reads=("age",))
    with pytest.raises(PolicyViolation) as info:
        gate().require(step)
    assert "impact_evaluation" in info.value.fix


def test_dfe_data_may_not_be_loaded_on_evaluator_systems() -> None:
    with pytest.raises(PolicyViolation) as info:
        gate("evaluator").require(PIPELINE_STEPS["linkage"])
    assert "dfe_education_extract" in info.value.what and "srs_research" in info.value.what
    gate("srs_research").require(PIPELINE_STEPS["linkage"])


def test_interview_data_may_not_be_held_in_the_archive() -> None:
    with pytest.raises(PolicyViolation, match="may not be held"):
        gate("srs_archive").require(PIPELINE_STEPS["transcription"])


def test_decision_about_a_person_is_refused() -> None:
    step = ProcessingStep("flag_child", "analysis", "impact_evaluation", reads=("age",),
                          outputs=("decision_about_person",))  # fmt: skip
    with pytest.raises(PolicyViolation, match="decision about a person"):
        gate().require(step)


def test_lapsed_recipient_review_refuses_sharing() -> None:
    recipient = default_registry().recipient("transcription_service")
    check_recipient("transcription_service", recipient.next_review)  # last day still fine
    with pytest.raises(PolicyViolation) as info:
        check_recipient("transcription_service", recipient.next_review + dt.timedelta(days=1))
    assert "lapsed" in info.value.what
    with pytest.raises(PolicyViolation, match="lapsed"):
        gate(today=recipient.next_review + dt.timedelta(days=1)).require(
            PIPELINE_STEPS["transcription"]
        )


def test_recipient_gets_only_its_minimum_set() -> None:
    with pytest.raises(PolicyViolation, match="may not receive"):
        check_recipient("transcription_service", TODAY, categories=["contact_details"])
    check_recipient("transcription_service", TODAY, categories=["interview_data"])


def test_non_uk_recipient_is_refused() -> None:
    registry = default_registry()
    abroad = registry.recipient("archive_provider").model_copy(update={"country": "US"})
    changed = registry.model_copy(update={"recipients": [abroad, *registry.recipients[1:]]})
    with pytest.raises(PolicyViolation, match="outside the UK"):
        check_recipient("archive_provider", TODAY, registry=changed)
    with pytest.raises(PolicyViolation, match="unknown recipient"):
        check_recipient("archive_providr", TODAY)


def test_decorator_and_context_manager_stop_before_the_body() -> None:
    touched: list[str] = []
    evaluator = gate("evaluator")

    @evaluator.step(PIPELINE_STEPS["linkage"])
    def link() -> None:
        touched.append("link")

    with pytest.raises(PolicyViolation):
        link()
    with pytest.raises(PolicyViolation), evaluator.use(PIPELINE_STEPS["linkage"]):
        touched.append("with")
    assert touched == []

    @gate("srs_research").step(PIPELINE_STEPS["linkage"])
    def link_in_srs() -> str:
        return "linked"

    assert link_in_srs() == "linked"


def test_gate_for_workspace_reads_environment_and_policy(tmp_path: Path, variant: Variant) -> None:
    (tmp_path / "steward.toml").write_text('workspace_id = "w1"\nenvironment = "srs_archive"\n')
    variant(("  - id: archiving\n", "  - id: archiving\n"))
    workspace_gate = gate_for_workspace(tmp_path, today=TODAY)
    assert workspace_gate.environment == "srs_archive"
    workspace_gate.require(PIPELINE_STEPS["archive"])
    with pytest.raises(PolicyViolation):
        workspace_gate.require(PIPELINE_STEPS["cohort"])


def test_gate_parses_an_unchanged_policy_once_and_checks_an_edited_one(
    tmp_path: Path, variant: Variant
) -> None:
    (tmp_path / "steward.toml").write_text('workspace_id = "w1"\nenvironment = "srs_research"\n')
    npd = "    sources: [dfe_srs]\n    held_in: [srs_research]\n    listed_in_notice: false\n"
    variant()
    first, again = gate_for_workspace(tmp_path), gate_for_workspace(tmp_path)
    assert again.registry is first.registry
    again.check_can_hold(["dfe_education_extract"])
    # Edited straight after (same second): the new text is read, parsed and enforced.
    variant((npd, npd.replace("[srs_research]", "[srs_archive]")))
    edited = gate_for_workspace(tmp_path)
    assert edited.registry is not first.registry
    with pytest.raises(PolicyViolation, match="may not be held in the 'srs_research'"):
        edited.check_can_hold(["dfe_education_extract"])
    # A broken policy is refused on every load, never answered from an earlier parse.
    variant(("covers: [participant_admin]", "covers: [participant_admn]"))
    for _ in range(2):
        with pytest.raises(RegistryError):
            gate_for_workspace(tmp_path)


def test_store_may_not_hold_a_category_outside_its_environment() -> None:
    gate("srs_research").check_can_hold(["dfe_education_extract", "ethnicity"])
    with pytest.raises(PolicyViolation) as info:
        gate("evaluator").check_can_hold(["age", "dfe_education_extract"])
    assert "'dfe_education_extract' may not be held in the 'evaluator'" in info.value.what
    with pytest.raises(PolicyViolation, match="may not be held"):
        gate("srs_archive").check_can_hold(["direct_collection_data"])
    with pytest.raises(PolicyViolation, match="Did you mean 'ethnicity'"):
        gate().check_can_hold(["ethnicty"])
