"""The lint: clean on the shipped registry; one test per kind of failure, each located."""

from __future__ import annotations

import dataclasses
import datetime as dt

from steward.policy.guard import PIPELINE_STEPS, ProcessingStep
from steward.policy.lint import lint
from steward.policy.loader import DEFAULT_REGISTRY, default_registry, load_registry
from steward.policy.model import LawfulBasis, Registry

from .conftest import Variant, line_of

COLUMNS = [
    ("child", "child_pseudonym", "identifier_pseudonymised"),
    ("child", "birth_year_month", "birth_year_month"),
    ("child", "ethnicity", "ethnicity"),
    ("child", "disability", "disability"),
    ("referral", "referral_date", "social_care_event"),
    ("child", "source_file_sha256", "provenance"),
]


def errors(findings: list) -> list:
    return [f for f in findings if f.severity == "error"]


def only(findings: list, code: str):  # type: ignore[no-untyped-def]
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, findings
    return found[0]


def test_default_registry_lints_clean() -> None:
    findings = lint(default_registry(), COLUMNS, source=DEFAULT_REGISTRY, today=dt.date(2026, 7, 1))
    assert findings == []


def test_store_column_without_category() -> None:
    findings = lint(default_registry(), [*COLUMNS, ("episode", "placement_type", None)])
    finding = only(findings, "column_without_category")
    assert finding.file == "steward.store.schema" and finding.field == "episode.placement_type"


def test_store_column_with_unknown_category_suggests() -> None:
    finding = only(lint(default_registry(), [("child", "sex", "gendr")]), "column_unknown_category")
    assert "Did you mean 'gender'?" in finding.fix


def test_special_category_without_art9_condition(variant: Variant) -> None:
    path = variant(("""    special_category_condition:
      article: "9(2)(g)"
      dpa_schedule_1: "Part 2, paragraph 6 (statutory etc. purposes)"
      safeguards: "Appropriate policy document (DPA 2018 Schedule 1 Part 4)"
      plain: When you ask for your data we may need to include your ethnicity or disability information, because the law requires us to answer your request.
""", ""))  # fmt: skip
    finding = only(lint(load_registry(path), source=path), "special_category_without_condition")
    assert "rights_handling" in finding.message and "ethnicity" in finding.message
    assert finding.line == line_of(path.read_text(), "    covers: [administrative_data, direct")
    assert finding.field == "purposes[4].covers"


def test_purpose_without_lawful_basis(variant: Variant) -> None:
    path = variant(("    lawful_basis:\n      basis: legal_obligation\n", ""))
    finding = only(lint(load_registry(path), source=path), "purpose_without_lawful_basis")
    assert "rights_handling" in finding.message and finding.file == str(path)
    assert finding.line == line_of(path.read_text(), "  - id: rights_handling")


def test_legitimate_interests_without_balancing_test() -> None:
    registry = default_registry()
    research = registry.purpose("evaluation_research")
    broken = research.model_copy(update={"lawful_basis": LawfulBasis(basis="legitimate_interests")})
    changed = registry.model_copy(
        update={"purposes": [broken if p.id == research.id else p for p in registry.purposes]}
    )
    finding = only(
        lint(changed, source=DEFAULT_REGISTRY), "legitimate_interests_without_balancing_test"
    )
    assert finding.field == "purposes[0].lawful_basis"
    assert finding.line == line_of(DEFAULT_REGISTRY.read_text(), "    lawful_basis:")


def test_recipient_outside_uk_built_in_code() -> None:
    # Loading refuses it; a registry changed in code is caught by the lint as well.
    registry = default_registry()
    abroad = registry.recipients[0].model_copy(update={"country": "IE"})
    changed = registry.model_copy(update={"recipients": [abroad, *registry.recipients[1:]]})
    finding = only(lint(changed, source=DEFAULT_REGISTRY), "recipient_outside_uk")
    assert finding.field == "recipients[0].country" and "IE" in finding.message


def test_step_whose_purpose_does_not_cover_what_it_reads() -> None:
    rogue = ProcessingStep("export_contacts", "export", "impact_evaluation",
                           reads=("contact_details", "la_aggregate"), declared_in="steward.report")  # fmt: skip
    findings = lint(default_registry(), steps=[*PIPELINE_STEPS.values(), rogue])
    finding = only(findings, "step_purpose_mismatch")
    assert finding.file == "steward.report" and finding.field == "export_contacts"
    assert "contact_details" in finding.message and "la_aggregate" not in finding.message


def test_step_with_unknown_purpose_suggests() -> None:
    step = ProcessingStep("cohort", "cohort", "impact_evaluaton", reads=("age",))
    finding = only(lint(default_registry(), steps=[step]), "step_unknown_purpose")
    assert "impact_evaluation" in finding.fix


def test_no_step_may_decide_about_a_person() -> None:
    scoring = ProcessingStep("risk_score", "analysis", "impact_evaluation",
                             reads=("social_care_event",), outputs=("decision_about_person",))  # fmt: skip
    finding = only(lint(default_registry(), steps=[scoring]), "automated_decision")
    assert "risk_score" in finding.message


def test_archive_step_may_not_archive_interviews() -> None:
    step = dataclasses.replace(
        PIPELINE_STEPS["anonymise"], writes=("anonymised_archive", "interview_data")
    )
    codes = {f.code for f in lint(default_registry(), steps=[step])}
    assert "unarchivable_in_archive" in codes


def test_lapsed_recipient_review_is_a_warning() -> None:
    findings = lint(default_registry(), today=dt.date(2027, 3, 15))
    assert errors(findings) == []
    warning = only(findings, "recipient_review_lapsed")
    assert warning.severity == "warning" and "transcription_service" in warning.message


def test_category_without_retention_rule(variant: Variant) -> None:
    path = variant(("applies_to: [anonymised_archive]", "applies_to: [la_aggregate]"))
    registry: Registry = load_registry(path)
    finding = only(lint(registry, source=path), "category_without_retention")
    assert "anonymised_archive" in finding.message


def test_category_without_purpose(variant: Variant) -> None:
    path = variant(
        ("    categories: [contact_details, consent_record]", "    categories: [contact_details]")
    )
    registry = load_registry(path)
    finding = only(lint(registry, source=path), "category_without_purpose")
    assert "consent_record" in finding.message
    assert finding.line == line_of(path.read_text(), "  - id: consent_record")
