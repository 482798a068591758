"""The policy registry as typed data: subjects, categories, purposes, recipients, retention.

The models only check the shape of each entry. References between entries (a purpose naming a
category, a group including a group) are resolved by ``loader.py``, which knows the file's line
numbers and can say where a bad reference is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

EnvironmentId = Literal["evaluator", "srs_research", "srs_archive"]
LawfulBasisKind = Literal[
    "consent", "contract", "legal_obligation", "vital_interests", "public_task",
    "legitimate_interests",
]  # fmt: skip
RetentionRuleKind = Literal["years_after_final_report", "licence_end", "indefinite"]
RecipientRetentionKind = Literal["indefinite", "days_after_completion", "as_controller"]

ARTICLE_6 = {
    "consent": "Article 6(1)(a) consent",
    "contract": "Article 6(1)(b) contract",
    "legal_obligation": "Article 6(1)(c) legal obligation",
    "vital_interests": "Article 6(1)(d) vital interests",
    "public_task": "Article 6(1)(e) public task",
    "legitimate_interests": "Article 6(1)(f) legitimate interests",
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    # YAML already turns 2026-06-30 into a date; anything else must be that same ISO text, so
    # 30/06/2026 or a bare number is refused rather than guessed at.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(f"date must be written YYYY-MM-DD (e.g. 2026-06-30), not {value!r}")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="snake_case identifier")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Controller(Strict):
    name: str
    short_name: str
    address: str
    email: str
    subject_line: str
    dpo_name: str
    dpo_email: str
    phone: str | None = None


class DataPeriod(Strict):
    start_year: int
    end_year: int


class Environment(Strict):
    id: EnvironmentId
    name: str
    description: str


class DataSubject(Strict):
    id: Id
    name: str
    heading: str


class Source(Strict):
    id: Id
    name: str
    plain: str
    collected_from_subject: bool


class DataCategory(Strict):
    id: Id
    name: str
    plain: str
    special: bool = False
    subjects: list[str] = Field(min_length=1)
    sources: list[str] = Field(min_length=1)
    held_in: list[EnvironmentId] = Field(min_length=1)
    archivable: bool = True
    # Technical categories (provenance, aggregates) are described elsewhere in the notice.
    listed_in_notice: bool = True


class CategoryGroup(Strict):
    id: Id
    categories: list[str] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list)


class BalancingTest(Strict):
    reference: str
    recorded_on: IsoDate
    summary: str


class LawfulBasis(Strict):
    basis: LawfulBasisKind
    balancing_test: BalancingTest | None = None

    @property
    def article(self) -> str:
        return ARTICLE_6[self.basis]


class SpecialCategoryCondition(Strict):
    article: str
    dpa_schedule_1: str
    safeguards: str
    plain: str


class Purpose(Strict):
    id: Id
    name: str
    plain: str
    covers: list[str] = Field(min_length=1)
    refines: str | None = None
    lawful_basis: LawfulBasis | None = None
    special_category_condition: SpecialCategoryCondition | None = None


class RecipientRetention(Strict):
    rule: RecipientRetentionKind
    days: int | None = Field(default=None, ge=0)


class Recipient(Strict):
    id: Id
    name: str
    category: str
    role: Literal["processor", "joint_controller", "controller"]
    country: str = Field(description="ISO 3166 alpha-2 code; only GB is allowed")
    receives: list[str] = Field(min_length=1)
    retention: RecipientRetention
    approved_on: IsoDate
    next_review: IsoDate


class RetentionRule(Strict):
    id: Id
    applies_to: list[str] = Field(min_length=1)
    rule: RetentionRuleKind
    years: int | None = Field(default=None, ge=0)
    plain: str


class Measure(Strict):
    id: Id
    plain: str
    addresses: list[str] = Field(default_factory=list)


class Right(Strict):
    id: Id
    plain: str
    bases: list[LawfulBasisKind] | None = None


class Complaints(Strict):
    acknowledge_within_days: int
    how: str
    ico_address: str
    ico_phone: str
    ico_url: str


class LawChange(Strict):
    id: Id
    act: str
    in_force: IsoDate
    summary: str
    requires_any: list[str] = Field(default_factory=list)
    stale_if_any: list[str] = Field(default_factory=list)
    fix: str


class Law(Strict):
    as_of: IsoDate
    rights_time_limit_months: int
    changes: list[LawChange] = Field(default_factory=list)


class Registry(Strict):
    """A whole policy registry. Build one with ``loader.load_registry``, which checks references."""

    version: Literal[1]
    study: str
    title: str
    controller: Controller
    local_authorities: list[str]
    data_period: DataPeriod
    automated_decision_making: bool
    environments: list[Environment]
    data_subjects: list[DataSubject]
    sources: list[Source]
    data_categories: list[DataCategory]
    category_groups: list[CategoryGroup] = Field(default_factory=list)
    purposes: list[Purpose]
    recipients: list[Recipient]
    retention: list[RetentionRule]
    measures: list[Measure]
    rights: list[Right]
    complaints: Complaints
    law: Law

    # -- look-ups --------------------------------------------------------------------------
    def category(self, category_id: str) -> DataCategory:
        """The category with this id (``KeyError`` if unknown)."""
        for cat in self.data_categories:
            if cat.id == category_id:
                return cat
        raise KeyError(category_id)

    def purpose(self, purpose_id: str) -> Purpose:
        """The purpose with this id (``KeyError`` if unknown)."""
        for purpose in self.purposes:
            if purpose.id == purpose_id:
                return purpose
        raise KeyError(purpose_id)

    def recipient(self, recipient_id: str) -> Recipient:
        """The recipient with this id (``KeyError`` if unknown)."""
        for recipient in self.recipients:
            if recipient.id == recipient_id:
                return recipient
        raise KeyError(recipient_id)

    @property
    def category_ids(self) -> set[str]:
        return {c.id for c in self.data_categories}

    @property
    def group_ids(self) -> set[str]:
        return {g.id for g in self.category_groups}

    def expand(self, names: Iterable[str]) -> set[str]:
        """Category ids named by ``names``, each a category or a group (groups expand fully)."""
        groups = {g.id: g for g in self.category_groups}
        out: set[str] = set()
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in groups:
                if name in seen:  # a cycle is reported by the loader; never loop on it here
                    continue
                seen.add(name)
                stack.extend(groups[name].categories)
                stack.extend(groups[name].includes)
            else:
                out.add(name)
        return out

    def purpose_chain(self, purpose_id: str) -> list[Purpose]:
        """The purpose and the purposes it refines, nearest first."""
        chain: list[Purpose] = []
        current: str | None = purpose_id
        while current is not None and all(p.id != current for p in chain):
            purpose = self.purpose(current)
            chain.append(purpose)
            current = purpose.refines
        return chain

    def lawful_basis(self, purpose_id: str) -> LawfulBasis | None:
        """The purpose's own lawful basis, else the one of the purpose it refines."""
        return next(
            (p.lawful_basis for p in self.purpose_chain(purpose_id) if p.lawful_basis), None
        )

    def special_condition(self, purpose_id: str) -> SpecialCategoryCondition | None:
        """The purpose's Art. 9 condition, inherited from the purpose it refines if not its own."""
        chain = self.purpose_chain(purpose_id)
        return next(
            (p.special_category_condition for p in chain if p.special_category_condition), None
        )

    def covered(self, purpose_id: str) -> set[str]:
        """Category ids a purpose covers (a refining purpose covers only what it lists)."""
        return self.expand(self.purpose(purpose_id).covers)

    def retention_rule(self, category_id: str) -> RetentionRule | None:
        """The retention rule that applies to a category, if any."""
        for rule in self.retention:
            if category_id in self.expand(rule.applies_to):
                return rule
        return None

    def subjects_of(self, subject_id: str) -> list[DataCategory]:
        """Categories held about one kind of data subject, in registry order."""
        return [c for c in self.data_categories if subject_id in c.subjects and c.listed_in_notice]
