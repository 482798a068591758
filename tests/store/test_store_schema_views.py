"""Store schema (data categories) and the supersede rule of the current views."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot

from steward.errors import ValidationError
from steward.policy import default_registry
from steward.pseudonymise.table import output_columns
from steward.returns.layout import TABLES
from steward.returns.npd.store_tables import NPD_TABLES
from steward.store import (
    STORE_TABLES,
    ResearchStore,
    SubmissionRecord,
    categories_of,
    column_categories,
)
from steward.store.schema import SPECIAL_CATEGORIES
from steward.store.statutory import STATUTORY_TABLES
from steward.store.views import all_ddl, current_totals_sql, current_view_name

D = dt.date
# Every store category must be one the shipped policy registry declares.
POLICY_CATEGORY_IDS = default_registry().category_ids


def test_every_column_has_a_known_category() -> None:
    triples = column_categories()
    assert {t for t, _, _ in triples} == (
        {t.name for t in TABLES}
        | set(STATUTORY_TABLES)
        | set(NPD_TABLES)
        | {"submissions", "subject_flags"}
    )
    assert {c for _, _, c in triples} <= POLICY_CATEGORY_IDS
    lookup = {(t, c): cat for t, c, cat in triples}
    assert lookup["dr2_referrals", "child_pid"] == "identifier_pseudonymised"
    assert lookup["dr2_referrals", "ethnicity"] == "ethnicity"
    assert lookup["dr2_cla", "disabled"] == "disability"
    assert lookup["dr2_referrals", "age_months_at_referral"] == "age"
    assert lookup["dr3_neet", "birth_year_month"] == "birth_year_month"
    assert lookup["dr1_monthly", "cla_rate_per_10k"] == "la_aggregate"
    assert lookup["dr3_care_episodes", "source_row"] == "provenance"
    assert categories_of("dr2_referrals") >= SPECIAL_CATEGORIES
    assert not SPECIAL_CATEGORIES & categories_of("dr1_monthly")


def test_store_tables_follow_the_pseudonymisation_plan() -> None:
    for t in TABLES:
        assert STORE_TABLES[t.name].column_names == tuple(c.name for c in output_columns(t))


def test_policy_registry_knows_every_category() -> None:
    registry = Path(__file__).resolve().parents[2] / "src/steward/policy/no_wrong_door.yaml"
    if not registry.exists():  # the registry lives in another module; check when present
        return
    import yaml

    ids = {c["id"] for c in yaml.safe_load(registry.read_text())["data_categories"]}
    assert {c for _, _, c in column_categories()} <= ids


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_ddl_transpiles(dialect: str) -> None:
    for statement in all_ddl(dialect):
        assert sqlglot.parse_one(statement, read=dialect) is not None


def sub(label: str, month: D, at: dt.datetime, la: str = "E08000005") -> SubmissionRecord:
    return SubmissionRecord(
        submission_id=label * 64 if len(label) == 1 else label,
        la_code=la,
        return_type="dr3",
        return_month=month,
        file_name=f"{label}.xlsx",
        ingested_at=at,
    )


def periods(s: SubmissionRecord, rows: list[tuple[str, D, D | None]]) -> dict[str, pa.Table]:
    return {
        "dr3_periods_of_care": pa.table(
            {
                "child_pid": [r[0] for r in rows],
                "poc_start_date": pa.array([r[1] for r in rows], pa.date32()),
                "poc_end_date": pa.array([r[2] for r in rows], pa.date32()),
                "la_code": [s.la_code] * len(rows),
                "return_month": pa.array([s.return_month] * len(rows), pa.date32()),
                "submission_id": [s.submission_id] * len(rows),
                "source_sheet": ["POC"] * len(rows),
                "source_row": list(range(2, len(rows) + 2)),
            }
        )
    }


def current(store: ResearchStore) -> set[tuple[str, D, D | None, str]]:
    rows = store.current("dr3_periods_of_care").to_pylist()
    return {(r["child_pid"], r["poc_start_date"], r["poc_end_date"], r["la_code"]) for r in rows}


T0 = dt.datetime(2024, 1, 1)


def test_supersede_rule(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "r.duckdb") as store:
        jan = sub("a", D(2024, 1, 1), T0)
        store.load(jan, periods(jan, [("p1", D(2020, 1, 5), None), ("p2", D(2021, 3, 1), None)]))
        # February's return closes p1's period and still lists p2 unchanged.
        feb = sub("b", D(2024, 2, 1), T0 + dt.timedelta(days=40))
        store.load(
            feb,
            periods(feb, [("p1", D(2020, 1, 5), D(2024, 1, 20)), ("p2", D(2021, 3, 1), None)]),
        )
        # A late-arriving January resubmission does not beat February's rows...
        jan2 = sub("c", D(2024, 1, 1), T0 + dt.timedelta(days=50))
        store.load(jan2, periods(jan2, [("p1", D(2020, 1, 5), None)]))
        # ...and another LA's child with the same pseudonym text is a different event.
        other = sub("d", D(2023, 6, 1), T0, la="E06000003")
        store.load(other, periods(other, [("p1", D(2020, 1, 5), None)]))
        assert current(store) == {
            ("p1", D(2020, 1, 5), D(2024, 1, 20), "E08000005"),
            ("p2", D(2021, 3, 1), None, "E08000005"),
            ("p1", D(2020, 1, 5), None, "E06000003"),
        }
        assert store.history("dr3_periods_of_care").num_rows == 6


def test_same_month_tie_goes_to_latest_ingested(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "r.duckdb") as store:
        first = sub("a", D(2024, 3, 1), T0)
        second = sub("b", D(2024, 3, 1), T0 + dt.timedelta(hours=1))
        # Loaded out of order: ingestion time decides, not load order.
        store.load(second, periods(second, [("p1", D(2020, 1, 5), D(2024, 2, 2))]))
        store.load(first, periods(first, [("p1", D(2020, 1, 5), None)]))
        assert current(store) == {("p1", D(2020, 1, 5), D(2024, 2, 2), "E08000005")}


def test_duplicates_within_a_submission_keep_the_last_row(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "r.duckdb") as store:
        s = sub("a", D(2024, 3, 1), T0)
        store.load(
            s, periods(s, [("p1", D(2020, 1, 5), None), ("p1", D(2020, 1, 5), D(2024, 1, 1))])
        )
        assert current(store) == {("p1", D(2020, 1, 5), D(2024, 1, 1), "E08000005")}


@pytest.mark.parametrize("flag", ["restricted", "objected", "erased"])
def test_flagged_children_leave_the_current_views(tmp_path: Path, flag: str) -> None:
    with ResearchStore(tmp_path / "r.duckdb") as store:
        s = sub("a", D(2024, 3, 1), T0)
        store.load(s, periods(s, [("p1", D(2020, 1, 5), None), ("p2", D(2021, 1, 5), None)]))
        store.flag_subject("p1", flag, request_id="RR-0001")
        assert {r[0] for r in current(store)} == {"p2"}
        assert store.history("dr3_periods_of_care").num_rows == 2  # history is untouched here


def test_current_totals_count_what_the_views_show(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "r.duckdb") as store:
        jan = sub("a", D(2024, 1, 1), T0)
        store.load(jan, periods(jan, [
            ("p1", D(2020, 1, 5), None), ("p2", D(2021, 3, 1), None),
            ("p2", D(2021, 3, 1), D(2022, 1, 1)),  # a duplicate within the submission
            ("p3", D(2019, 1, 1), None), ("p3", D(2019, 6, 1), None), ("p4", D(2018, 1, 1), None),
        ]))  # fmt: skip
        feb = sub("b", D(2024, 2, 1), T0 + dt.timedelta(days=40))  # supersedes January's
        store.load(feb, periods(feb, [("p1", D(2020, 1, 5), D(2024, 1, 20))]))
        other = sub("c", D(2023, 6, 1), T0, la="E06000003")  # the same pseudonym text elsewhere
        store.load(other, periods(other, [("p1", D(2020, 1, 5), None)]))
        store.flag_subject("p4", "restricted", request_id="RR-0001")
        views = " UNION ALL ".join(
            f"SELECT child_pid FROM {current_view_name(t.name)}"
            for t in STORE_TABLES.values() if t.event_key and t.has_children
        )  # fmt: skip
        counted = store.query(f"SELECT count(DISTINCT child_pid), count(*) FROM ({views})")
        totals = store.query(current_totals_sql("duckdb"))
        assert [c.to_pylist() for c in totals.columns] == [[3], [5]]
        assert [c.to_pylist() for c in counted.columns] == [[3], [5]]


def test_unknown_flag_refused(tmp_path: Path) -> None:
    with ResearchStore(tmp_path / "r.duckdb") as store, pytest.raises(ValidationError):
        store.flag_subject("p1", "forgotten", request_id="RR-1")


def test_current_view_sql_per_dialect() -> None:
    from steward.store import current_view

    assert "`child_pid`" in current_view("dr2_cp", "spark")
    assert '"child_pid"' in current_view("dr2_cp")
    assert "subject_flags" not in current_view("dr1_monthly")
