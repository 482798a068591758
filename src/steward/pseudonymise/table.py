"""Pseudonymise one validated return table: the plan of what each canonical field becomes.

Rules, applied to every table of :mod:`steward.returns.layout`:
- an identifier field (``child_id``, ``referral_id``) becomes its pseudonym (``child_pid``,
  ``referral_pid``); the raw column never appears in the output;
- ``birth_month`` becomes ``birth_year_month`` (text ``YYYY-MM``) and, where the table has a main
  event date, ``age_months_at_<event>`` (e.g. ``age_months_at_referral``);
- any other text field that is not a code (free text) is dropped;
- every other declared field is kept, cast to its canonical type; a declared optional field the
  return lacked becomes a null column, so every submission has the same shape in the store;
- the provenance columns are kept; any column not declared in the layout is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import Location, ValidationError
from steward.pseudonymise.degrade import DegradeContext, age_in_months, apply, year_month
from steward.pseudonymise.pseudonym import PseudonymHasher
from steward.returns.layout import TABLES_BY_NAME, FieldType, ReturnTable

ARROW_TYPES: dict[FieldType, pa.DataType] = {
    "string": pa.string(),
    "date": pa.date32(),
    "month": pa.date32(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "code": pa.string(),
}
PROVENANCE_TYPES: dict[str, pa.DataType] = {
    "la_code": pa.string(),
    "return_month": pa.date32(),
    "submission_id": pa.string(),
    "source_sheet": pa.string(),
    "source_row": pa.int64(),
}
BIRTH_FIELD = "birth_month"
# The main event of each table with a child's birth month: (date field, name in the age column).
AGE_EVENTS: dict[str, tuple[str, str]] = {
    "dr2_referrals": ("referral_date", "referral"),
    "dr2_cp": ("cpp_start_date", "cpp_start"),
    "dr2_cla": ("cla_start_date", "cla_start"),
    "dr3_neet": ("activity_date", "activity"),
}


@dataclass(frozen=True)
class OutputColumn:
    """One column of a pseudonymised table, where it comes from and how."""

    name: str
    type: pa.DataType
    source: str  # the canonical field (or provenance column) it is derived from
    strategy: str  # a name in degrade.STRATEGIES


def pseudonymised_name(field: str) -> str:
    """``child_id`` → ``child_pid``: the store's name for an identifier field."""
    return field.removesuffix("_id") + "_pid"


def output_columns(table: ReturnTable) -> tuple[OutputColumn, ...]:
    """The columns ``pseudonymise_table`` produces for ``table``, in order."""
    columns: list[OutputColumn] = []
    for f in table.fields:
        if f.identifier:
            columns.append(
                OutputColumn(pseudonymised_name(f.name), pa.string(), f.name, "pseudonym")
            )
        elif f.name == BIRTH_FIELD:
            columns.append(OutputColumn("birth_year_month", pa.string(), f.name, "year_month"))
            if table.name in AGE_EVENTS:
                _, event = AGE_EVENTS[table.name]
                columns.append(
                    OutputColumn(f"age_months_at_{event}", pa.int64(), f.name, "age_in_months")
                )
        elif f.type == "string":
            continue  # free text: may name people, never stored
        else:
            columns.append(OutputColumn(f.name, ARROW_TYPES[f.type], f.name, "keep"))
    columns.extend(OutputColumn(n, t, n, "keep") for n, t in PROVENANCE_TYPES.items())
    return tuple(columns)


def output_schema(table: ReturnTable) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.type) for c in output_columns(table)])


def store_event_key(table: ReturnTable) -> tuple[str, ...]:
    """The table's event key in store column names."""
    return tuple(pseudonymised_name(k) if table.field(k).identifier else k for k in table.event_key)


def _column(table: ReturnTable, data: pa.Table, name: str, type_: pa.DataType) -> pa.Array:
    if name in data.column_names:
        col = data.column(name).combine_chunks()
        try:
            return col.cast(type_)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValidationError(
                what=f"column {name!r} of {table.name} holds {col.type}, not {type_}",
                fix="Read the return with steward.returns, which gives canonical types.",
                where=Location(sheet=table.name, column=name),
            ) from exc
    required = name in PROVENANCE_TYPES or (
        name in {f.name for f in table.fields} and table.field(name).required
    )
    if required:
        raise ValidationError(
            what=f"{table.name} has no {name!r} column",
            fix="Pseudonymise tables as steward.returns produces them, with provenance columns.",
            where=Location(sheet=table.name, column=name),
        )
    return pa.nulls(data.num_rows, type_)


def _la_codes(la_codes: pa.Array) -> pa.Array | str:
    """One LA's code as a scalar (the common case: ids are then encoded before framing)."""
    if la_codes.null_count == 0 and len(la_codes) > 0:
        bounds = pc.min_max(la_codes)
        if bounds["min"] == bounds["max"]:
            return str(bounds["min"].as_py())
    return la_codes


def pseudonymise_table(
    table: ReturnTable, data: pa.Table, key: bytes | PseudonymHasher
) -> pa.Table:
    """The pseudonymised form of one canonical return table (see the module docstring)."""
    la_codes = _la_codes(_column(table, data, "la_code", pa.string()))
    arrays: list[pa.Array] = []
    for out in output_columns(table):
        source_type = (
            PROVENANCE_TYPES[out.source]
            if out.source in PROVENANCE_TYPES
            else ARROW_TYPES[table.field(out.source).type]
        )
        values = _column(table, data, out.source, source_type)
        if out.strategy == "pseudonym":
            degraded = apply("pseudonym", values, DegradeContext(key=key, la_codes=la_codes))
        elif out.strategy == "year_month":
            degraded = year_month(values)
        elif out.strategy == "age_in_months":
            date_field, _ = AGE_EVENTS[table.name]
            degraded = age_in_months(values, _column(table, data, date_field, pa.date32()))
        else:
            degraded = values
        assert degraded is not None
        arrays.append(degraded.cast(out.type))
    return pa.Table.from_arrays(arrays, schema=output_schema(table))


def pseudonymise_tables(
    tables: dict[str, pa.Table], key: bytes | PseudonymHasher
) -> dict[str, pa.Table]:
    """``pseudonymise_table`` over every table of one submission, keyed by canonical name."""
    unknown = sorted(set(tables) - set(TABLES_BY_NAME))
    if unknown:
        raise ValidationError(
            what=f"no canonical return table called {unknown[0]!r}",
            fix=f"Name tables as steward.returns does: {', '.join(TABLES_BY_NAME)}.",
            where=Location(sheet=unknown[0]),
        )
    return {
        name: pseudonymise_table(TABLES_BY_NAME[name], data, key) for name, data in tables.items()
    }
