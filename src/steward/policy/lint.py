"""``steward policy lint``: the registry against itself, the store schema and the pipeline steps.

A clean lint means: every store column has a data category; every purpose has a lawful basis
(and a recorded balancing test if it is legitimate interests); special category data has an
Art. 9 condition; every recipient is in the UK; every step's purpose covers the data it uses;
and no step makes a decision about a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import yaml

from steward.policy.findings import Finding, suggest
from steward.policy.guard import PIPELINE_STEPS, ProcessingStep
from steward.policy.loader import UK_COUNTRY_CODES, _line_map, _Locator
from steward.policy.model import Registry

ColumnCategory = tuple[str, str, str | None]
STORE_SCHEMA = "steward.store.schema"


def lint(
    registry: Registry,
    columns: Iterable[ColumnCategory] = (),
    steps: Iterable[ProcessingStep] | None = None,
    *,
    source: Path | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """Every problem found, errors first. ``columns`` are ``(table, column, category_id)``
    triples from the store schema; ``steps`` default to the pipeline's declared steps;
    ``source`` is the registry file, so findings name its lines."""
    locate = _Locator(str(source) if source else "policy.yaml", {})
    if source is not None and source.is_file():
        locate = _Locator(str(source), _line_map(yaml.compose(source.read_text("utf-8"))))
    findings = [
        *_registry_findings(registry, locate, today),
        *_column_findings(registry, columns),
        *_step_findings(registry, PIPELINE_STEPS.values() if steps is None else steps),
    ]
    return sorted(findings, key=lambda f: f.severity != "error")


def _registry_findings(
    registry: Registry, locate: _Locator, today: dt.date | None
) -> Iterable[Finding]:
    for i, purpose in enumerate(registry.purposes):
        path = ("purposes", i)
        basis = registry.lawful_basis(purpose.id)
        if basis is None:
            yield locate.finding(
                "purpose_without_lawful_basis", (*path, "lawful_basis"),
                f"purpose {purpose.id!r} has no lawful basis (UK GDPR Art. 6)",
                "Add 'lawful_basis: {basis: ...}' to the purpose, or make it refine one that has.",
            )  # fmt: skip
        elif (
            purpose.lawful_basis is not None  # an inherited basis is reported at its parent
            and basis.basis == "legitimate_interests"
            and basis.balancing_test is None
        ):
            yield locate.finding(
                "legitimate_interests_without_balancing_test", (*path, "lawful_basis"),
                f"purpose {purpose.id!r} relies on legitimate interests without a recorded "
                "balancing test",
                "Record the legitimate interests assessment under 'balancing_test' "
                "(reference, recorded_on, summary).",
            )  # fmt: skip
        special = sorted(c for c in registry.covered(purpose.id) if registry.category(c).special)
        if special and registry.special_condition(purpose.id) is None:
            yield locate.finding(
                "special_category_without_condition", (*path, "covers"),
                f"purpose {purpose.id!r} covers special category data {special} without an "
                "Art. 9 condition",
                "Add 'special_category_condition' (Art. 9(2) article, DPA 2018 Schedule 1 "
                "condition, Art. 84B safeguards) or remove the special categories.",
            )  # fmt: skip
        if purpose.refines is not None:
            beyond = registry.covered(purpose.id) - registry.covered(purpose.refines)
            if beyond:
                yield locate.finding(
                    "refinement_beyond_parent", (*path, "covers"),
                    f"purpose {purpose.id!r} refines {purpose.refines!r} but covers "
                    f"{sorted(beyond)} which that purpose does not",
                    "A refining purpose may only narrow its parent: add the categories to the "
                    "parent or give this purpose its own lawful basis and stop refining.",
                )  # fmt: skip
    for i, recipient in enumerate(registry.recipients):
        if recipient.country.upper() not in UK_COUNTRY_CODES:
            yield locate.finding(
                "recipient_outside_uk", ("recipients", i, "country"),
                f"recipient {recipient.id!r} is outside the UK ({recipient.country})",
                "Personal data must never leave the UK: use a UK-based recipient.",
            )  # fmt: skip
        if today is not None and today > recipient.next_review:
            finding = locate.finding(
                "recipient_review_lapsed", ("recipients", i, "next_review"),
                f"the review of recipient {recipient.id!r} lapsed on {recipient.next_review}",
                "Review the recipient and record the new 'next_review' date; sharing is "
                "refused until then.",
            )  # fmt: skip
            yield Finding(**{**finding.__dict__, "severity": "warning"})
    purposed = set().union(*(registry.covered(p.id) for p in registry.purposes))
    for i, category in enumerate(registry.data_categories):
        if category.id not in purposed:
            yield locate.finding(
                "category_without_purpose", ("data_categories", i),
                f"data category {category.id!r} is covered by no purpose",
                "Add it to the 'covers' of the purpose it is processed for, or remove it.",
            )  # fmt: skip
        if registry.retention_rule(category.id) is None:
            yield locate.finding(
                "category_without_retention", ("data_categories", i),
                f"data category {category.id!r} has no retention rule",
                "Add it (or a group including it) to a rule's 'applies_to' under 'retention'.",
            )  # fmt: skip
        if not category.archivable and "srs_archive" in category.held_in:
            yield locate.finding(
                "unarchivable_in_archive", ("data_categories", i, "held_in"),
                f"{category.id!r} is never archived but may be held in srs_archive",
                "Remove srs_archive from its 'held_in'.",
            )  # fmt: skip


def _column_findings(registry: Registry, columns: Iterable[ColumnCategory]) -> Iterable[Finding]:
    valid = registry.category_ids
    for table, column, category in columns:
        file, field = STORE_SCHEMA, f"{table}.{column}"
        if not category:
            yield Finding(
                "column_without_category", f"store column {table}.{column} has no data category",
                "Give the column a category id from policy.yaml in the store schema.", file=file, field=field,
            )  # fmt: skip
        elif category not in valid:
            yield Finding(
                "column_unknown_category",
                f"store column {table}.{column} has unknown category {category!r}",
                suggest(category, valid), file=file, field=field,
            )  # fmt: skip


def _step_findings(registry: Registry, steps: Iterable[ProcessingStep]) -> Iterable[Finding]:
    purposes = {p.id for p in registry.purposes}
    names = registry.category_ids | registry.group_ids
    for step in steps:
        file, field = step.declared_in, step.name
        if step.purpose not in purposes:
            yield Finding("step_unknown_purpose",
                          f"step {step.name!r} declares unknown purpose {step.purpose!r}",
                          suggest(step.purpose, purposes), file=file, field=field)  # fmt: skip
            continue
        unknown = [c for c in step.uses if c not in names]
        for name in unknown:
            yield Finding("step_unknown_category",
                          f"step {step.name!r} uses unknown category {name!r}",
                          suggest(name, names), file=file, field=field)  # fmt: skip
        uncovered = registry.expand(c for c in step.uses if c in names) - registry.covered(
            step.purpose
        )
        if uncovered:
            yield Finding(
                "step_purpose_mismatch",
                f"step {step.name!r} ({step.kind}) reads or writes {sorted(uncovered)}, which its "
                f"purpose {step.purpose!r} does not cover",
                "Declare a purpose that covers the data, or add it to the purpose's 'covers' "
                "(and the privacy notice).", file=file, field=field,
            )  # fmt: skip
        if "decision_about_person" in step.outputs and not registry.automated_decision_making:
            yield Finding(
                "automated_decision", f"step {step.name!r} outputs a decision about a person",
                "The registry (and the notice) declare no automated decision-making: change the "
                "step's output to a research table or aggregate.", file=file, field=field,
            )  # fmt: skip
        if step.kind in ("archive", "anonymise"):
            never = sorted(
                c for c in registry.expand(step.uses) & registry.category_ids
                if not registry.category(c).archivable
            )  # fmt: skip
            if never:
                yield Finding("unarchivable_in_archive",
                              f"step {step.name!r} would archive {never}, which is never archived",
                              "Drop these categories from the archive step.", file=file, field=field)  # fmt: skip
        if step.recipient is not None:
            known = {r.id for r in registry.recipients}
            if step.recipient not in known:
                yield Finding("step_unknown_recipient",
                              f"step {step.name!r} shares with unknown recipient {step.recipient!r}",
                              suggest(step.recipient, known), file=file, field=field)  # fmt: skip
            else:
                allowed = registry.expand(registry.recipient(step.recipient).receives)
                extra = registry.expand(c for c in step.reads if c in names) - allowed
                if extra:
                    yield Finding(
                        "recipient_beyond_minimum",
                        f"step {step.name!r} would share {sorted(extra)} with "
                        f"{step.recipient!r}, beyond what it may receive",
                        "Share only the recipient's 'receives' set.", file=file, field=field,
                    )  # fmt: skip


def store_columns() -> tuple[list[ColumnCategory], str | None]:
    """The store schema's (table, column, category) triples, or [] and a note if unavailable."""
    try:
        from steward.store import schema  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return [], f"{STORE_SCHEMA} is not available yet; store columns were not checked."
    for name in ("column_categories", "columns_with_categories", "column_category_triples"):
        func = getattr(schema, name, None)
        if callable(func):
            return [(str(t), str(c), cat) for t, c, cat in func()], None
    return [], f"{STORE_SCHEMA} lists no column categories; store columns were not checked."
