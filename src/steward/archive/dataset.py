"""The person-level dataset the archive is built from, and the policy check on what it reads.

One row per child: the child's first referral (in the current view of the store, so
superseded rows and restricted, objected or erased children are already left out), the child's
characteristics at that referral, and outcome flags derived from the care tables. Linked
tables named by the profile add columns, joined by ``child_pid`` (first row per child).

Before any row is read, every column's data category is checked against the policy registry:
a category the registry marks non-archivable (interview data, contact details ...) refuses
the whole build, and the anonymise step must be allowed to read the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from steward.archive.profile import ArchiveProfile, check_columns
from steward.errors import ConfigError, Location, PolicyViolation
from steward.policy import PIPELINE_STEPS, PolicyGate, may_archive
from steward.store.schema import EVENT_TABLES, STORE_TABLES


@dataclass(frozen=True)
class DatasetColumn:
    """One column of the person-level dataset: its SQL, data category, label and kind."""

    sql: str
    category: str
    label: str
    kind: str  # text, flag, integer or date: how the writers encode it


PERSON_KEY = "child_pid"
# Tables the referrals dataset reads (their current views).
SOURCE_TABLES = ("dr2_referrals", "dr2_cp", "dr2_cla")

REFERRALS: dict[str, DatasetColumn] = {
    "la_code": DatasetColumn("f.la_code", "provenance", "Local authority", "text"),
    "referral_date": DatasetColumn(
        "f.referral_date", "social_care_event", "Date of the child's first referral", "date"
    ),
    "age_months_at_referral": DatasetColumn(
        "f.age_months_at_referral", "age", "Age at first referral", "integer"
    ),
    "gender": DatasetColumn("f.gender", "gender", "Gender", "text"),
    "ethnicity": DatasetColumn("f.ethnicity", "ethnicity", "Ethnicity", "text"),
    "disabled": DatasetColumn("f.disabled", "disability", "Disabled", "flag"),
    "uasc": DatasetColumn("f.uasc", "uasc_status", "Unaccompanied asylum-seeking child", "flag"),
    "referral_nfa": DatasetColumn(
        "f.referral_nfa", "social_care_event", "First referral led to no further action", "flag"
    ),
    "previous_cpp": DatasetColumn(
        "f.previous_cpp",
        "social_care_event",
        "Number of previous Child Protection Plans at first referral",
        "integer",
    ),
    "fsm_ever": DatasetColumn(
        "f.fsm_ever", "la_education_flags", "Ever eligible for free school meals", "flag"
    ),
    "pupil_premium": DatasetColumn(
        "f.pupil_premium", "la_education_flags", "Eligible for pupil premium", "flag"
    ),
    "child_protection_plan": DatasetColumn(
        "coalesce(cp.last_start >= f.referral_date, false)",
        "social_care_event",
        "Child Protection Plan started on or after the first referral",
        "flag",
    ),
    "looked_after": DatasetColumn(
        "coalesce(cla.last_start >= f.referral_date, false)",
        "social_care_event",
        "Became looked after on or after the first referral",
        "flag",
    ),
}


@dataclass(frozen=True)
class DatasetPlan:
    """The checked plan of what to read: columns with their categories and labels."""

    profile: ArchiveProfile
    columns: dict[str, DatasetColumn]  # every archived column, in package order
    linked: list[tuple[str, list[str]]]  # (table, columns) joined by child_pid

    @property
    def categories(self) -> set[str]:
        """Every data category the build reads, the pseudonym included."""
        return {c.category for c in self.columns.values()} | {"identifier_pseudonymised"}


def plan_dataset(profile: ArchiveProfile, gate: PolicyGate) -> DatasetPlan:
    """Check the profile's columns and their categories; raise before anything is read."""
    check_columns(profile, {name: c.category for name, c in REFERRALS.items()})
    columns = {name: REFERRALS[name] for name in profile.columns}
    linked: list[tuple[str, list[str]]] = []
    for index, link in enumerate(profile.linked):
        store_table = STORE_TABLES.get(link.table)
        names = []
        for name, declared in link.columns.items():
            field = f"linked[{index}].columns.{name}"
            if store_table is not None:
                schema = {c.name: c.category for c in store_table.columns}
                if name not in schema:
                    raise ConfigError(
                        what=f"The archive profile names a column {name!r} that the store "
                        f"table {link.table!r} does not have",
                        fix=f"Use only its columns: {', '.join(schema)}.",
                        where=profile.where(field),
                    )
                category = schema[name]
            elif declared is None:
                raise ConfigError(
                    what=f"{link.table!r} is not a research store table, so the data category "
                    f"of its column {name!r} must be declared",
                    fix="Give the column's category from the policy registry, e.g. "
                    f"'{name}: social_care_event'.",
                    where=profile.where(field),
                )
            else:
                category = declared
            if name in columns:
                raise ConfigError(
                    what=f"The linked column {name!r} clashes with a dataset column",
                    fix="Archive each column name once.",
                    where=profile.where(field),
                )
            label = f"{name} (from {link.table})"
            columns[name] = DatasetColumn(f'"l{index}"."{name}"', category, label, "text")
            names.append(name)
        linked.append((link.table, names))
    plan = DatasetPlan(profile, columns, linked)
    check_archivable(plan, gate)
    return plan


def check_archivable(plan: DatasetPlan, gate: PolicyGate) -> None:
    """Refuse any category the registry does not know or marks non-archivable."""
    registry = gate.registry
    for name, column in plan.columns.items():
        where = Location(file=plan.profile.source, column=name)
        if column.category not in registry.category_ids:
            raise PolicyViolation(
                what=f"The column {name!r} has data category {column.category!r}, which the "
                "policy registry does not declare",
                fix="Declare the category in policy.yaml, or leave the column out of the archive.",
                where=where,
            )
        if not may_archive(column.category, registry=registry):
            raise PolicyViolation(
                what=f"The column {name!r} holds {column.category!r} data, which the policy "
                "registry marks as never archivable",
                fix="Remove the column (or its linked table) from the archive profile; "
                "the privacy notice promises this data is never archived.",
                where=where,
            )
    gate.require(PIPELINE_STEPS["anonymise"], plan.categories)


def dataset_sql(plan: DatasetPlan) -> str:
    """The SELECT of the person-level dataset, one row per child, ordered by ``child_pid``."""
    selects = ", ".join(f'{c.sql} AS "{name}"' for name, c in plan.columns.items())
    joins = []
    for index, (table, names) in enumerate(plan.linked):
        source = f'"{table}_current"' if table in EVENT_TABLES else f'"{table}"'
        cols = ", ".join(f'"{n}"' for n in names)
        joins.append(
            f"LEFT JOIN (SELECT child_pid, {cols} FROM {source} QUALIFY row_number() OVER "
            f'(PARTITION BY child_pid ORDER BY {cols}) = 1) AS "l{index}" '
            f'ON "l{index}".child_pid = f.child_pid'
        )
    return f"""
        WITH first_referral AS (
            SELECT * FROM dr2_referrals_current
            QUALIFY row_number() OVER (
                PARTITION BY child_pid ORDER BY referral_date, referral_pid) = 1
        ),
        cp AS (SELECT child_pid, max(cpp_start_date) AS last_start
               FROM dr2_cp_current GROUP BY child_pid),
        cla AS (SELECT child_pid, max(cla_start_date) AS last_start
                FROM dr2_cla_current GROUP BY child_pid)
        SELECT f.child_pid AS {PERSON_KEY}, {selects}
        FROM first_referral AS f
        LEFT JOIN cp ON cp.child_pid = f.child_pid
        LEFT JOIN cla ON cla.child_pid = f.child_pid
        {" ".join(joins)}
        ORDER BY f.child_pid
    """


def read_dataset(con: duckdb.DuckDBPyConnection, plan: DatasetPlan) -> pd.DataFrame:
    """Read the person-level dataset; a linked table missing from the store is a ConfigError."""
    listed = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    tables = {row[0] for row in listed}
    for index, (table, names) in enumerate(plan.linked):
        if table not in tables:
            raise ConfigError(
                what=f"The archive profile links a table {table!r} that the store does not have",
                fix="Correct the table name, or load the table before building the archive.",
                where=plan.profile.where(f"linked[{index}].table"),
            )
        present = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [table],
            ).fetchall()
        }
        for name in names:
            if name not in present:
                raise ConfigError(
                    what=f"The archive profile names a column {name!r} that the table "
                    f"{table!r} does not have",
                    fix=f"Use only its columns: {', '.join(sorted(present))}.",
                    where=plan.profile.where(f"linked[{index}].columns.{name}"),
                )
    return con.execute(dataset_sql(plan)).df()
