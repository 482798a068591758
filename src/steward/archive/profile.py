"""The archive profile: which columns go into the archive package and how they are anonymised.

A profile is a small YAML file (the No Wrong Door one ships beside this module). It names the
person-level dataset's columns to archive, the quasi-identifiers with the kind of hierarchy
each is generalised along, the privacy models (k, optional l-diversity on an outcome), the
highest prosecutor risk the package may carry and how many records may be suppressed.
Every problem is a ``ConfigError`` naming the profile file and the field.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from steward.anonymise import METRICS
from steward.errors import ConfigError, Location

DEFAULT_PROFILE = Path(__file__).with_name("no_wrong_door_archive.yaml")

HierarchyKind = Literal["age_months", "date", "ethnicity", "local_authority", "gender", "flag"]


class LinkedTable(BaseModel):
    """A further table joined to the person-level dataset by ``child_pid`` (first row per child).

    ``columns`` maps each column to archive to its data category; the category of a research
    store column is always taken from the store schema, so ``null`` is enough there.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str
    columns: dict[str, str | None] = Field(min_length=1)


class ArchiveProfile(BaseModel):
    """What goes into an archive package and the anonymisation it must pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    dataset: Literal["referrals"] = "referrals"
    columns: list[str] = Field(min_length=1)
    quasi_identifiers: dict[str, HierarchyKind] = Field(min_length=1)
    linked: list[LinkedTable] = Field(default_factory=list)
    k: int = Field(default=10, ge=2)
    sensitive: str | None = None
    l: int | None = Field(default=None, ge=2)  # noqa: E741 - the model is called l-diversity
    max_prosecutor_risk: float = Field(default=0.1, gt=0, le=1)
    suppression_limit: float = Field(default=0.05, ge=0, le=1)
    metric: str = "loss"
    sampling_fraction: float = Field(default=1.0, gt=0, le=1)
    # Where the profile was read from, for messages; not part of the profile itself.
    source: str | None = Field(default=None, exclude=True)

    def archived_columns(self) -> list[str]:
        """Every column of the package other than the archive id, in package order."""
        linked = [c for t in self.linked for c in t.columns if c not in self.columns]
        return [*self.columns, *linked]

    def digest(self) -> str:
        """SHA-256 of the profile's canonical JSON, for the manifest."""
        return hashlib.sha256(self.model_dump_json().encode("utf-8")).hexdigest()

    def where(self, field: str) -> Location:
        """The location of one field of this profile, for error messages."""
        return Location(file=self.source or "archive profile", column=field)


def load_profile(path: Path | None = None) -> ArchiveProfile:
    """Read an archive profile (the shipped No Wrong Door profile when ``path`` is None)."""
    path = path or DEFAULT_PROFILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            what=f"The archive profile {path} does not exist",
            fix="Check the path given with --profile, or leave it out for the shipped profile.",
            where=Location(file=str(path)),
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            what=f"The archive profile is not valid YAML: {getattr(exc, 'problem', exc)}",
            fix="Correct the YAML syntax (indentation, colons, quotes).",
            where=Location(file=str(path), row=mark.line + 1 if mark else None),
        ) from None
    return parse_profile(data, source=str(path))


def parse_profile(data: Any, *, source: str = "archive profile") -> ArchiveProfile:
    """Check a profile given as plain data; ``source`` names it in messages."""
    if not isinstance(data, dict):
        raise ConfigError(
            what="The archive profile is not a mapping of fields",
            fix="Write the profile as 'field: value' lines (see the shipped profile).",
            where=Location(file=source),
        )
    try:
        profile = ArchiveProfile.model_validate({**data, "source": source})
    except PydanticValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise ConfigError(
            what=f"The archive profile field {field!r} is wrong: {error['msg']}",
            fix=_field_fix(field),
            where=Location(file=source, column=field),
        ) from None
    _check_internal(profile)
    return profile


def _field_fix(field: str) -> str:
    top = field.split(".")[0]
    fixes = {
        "quasi_identifiers": "Give each quasi-identifier one of the hierarchy kinds: "
        "age_months, date, ethnicity, local_authority, gender, flag.",
        "k": "Give k of at least 2 (the research services' threshold is 10).",
        "l": "Give l of at least 2, or null to switch l-diversity off.",
        "max_prosecutor_risk": "Give the highest acceptable risk, e.g. 0.1 (= 1/k).",
    }
    return fixes.get(top, "Correct the field as the shipped profile shows it.")


def _check_internal(profile: ArchiveProfile) -> None:
    """References inside the profile: quasi-identifiers and the sensitive column are archived."""
    archived = profile.archived_columns()
    if len(set(profile.columns)) != len(profile.columns):
        twice = sorted({c for c in profile.columns if profile.columns.count(c) > 1})[0]
        raise ConfigError(
            what=f"The column {twice!r} is listed twice",
            fix="List each column once.",
            where=profile.where("columns"),
        )
    for name in profile.quasi_identifiers:
        if name not in archived:
            raise ConfigError(
                what=f"The quasi-identifier {name!r} is not one of the archived columns",
                fix="Add it to 'columns', or remove it from 'quasi_identifiers'.",
                where=profile.where(f"quasi_identifiers.{name}"),
            )
    if profile.sensitive is not None:
        if profile.sensitive not in archived:
            raise ConfigError(
                what=f"The sensitive column {profile.sensitive!r} is not archived",
                fix="Add it to 'columns', or set 'sensitive' to null.",
                where=profile.where("sensitive"),
            )
        if profile.sensitive in profile.quasi_identifiers:
            raise ConfigError(
                what=f"{profile.sensitive!r} is both a quasi-identifier and the sensitive column",
                fix="A column is either generalised or protected by l-diversity, not both.",
                where=profile.where("sensitive"),
            )
    if profile.l is not None and profile.sensitive is None:
        raise ConfigError(
            what="l-diversity is set but no sensitive column is named",
            fix="Name the outcome column in 'sensitive', or set 'l' to null.",
            where=profile.where("l"),
        )
    if profile.metric not in METRICS:
        raise ConfigError(
            what=f"Unknown utility metric {profile.metric!r}",
            fix=f"Use one of: {', '.join(METRICS)}.",
            where=profile.where("metric"),
        )
    if "archive_id" in archived:
        raise ConfigError(
            what="'archive_id' is reserved for the fresh ids the build draws",
            fix="Remove 'archive_id' from the profile's columns.",
            where=profile.where("columns"),
        )


def check_columns(profile: ArchiveProfile, available: dict[str, str]) -> None:
    """Every column the profile names exists in the dataset it archives (``available``)."""
    for index, name in enumerate(profile.columns):
        if name not in available:
            raise ConfigError(
                what=f"The archive profile names a column {name!r} that the "
                f"{profile.dataset} dataset does not have",
                fix=f"Use only its columns: {', '.join(available)}.",
                where=profile.where(f"columns[{index}]"),
            )
