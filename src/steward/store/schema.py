"""The research store's tables, each column with its type and data category.

The data category ids are those of the policy registry (``policy/no_wrong_door.yaml``), which
checks them: a column whose category a step may not touch, or that may not be held in this
environment, is refused there. ``ethnicity`` and ``disability`` are special category data.

Tables:
- the pseudonymised form of every return table of :mod:`steward.returns.layout` (its columns
  come from :func:`steward.pseudonymise.table.output_columns`, so the two cannot drift);
- ``submissions``: one row per loaded submission (the load ledger; also the tie-break of the
  supersede rule);
- ``subject_flags``: children whose data must not be used (restricted, objected, erased).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from steward.pseudonymise.table import output_columns, store_event_key
from steward.returns.layout import TABLES, ReturnTable
from steward.returns.npd.store_tables import NPD_TABLES
from steward.store.statutory import STATUTORY_TABLES

SPECIAL_CATEGORIES = frozenset({"ethnicity", "disability"})

# Category of each pseudonymised field; anything else in a child-level table is a social care
# event (dates, codes, counts of previous plans) and in dr1 an LA aggregate.
_FIELD_CATEGORIES = {
    "child_pid": "identifier_pseudonymised",
    "referral_pid": "identifier_pseudonymised",
    "birth_year_month": "birth_year_month",
    "gender": "gender",
    "ethnicity": "ethnicity",
    "disabled": "disability",
    "uasc": "uasc_status",
    "fsm_ever": "la_education_flags",  # as the LA records them; NPD data is "education"
    "pupil_premium": "la_education_flags",
}
PROVENANCE_COLUMNS = ("la_code", "return_month", "submission_id", "source_sheet", "source_row")

_SQL_TYPES = {
    pa.string(): "VARCHAR",
    pa.date32(): "DATE",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("us"): "TIMESTAMP",
}


@dataclass(frozen=True)
class StoreColumn:
    name: str
    type: pa.DataType
    category: str

    @property
    def sql_type(self) -> str:
        """The column's type in dialect-neutral SQL (sqlglot transpiles it per engine)."""
        return _SQL_TYPES[self.type]


@dataclass(frozen=True)
class StoreTable:
    name: str
    columns: tuple[StoreColumn, ...]
    # Columns identifying one event across successive returns of one LA; empty for ledgers.
    event_key: tuple[str, ...] = ()
    return_table: ReturnTable | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def has_children(self) -> bool:
        return "child_pid" in self.column_names

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


def _category(table: ReturnTable, column: str) -> str:
    if column in PROVENANCE_COLUMNS:
        return "provenance"
    if table.return_type == "dr1":
        return "la_aggregate"
    if column.startswith("age_months_at_"):
        return "age"
    return _FIELD_CATEGORIES.get(column, "social_care_event")


def _event_table(table: ReturnTable) -> StoreTable:
    columns = tuple(
        StoreColumn(c.name, c.type, _category(table, c.name)) for c in output_columns(table)
    )
    return StoreTable(table.name, columns, store_event_key(table), table)


_TS = pa.timestamp("us")  # UTC, held without a zone so every engine reads it the same way
SUBMISSIONS = StoreTable(
    "submissions",
    (
        StoreColumn("submission_id", pa.string(), "provenance"),
        StoreColumn("la_code", pa.string(), "provenance"),
        StoreColumn("return_type", pa.string(), "provenance"),
        StoreColumn("return_month", pa.date32(), "provenance"),
        StoreColumn("file_name", pa.string(), "provenance"),
        StoreColumn("ingested_at", _TS, "provenance"),
        StoreColumn("rows", pa.int64(), "provenance"),
        StoreColumn("quarantined", pa.int64(), "provenance"),
    ),
)
SUBJECT_FLAGS = StoreTable(
    "subject_flags",
    (
        StoreColumn("child_pid", pa.string(), "identifier_pseudonymised"),
        StoreColumn("flag", pa.string(), "provenance"),
        StoreColumn("set_at", _TS, "provenance"),
        StoreColumn("request_id", pa.string(), "provenance"),
    ),
)
FLAGS = ("restricted", "objected", "erased")


def _statutory_table(name: str) -> StoreTable:
    columns, event_key = {**STATUTORY_TABLES, **NPD_TABLES}[name]
    provenance = tuple(
        StoreColumn(c, t, "provenance")
        for c, t in zip(PROVENANCE_COLUMNS, (pa.string(), pa.date32(), pa.string(), pa.string(),
                                             pa.int64()), strict=True)
    )  # fmt: skip
    return StoreTable(name, tuple(StoreColumn(*c) for c in columns) + provenance, event_key)


EVENT_TABLES: dict[str, StoreTable] = {
    **{t.name: _event_table(t) for t in TABLES},
    **{name: _statutory_table(name) for name in STATUTORY_TABLES},
    **{name: _statutory_table(name) for name in NPD_TABLES},
}
STORE_TABLES: dict[str, StoreTable] = {
    **EVENT_TABLES,
    SUBMISSIONS.name: SUBMISSIONS,
    SUBJECT_FLAGS.name: SUBJECT_FLAGS,
}


def column_categories() -> list[tuple[str, str, str]]:
    """Every ``(table, column, data category)`` of the store, for the policy registry."""
    return [(t.name, c.name, c.category) for t in STORE_TABLES.values() for c in t.columns]


def categories_of(table: str) -> frozenset[str]:
    """The data categories a table holds."""
    return frozenset(c.category for c in STORE_TABLES[table].columns)
