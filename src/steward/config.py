"""Typed workspace settings, read from ``steward.toml`` and ``STEWARD_*`` environment variables.

Every field carries a description: ``steward init`` writes them as comments into the file it
creates, and a test checks that each one is documented in the README.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from steward.errors import ConfigError, Location

SETTINGS_FILE = "steward.toml"

Environment = Literal["evaluator", "srs_research", "srs_archive"]
Engine = Literal["duckdb", "spark"]


class Settings(BaseSettings):
    """The settings of one workspace."""

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="forbid")

    workspace_id: str = Field(
        default="",
        description="Random id of this workspace; names its keys in the key folder. Set by init.",
    )
    study: str = Field(
        default="no_wrong_door",
        description="Study definition to use: a name shipped with Steward or a path to a YAML file.",
    )
    environment: Environment = Field(
        default="evaluator",
        description=(
            "Which environment this workspace is: 'evaluator' (the evaluator's own systems), "
            "'srs_research' (a secure research service research instance) or 'srs_archive' "
            "(the archive instance). The policy registry says which data may be held where."
        ),
    )
    engine: Engine = Field(
        default="duckdb",
        description="Compute engine for the research store: 'duckdb' (embedded) or 'spark'.",
    )
    key_dir: Path | None = Field(
        default=None,
        description=(
            "Folder holding this workspace's keys, kept apart from the data. Default: the "
            "user's config folder (steward/keys/<workspace_id>). Must not be inside the workspace."
        ),
    )
    duckdb_memory_limit: str = Field(
        default="4GB",
        description="DuckDB memory limit; work beyond it spills to store/tmp on disk.",
    )
    duckdb_threads: int = Field(
        default=2, ge=1, description="Threads DuckDB may use for the research store."
    )
    ingest_workers: int = Field(
        default=2,
        ge=1,
        description=(
            "Worker processes that read, validate and pseudonymise submitted files in parallel "
            "during ingest; 1 does it all in the ingesting process. The store is written by "
            "the ingesting process alone, one file at a time in file order. With engine = "
            "'spark' ingest always uses 1 (Spark computes the pseudonyms)."
        ),
    )
    spark_master: str = Field(
        default="local[2]",
        description=(
            "Spark master URL when engine = 'spark': 'local[N]' runs on this machine with N "
            "cores; a cluster URL (spark://host:7077, yarn) runs on the cluster, whose executors "
            "must be able to read the workspace's store/lake folder."
        ),
    )
    spark_driver_memory: str = Field(
        default="4g", description="Memory of the Spark driver when engine = 'spark'."
    )
    final_report_date: dt.date = Field(
        default=dt.date(2026, 6, 30),
        description="Date of the study's final report; study data is kept five years after it.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the governance database (rights, consent, retention, audit). "
            "Default: SQLite at governance.db in the workspace."
        ),
    )
    synthetic_mess: bool = Field(
        default=True,
        description="Whether 'steward demo' makes its synthetic returns as messy as real ones.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables beat the file so one run can be redirected without editing it.
        return (init_settings, env_settings)


def load_settings(workspace: Path, **overrides: Any) -> Settings:
    """Read ``steward.toml`` in ``workspace``; a bad field is a located ``ConfigError``."""
    path = workspace / SETTINGS_FILE
    try:
        file_values = TomlConfigSettingsSource(Settings, toml_file=path)()
    except Exception as exc:  # tomllib raises its own decode error
        raise ConfigError(
            what=f"{SETTINGS_FILE} is not valid TOML: {exc}",
            fix="Fix the syntax (see the comments 'steward init' wrote) or delete the file and run "
            "'steward init' again.",
            where=Location(file=str(path)),
        ) from exc
    try:
        return Settings(**{**file_values, **overrides})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            what=f"setting {field!r}: {first['msg']}",
            fix=f"Correct {field!r} in {SETTINGS_FILE}; 'steward init --help' lists the settings.",
            where=Location(file=str(path), column=field),
        ) from exc


def render_settings_file(settings: Settings) -> str:
    """The TOML text of ``settings`` with each field's description as a comment above it."""
    import tomli_w

    lines = ["# Steward workspace settings. Every field may also be set as STEWARD_<NAME>.", ""]
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        lines.append(f"# {info.description}")
        if value is None:
            lines.append(f"# {name} = ")
        else:
            if isinstance(value, Path):
                value = str(value)
            lines.append(tomli_w.dumps({name: value}).strip())
        lines.append("")
    return "\n".join(lines)
