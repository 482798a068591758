"""pseudonymise_cin: rows tied to their child and episode by position, identifiers replaced."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pytest

from steward.pseudonymise.pseudonym import pseudonym_reference
from steward.pseudonymise.statutory import UPN_NAMESPACE, pseudonymise_cin
from steward.returns.cin_census.columns import COLUMNS
from steward.returns.cin_census.spec import TABLES
from steward.returns.cin_census.validate import ARROW_TYPES, SEQUENCE_COLUMNS
from steward.store.statutory import STATUTORY_TABLES

KEY = bytes(range(32))
D = dt.date
LA = "926"


def batch(**rows: list[dict[str, Any]]) -> dict[str, pa.Table]:
    """Validated CIN tables as the validator hands them over: every table, typed by the spec."""
    types = {c: pa.int64() for c in SEQUENCE_COLUMNS}
    for t in TABLES:
        for f in (*t.fields, *([t.repeated] if t.repeated else [])):
            types[f.column] = ARROW_TYPES[f.type]
    return {
        t.name: pa.table(
            {
                c: pa.array([r.get(c) for r in rows.get(t.name, [])], types[c])
                for c in COLUMNS[t.name]
            }
        )
        for t in TABLES
    }


def child(seq: int, child_id: str, **values: Any) -> dict[str, Any]:
    return {"child_seq": seq, "item_seq": 1, "child_id": child_id, **values}


def episode(seq: int, ep: int, referral: dt.date | None) -> dict[str, Any]:
    return {"child_seq": seq, "episode_seq": ep, "item_seq": 1, "referral_date": referral}


def assessment(ep: int, item: int, start: dt.date) -> dict[str, Any]:
    return {"child_seq": 1, "episode_seq": ep, "item_seq": item, "assessment_start_date": start}


def pseudonymised(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return pseudonymise_cin(
        tables, key=KEY, la_code=LA, reference_date=D(2024, 3, 31), collection_year=2024,
        submission_id="sub-1",
    )  # fmt: skip


def pid(child_id: str) -> str | None:
    return pseudonym_reference(KEY, LA, child_id)


def test_rows_carry_their_childs_pseudonym_and_their_episodes_referral() -> None:
    out = pseudonymised(
        batch(
            cin_children=[child(1, "C-1"), child(2, "C-2")],
            cin_episodes=[
                episode(1, 1, D(2023, 1, 5)),
                episode(1, 2, D(2023, 9, 1)),
                episode(2, 1, D(2022, 4, 4)),
            ],
            cin_assessments=[
                {"child_seq": 2, "episode_seq": 1, "item_seq": 1},
                {"child_seq": 1, "episode_seq": 2, "item_seq": 1},
                {"child_seq": 1, "episode_seq": 1, "item_seq": 1},
            ],
        )
    )
    assessments = out["cin_assessments"].to_pydict()
    assert assessments["child_pid"] == [pid("C-2"), pid("C-1"), pid("C-1")]
    assert assessments["referral_date"] == [D(2022, 4, 4), D(2023, 9, 1), D(2023, 1, 5)]
    assert assessments["source_row"] == [2, 1, 1]
    assert out["cin_episodes"].column("child_pid").to_pylist() == [pid("C-1")] * 2 + [pid("C-2")]


def test_factors_and_reviews_get_their_parents_start_date() -> None:
    # item_seq of a factor / review = its assessment's / plan's position * 1000 + its own.
    tables = batch(
        cin_children=[child(1, "C-1")],
        cin_episodes=[episode(1, 1, D(2023, 1, 5)), episode(1, 2, D(2023, 6, 1))],
        cin_assessments=[
            assessment(1, 1, D(2023, 1, 9)),
            assessment(1, 2, D(2023, 3, 1)),
            assessment(2, 1, D(2023, 6, 2)),
        ],
        cin_assessment_factors=[
            {"child_seq": 1, "episode_seq": 1, "item_seq": 2001, "factor": "1A"},
            {"child_seq": 1, "episode_seq": 2, "item_seq": 1001, "factor": "2B"},
            {"child_seq": 1, "episode_seq": 1, "item_seq": 1002, "factor": "3C"},
            {"child_seq": 1, "episode_seq": 2, "item_seq": 2001, "factor": "4A"},  # no such one
        ],
        cin_cp_plans=[
            {"child_seq": 1, "episode_seq": 2, "item_seq": 1, "cpp_start_date": D(2023, 7, 1)},
            {"child_seq": 1, "episode_seq": 2, "item_seq": 2, "cpp_start_date": D(2023, 12, 1)},
        ],
        cin_cpp_reviews=[
            {"child_seq": 1, "episode_seq": 2, "item_seq": 2001, "review_date": D(2024, 1, 1)},
            {"child_seq": 1, "episode_seq": 2, "item_seq": 1001, "review_date": D(2023, 8, 1)},
        ],
    )
    out = pseudonymised(tables)
    factors = out["cin_assessment_factors"].to_pydict()
    assert factors["assessment_start_date"] == [D(2023, 3, 1), D(2023, 6, 2), D(2023, 1, 9), None]
    assert factors["referral_date"] == [D(2023, 1, 5), D(2023, 6, 1), D(2023, 1, 5), D(2023, 6, 1)]
    reviews = out["cin_cpp_reviews"].to_pydict()
    assert reviews["cpp_start_date"] == [D(2023, 12, 1), D(2023, 7, 1)]
    assert reviews["child_pid"] == [pid("C-1")] * 2


@pytest.mark.parametrize(
    ("gender_current", "sex", "gender"),
    [("1", None, "M"), ("2", "M", "F"), ("0", None, "U"), ("9", None, "U"), (None, "F", "F"),
     (None, "1", "M"), ("7", "2", "F"), (None, "X", "X"), ("7", None, None), (None, None, None)],
)  # fmt: skip
def test_gender_from_gender_current_else_sex(
    gender_current: str | None, sex: str | None, gender: str | None
) -> None:
    tables = batch(cin_children=[child(1, "C-1", gender_current=gender_current, sex=sex)])
    assert pseudonymised(tables)["cin_children"].column("gender").to_pylist() == [gender]


def test_children_carry_year_months_ethnicity_and_provenance() -> None:
    births = [D(2015, 1, 31), D(1066, 10, 14), D(1, 1, 1), D(9999, 12, 31), None, D(2015, 1, 2)]
    tables = batch(
        cin_children=[
            child(i, f"C-{i}", birth_date=b, upn="A123456789012" if i == 1 else None)
            for i, b in enumerate(births, start=1)
        ],
        cin_characteristics=[
            {"child_seq": 3, "item_seq": 1, "ethnicity": "WBRI"},
            {"child_seq": 1, "item_seq": 1, "ethnicity": "MWBC"},
        ],
    )
    children = pseudonymised(tables)["cin_children"]
    assert children.schema.field("upn_unknown").type == pa.string()  # typed though all missing
    got = children.to_pydict()
    assert got["birth_year_month"] == ["2015-01", "1066-10", "0001-01", "9999-12", None, "2015-01"]
    assert got["death_year_month"] == [None] * 6
    assert got["ethnicity"] == ["MWBC", None, "WBRI", None, None, None]
    assert got["upn_pid"] == [pseudonym_reference(KEY, UPN_NAMESPACE, "A123456789012")] + [None] * 5
    assert got["child_pid"] == [pid(f"C-{i}") for i in range(1, 7)]
    assert set(got["la_code"]) == {LA} and set(got["submission_id"]) == {"sub-1"}
    assert set(got["return_month"]) == {D(2024, 3, 31)} and set(got["collection_year"]) == {2024}
    assert got["source_sheet"] == ["Child"] * 6 and got["source_row"] == [1, 2, 3, 4, 5, 6]


def test_an_empty_batch_gives_every_store_table_empty_with_the_stores_types() -> None:
    out = pseudonymised(batch())
    assert set(out) == {name for name in STATUTORY_TABLES if name.startswith("cin_")}
    for name, table in out.items():
        assert table.num_rows == 0
        columns, _ = STATUTORY_TABLES[name]
        assert [(c, table.schema.field(c).type) for c, _, _ in columns] == [
            (c, t) for c, t, _ in columns
        ]
