"""A study definition (YAML) as typed data: clusters, go-live dates, periods, cohort rules.

The No Wrong Door definition ships with Steward; another evaluation (e.g. Family Safeguarding)
is another YAML file with the same fields, no code change. Unknown fields are refused.
"""

from __future__ import annotations

import datetime as dt
import itertools
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from steward.errors import ConfigError, Location

CohortSources = Literal["evaluation_returns", "statutory_returns"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateRange(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"ends ({self.end}) before it starts ({self.start})")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class StudyLocalAuthority(_Strict):
    code: str
    name: str
    go_live: dt.date
    readiness: Literal["high", "low"] = "low"
    in_primary_analysis: bool = True


class Period(DateRange):
    name: str


class AgeRange(_Strict):
    min: int = Field(ge=0)
    max: int = Field(ge=0)


class Eligibility(_Strict):
    index_event: Literal["first_referral"] = "first_referral"
    age_years: AgeRange


class Outcome(_Strict):
    name: str
    event: Literal["first_period_of_care"] = "first_period_of_care"
    within_months: int = Field(gt=0)
    censor_at_age_years: int = Field(gt=0)


class SecondaryOutcome(_Strict):
    name: str
    kind: Literal[
        "re_referral", "cpp_count", "cpp_days", "cin_plan_days", "care_proceedings",
        "looked_after", "neet", "absence_rate", "persistent_absence",
    ]  # fmt: skip
    within_months: int = Field(default=12, gt=0)
    label: str = ""


class ModelSpec(_Strict):
    response: str
    group: str
    fixed: list[str] = Field(min_length=1)
    interactions: list[str] = Field(default_factory=list)
    agq_nodes: int = Field(default=7, ge=2, le=25)
    imputations: list[int] = Field(default_factory=lambda: [5, 10])
    seed: int = 2019


class SdcSettings(_Strict):
    safe_threshold: int = 10
    safe_dof_threshold: int = 10
    safe_nk_n: int = 2
    safe_nk_k: float = 0.90
    safe_pratio_p: float = 0.10
    zeros_are_disclosive: bool = True
    rounding_base: int | None = None


class StudyDefinition(_Strict):
    id: str
    name: str
    design: Literal["stepped_wedge", "parallel_cluster"]
    trial_period: DateRange
    local_authorities: list[StudyLocalAuthority] = Field(min_length=1)
    periods: list[Period] = Field(min_length=1)
    eligibility: Eligibility
    outcome: Outcome
    cross_contamination_days: int = Field(ge=0, default=0)
    covariates: list[str] = Field(default_factory=list)
    reference_levels: dict[str, str] = Field(default_factory=dict)
    la_indicators: list[str] = Field(default_factory=list)
    primary_la_indicator: str | None = None
    models: ModelSpec
    secondary_outcomes: list[SecondaryOutcome] = Field(default_factory=list)
    # Which store tables the cohort reads: the evaluation's own returns (DR1-DR3) or the
    # statutory returns every LA sends DfE (CIN census, SSDA903), for national studies.
    sources: CohortSources = "evaluation_returns"
    sdc: SdcSettings = Field(default_factory=SdcSettings)

    @model_validator(mode="after")
    def _consistent(self) -> StudyDefinition:
        codes = [la.code for la in self.local_authorities]
        if len(set(codes)) != len(codes):
            raise ValueError("a local authority code appears twice in local_authorities")
        ordered = sorted(self.periods, key=lambda p: p.start)
        for before, after in itertools.pairwise(ordered):
            if after.start <= before.end:
                raise ValueError(f"periods {before.name!r} and {after.name!r} overlap")
        if self.primary_la_indicator and self.primary_la_indicator not in self.la_indicators:
            raise ValueError("primary_la_indicator must be one of la_indicators")
        return self

    def la(self, code: str) -> StudyLocalAuthority | None:
        return next((la for la in self.local_authorities if la.code == code), None)

    def period_of(self, day: dt.date) -> str | None:
        return next((p.name for p in self.periods if p.contains(day)), None)


SHIPPED = ("no_wrong_door", "national")


def load_study(name_or_path: str | Path) -> StudyDefinition:
    """A shipped study by name, or a YAML file; errors name the file and field and how to fix."""
    if isinstance(name_or_path, str) and name_or_path in SHIPPED:
        text = resources.files("steward.study").joinpath(f"{name_or_path}.yaml").read_text("utf-8")
        source = f"{name_or_path}.yaml (shipped)"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ConfigError(
                what=f"study definition {name_or_path!s} not found",
                fix=f"Use one of the shipped studies ({', '.join(SHIPPED)}) or a path to a YAML file.",
                where=Location(file=str(path)),
            )
        text, source = path.read_text("utf-8"), str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            what=f"study definition is not valid YAML: {exc}",
            fix="Fix the YAML syntax at the line shown.",
            where=Location(file=source),
        ) from exc
    try:
        return StudyDefinition.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        hint = (
            "Remove it or check its spelling against the shipped no_wrong_door.yaml."
            if err["type"] == "extra_forbidden"
            else "Correct this field; the shipped no_wrong_door.yaml shows every field."
        )
        raise ConfigError(
            what=f"study definition field {field!r}: {err['msg']}",
            fix=hint,
            where=Location(file=source, column=field),
        ) from exc
