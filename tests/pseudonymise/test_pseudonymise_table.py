"""pseudonymise_table: identifiers replaced, DOB degraded, undeclared columns dropped."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from steward.errors import ValidationError
from steward.pseudonymise.pseudonym import pseudonym_reference
from steward.pseudonymise.table import output_columns, pseudonymise_table, store_event_key
from steward.returns.layout import DR1_MONTHLY, DR2_REFERRALS, DR3_CARE_EPISODES, TABLES

KEY = bytes(range(32))
D = dt.date


def referrals() -> pa.Table:
    return pa.table(
        {
            "child_id": ["RAW-0001", "RAW-0002", "RAW-0001"],
            "referral_id": ["REF-9", "REF-10", None],
            "referral_date": pa.array([D(2021, 5, 3), D(2021, 6, 30), D(2022, 1, 1)]),
            "referral_nfa": [False, True, None],
            "birth_month": pa.array([D(2010, 3, 1), D(2015, 12, 1), D(2010, 3, 1)]),
            "gender": ["1", "2", "1"],
            "ethnicity": ["WBRI", None, "WBRI"],
            "disabled": [False, None, True],
            "uasc": [False, False, False],
            "previous_cpp": [0, 2, 1],
            "social_worker_notes": ["lives with gran", "x", "y"],  # not in the layout
            "la_code": ["E08000005"] * 3,
            "return_month": pa.array([D(2022, 1, 1)] * 3),
            "submission_id": ["ab" * 32] * 3,
            "source_sheet": ["Referrals"] * 3,
            "source_row": [2, 3, 4],
        }
    )


def test_referrals_pseudonymised() -> None:
    out = pseudonymise_table(DR2_REFERRALS, referrals(), KEY)
    assert "child_id" not in out.column_names and "referral_id" not in out.column_names
    assert "birth_month" not in out.column_names
    assert "social_worker_notes" not in out.column_names
    rows = out.to_pylist()
    assert rows[0]["child_pid"] == pseudonym_reference(KEY, "E08000005", "RAW-0001")
    assert rows[0]["child_pid"] == rows[2]["child_pid"] != rows[1]["child_pid"]
    assert rows[0]["referral_pid"] == pseudonym_reference(KEY, "E08000005", "REF-9")
    assert rows[2]["referral_pid"] is None
    assert [r["birth_year_month"] for r in rows] == ["2010-03", "2015-12", "2010-03"]
    assert [r["age_months_at_referral"] for r in rows] == [134, 66, 142]
    # Optional fields absent from the return arrive as nulls of the right type.
    assert out.schema.field("fsm_ever").type == pa.bool_()
    assert out.column("fsm_ever").null_count == 3
    assert [r["source_row"] for r in rows] == [2, 3, 4]
    assert out.schema.names == [c.name for c in output_columns(DR2_REFERRALS)]


def test_raw_identifiers_never_in_output() -> None:
    out = pseudonymise_table(DR2_REFERRALS, referrals(), KEY)
    text = str(out.to_pylist())
    for raw in ("RAW-0001", "RAW-0002", "REF-9", "REF-10", "lives with gran", "2010-03-01"):
        assert raw not in text


def test_every_layout_table_has_a_plan_without_raw_identifiers() -> None:
    for table in TABLES:
        names = [c.name for c in output_columns(table)]
        raw = {f.name for f in table.fields if f.identifier or f.type == "string"}
        assert not raw & set(names), table.name
        assert set(store_event_key(table)) <= set(names), table.name
        assert len(names) == len(set(names)), table.name


def test_per_row_la_codes_give_per_la_pseudonyms() -> None:
    data = referrals().set_column(11, "la_code", pa.array(["E08000005", "E10000020", "E08000005"]))
    out = pseudonymise_table(DR2_REFERRALS, data, KEY).to_pylist()
    assert out[1]["child_pid"] == pseudonym_reference(KEY, "E10000020", "RAW-0002")


def test_la_aggregate_table_kept() -> None:
    data = pa.table(
        {
            "month": pa.array([D(2021, 4, 1)]),
            "new_referrals": [120],
            "open_cin_cases": [800],
            "cin_plans_started": [40],
            "open_cpps": [200],
            "cpps_started": [20],
            "cla_month_end": [400],
            "cla_started": [12],
            "cla_rate_per_10k": [90.5],
            "la_code": ["E08000005"],
            "return_month": pa.array([D(2021, 4, 1)]),
            "submission_id": ["cd" * 32],
            "source_sheet": ["DR1"],
            "source_row": [2],
        }
    )
    out = pseudonymise_table(DR1_MONTHLY, data, KEY)
    assert out.column("cla_rate_per_10k").to_pylist() == [90.5]
    assert out.column("prop_fsm_eligible").null_count == 1


def test_missing_required_column_is_a_located_error() -> None:
    data = pa.table({"child_id": ["1"], "la_code": ["E08000005"]})
    with pytest.raises(ValidationError) as exc:
        pseudonymise_table(DR3_CARE_EPISODES, data, KEY)
    assert exc.value.where.sheet == "dr3_care_episodes"
    assert exc.value.where.column == "episode_start_date"


def test_wrong_type_is_a_located_error() -> None:
    data = referrals().set_column(2, "referral_date", pa.array(["not a date"] * 3))
    with pytest.raises(ValidationError, match="referral_date"):
        pseudonymise_table(DR2_REFERRALS, data, KEY)


def test_whole_submission() -> None:
    from steward.pseudonymise.table import pseudonymise_tables

    out = pseudonymise_tables({"dr2_referrals": referrals()}, KEY)
    assert list(out) == ["dr2_referrals"] and "child_pid" in out["dr2_referrals"].column_names
    with pytest.raises(ValidationError, match="no canonical return table"):
        pseudonymise_tables({"notes": referrals()}, KEY)
