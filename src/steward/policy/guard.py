"""Run-time purpose checks: every pipeline step says why it touches which data, before it does.

A step is declared once (a ``ProcessingStep``: its kind, its purpose, the categories it reads and
writes, what it outputs and to whom). ``require`` checks the declaration against the registry and
the workspace's environment and raises ``PolicyViolation`` before any data is read, so an
undeclared use, data in the wrong place or sharing with an unapproved recipient never starts.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, ParamSpec, TypeVar

from steward.errors import Location, PolicyViolation
from steward.policy.findings import suggest
from steward.policy.loader import (
    UK_COUNTRY_CODES,
    default_registry,
    load_registry_once,
    registry_path,
)
from steward.policy.model import Recipient, Registry

StepKind = Literal[
    "ingest", "pseudonymise", "linkage", "cohort", "analysis", "export", "anonymise", "archive",
    "transcription", "participant_contact", "rights_access", "retention",
]  # fmt: skip
# What a step produces. A 'decision_about_person' would be automated decision-making, which the
# registry declares does not happen (and Art 84C forbids for research safeguards).
OutputKind = Literal[
    "research_table", "aggregate_table", "archive_package", "rights_response", "shared_file",
    "decision_about_person",
]  # fmt: skip
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ProcessingStep:
    """A pipeline step's declaration: why (purpose) it reads and writes which categories."""

    name: str
    kind: StepKind
    purpose: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    outputs: tuple[OutputKind, ...] = ()
    recipient: str | None = None
    declared_in: str = "steward.policy.guard"

    @property
    def uses(self) -> tuple[str, ...]:
        return self.reads + self.writes


_ADMIN = ("administrative_data",)
PIPELINE_STEPS: dict[str, ProcessingStep] = {
    step.name: step
    for step in (
        ProcessingStep("ingest", "ingest", "evaluation_research", _ADMIN, _ADMIN,
                       ("research_table",)),
        ProcessingStep("pseudonymise", "pseudonymise", "evaluation_research", _ADMIN, _ADMIN,
                       ("research_table",)),
        # Linkage compares birth year-month and sex across sources (conflict checks and the
        # optional probabilistic match) as well as the pseudonyms themselves.
        ProcessingStep("linkage", "linkage", "impact_evaluation",
                       ("identifier_pseudonymised", "birth_year_month", "gender",
                        "social_care_event", "dfe_education_extract"), ("education",),
                       ("research_table",)),
        ProcessingStep("cohort", "cohort", "impact_evaluation", (*_ADMIN, "education"), _ADMIN,
                       ("research_table",)),
        ProcessingStep("analysis", "analysis", "impact_evaluation", (*_ADMIN, "education"),
                       ("la_aggregate",), ("aggregate_table",)),
        ProcessingStep("export", "export", "impact_evaluation", ("la_aggregate",), (),
                       ("aggregate_table",)),
        # Anonymises inside the research instance; the package it outputs becomes
        # 'anonymised_archive' only when the archive step loads it in the archive instance.
        ProcessingStep("anonymise", "anonymise", "archiving", (*_ADMIN, "education"), (),
                       ("archive_package",)),
        ProcessingStep("archive", "archive", "archiving", ("anonymised_archive",), (),
                       ("archive_package",), recipient="archive_provider"),
        ProcessingStep("transcription", "transcription", "evaluation_research",
                       ("interview_data",), (), ("shared_file",),
                       recipient="transcription_service"),
        ProcessingStep("participant_contact", "participant_contact", "participant_contact",
                       ("participant_admin",), ("participant_admin",)),
        ProcessingStep("rights_access", "rights_access", "rights_handling",
                       (*_ADMIN, "direct_collection_data", "participant_admin"), (),
                       ("rights_response",)),
        ProcessingStep("retention", "retention", "evaluation_research",
                       (*_ADMIN, "direct_collection_data", "participant_admin"),
                       (*_ADMIN, "direct_collection_data", "participant_admin")),
    )
}  # fmt: skip


def _violation(step: ProcessingStep | None, what: str, fix: str) -> PolicyViolation:
    where = Location(file=step.declared_in, column=step.name) if step else Location()
    return PolicyViolation(what=what, fix=fix, where=where)


def check_recipient(
    recipient_id: str,
    today: dt.date,
    *,
    registry: Registry | None = None,
    categories: Iterable[str] = (),
    step: ProcessingStep | None = None,
) -> Recipient:
    """The recipient, if data in ``categories`` may be shared with it on ``today``.

    Refused: an unknown recipient, one outside the UK, one whose approval has not started or
    whose review has lapsed, or categories beyond the minimum set it may receive.
    """
    registry = registry or default_registry()
    known = {r.id for r in registry.recipients}
    if recipient_id not in known:
        raise _violation(step, f"unknown recipient {recipient_id!r}",
                         f"Declare it under 'recipients' in policy.yaml. {suggest(recipient_id, known)}")  # fmt: skip
    recipient = registry.recipient(recipient_id)
    if recipient.country.upper() not in UK_COUNTRY_CODES:
        raise _violation(step, f"recipient {recipient_id!r} is outside the UK ({recipient.country})",
                         "Personal data must never leave the UK: use a UK-based recipient.")  # fmt: skip
    if today < recipient.approved_on:
        raise _violation(step, f"recipient {recipient_id!r} is not approved until "
                         f"{recipient.approved_on.isoformat()}",
                         "Wait for the approval date or correct 'approved_on'.")  # fmt: skip
    if today > recipient.next_review:
        raise _violation(step, f"the review of recipient {recipient_id!r} lapsed on "
                         f"{recipient.next_review.isoformat()}",
                         "Review the recipient's measures, then record the new 'next_review' "
                         "date in policy.yaml before sharing again.")  # fmt: skip
    extra = registry.expand(categories) - registry.expand(recipient.receives)
    if extra:
        raise _violation(step, f"recipient {recipient_id!r} may not receive {sorted(extra)}",
                         "Share only its minimum field set ('receives' in policy.yaml).")  # fmt: skip
    return recipient


def check_can_hold(
    categories: Iterable[str],
    *,
    registry: Registry,
    environment: str,
    step: ProcessingStep | None = None,
) -> None:
    """Raise ``PolicyViolation`` if any category may not be held in ``environment``.

    The store calls this with a table's column categories before writing its first row, so DfE
    data never lands on the evaluator's systems and interview data never reaches the archive.
    """
    for cat_id in sorted(registry.expand(categories)):
        if cat_id not in registry.category_ids:
            raise _violation(step, f"unknown data category {cat_id!r}",
                             suggest(cat_id, registry.category_ids))  # fmt: skip
        held_in = registry.category(cat_id).held_in
        if environment not in held_in:
            raise _violation(step, f"{cat_id!r} may not be held in the {environment!r} "
                             f"environment (only in {', '.join(held_in)})",
                             "Run this in a workspace of an allowed environment (the "
                             "'environment' setting in steward.toml).")  # fmt: skip


def require(
    step: ProcessingStep,
    categories: Iterable[str] | None = None,
    *,
    registry: Registry,
    environment: str,
    today: dt.date | None = None,
) -> None:
    """Raise ``PolicyViolation`` unless ``step`` may touch ``categories`` (default: all it
    declares) in ``environment`` for its declared purpose."""
    purposes = {p.id for p in registry.purposes}
    if step.purpose not in purposes:
        raise _violation(step, f"step {step.name!r} declares unknown purpose {step.purpose!r}",
                         f"Declare the purpose in policy.yaml. {suggest(step.purpose, purposes)}")  # fmt: skip
    wanted = registry.expand(step.uses if categories is None else categories)
    unknown = wanted - registry.category_ids
    if unknown:
        name = sorted(unknown)[0]
        raise _violation(step, f"step {step.name!r} uses unknown data category {name!r}",
                         suggest(name, registry.category_ids | registry.group_ids))  # fmt: skip
    undeclared = wanted - registry.expand(step.uses)
    if undeclared:
        raise _violation(step, f"step {step.name!r} did not declare that it uses {sorted(undeclared)}",
                         "Add the categories to the step's reads/writes, and make sure its "
                         "purpose covers them in policy.yaml.")  # fmt: skip
    uncovered = wanted - registry.covered(step.purpose)
    if uncovered:
        raise _violation(step, f"purpose {step.purpose!r} of step {step.name!r} does not cover "
                         f"{sorted(uncovered)}",
                         "Use a purpose that covers this data, or add it to the purpose's "
                         "'covers' in policy.yaml (and to the privacy notice).")  # fmt: skip
    check_can_hold(wanted, registry=registry, environment=environment, step=step)
    if "decision_about_person" in step.outputs and not registry.automated_decision_making:
        raise _violation(step, f"step {step.name!r} outputs a decision about a person",
                         "The registry declares no automated decision-making; outputs must be "
                         "research tables or aggregates.")  # fmt: skip
    if step.recipient is not None:
        check_recipient(step.recipient, today or dt.date.today(), registry=registry,
                        categories=wanted, step=step)  # fmt: skip


@dataclass(frozen=True)
class PolicyGate:
    """The registry and environment of one workspace, for checking steps as they start."""

    registry: Registry
    environment: str
    today: dt.date | None = None

    def check_can_hold(self, categories: Iterable[str]) -> None:
        """``check_can_hold`` in this gate's environment."""
        check_can_hold(categories, registry=self.registry, environment=self.environment)

    def require(self, step: ProcessingStep, categories: Iterable[str] | None = None) -> None:
        """``require`` with this gate's registry, environment and date."""
        require(step, categories, registry=self.registry, environment=self.environment,
                today=self.today)  # fmt: skip

    @contextmanager
    def use(self, step: ProcessingStep, categories: Iterable[str] | None = None) -> Iterator[None]:
        """``with gate.use(step): ...`` runs the body only if the step is allowed."""
        self.require(step, categories)
        yield

    def step(self, step: ProcessingStep) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Decorator: check ``step`` each time the function is called, before its body runs."""

        def wrap(func: Callable[P, R]) -> Callable[P, R]:
            @functools.wraps(func)
            def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
                self.require(step)
                return func(*args, **kwargs)

            return guarded

        return wrap


def gate_for_workspace(workspace: Path, *, today: dt.date | None = None) -> PolicyGate:
    """The gate of a workspace: its policy.yaml (or the default) and its declared environment.

    The policy is parsed once per process while the file is unchanged; every check still runs.
    """
    from steward.config import SETTINGS_FILE, Settings, load_settings

    settings = load_settings(workspace) if (workspace / SETTINGS_FILE).is_file() else Settings()
    return PolicyGate(load_registry_once(registry_path(workspace)), settings.environment, today)
