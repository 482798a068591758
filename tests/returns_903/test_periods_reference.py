"""Periods of care derived from Arrow arrays equal those the periods SQL derives."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from steward.ingest_statutory import _periods
from steward.pseudonymise.statutory import pseudonymise_ssda903
from steward.returns.ssda903.periods import periods_of_care, periods_of_care_sql
from steward.returns.ssda903.reader import read_ssda903


def _sql(episodes: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.register("episodes", episodes)
    return con.sql(periods_of_care_sql("episodes")).to_arrow_table()


def _episodes(rng: random.Random, rows: int, children: int) -> pa.Table:
    """Random episodes, each child's starting on distinct days, in no particular order."""
    data: dict[str, list[object]] = {"CHILD": [], "DECOM": [], "DEC": [], "RNE": [], "LS": []}
    for child in rng.sample(range(10 * children), children):
        days = sorted(rng.sample(range(3000), rng.randint(1, max(1, 2 * rows // children))))
        for day in days:
            start = dt.date(2015, 1, 1) + dt.timedelta(days=day)
            data["CHILD"].append(f"c{child}")
            data["DECOM"].append(start)
            data["DEC"].append(
                None if rng.random() < 0.4 else start + dt.timedelta(rng.randint(0, 90))
            )
            data["RNE"].append(rng.choice(["S", "S", "P", "L", "T", "B", "U", "s", None]))
            data["LS"].append(rng.choice(["C2", "V2", "E1", None]))
    order = list(range(len(data["CHILD"])))
    rng.shuffle(order)
    types = {"CHILD": pa.string(), "DECOM": pa.date32(), "DEC": pa.date32(), "RNE": pa.string(),
             "LS": pa.string()}  # fmt: skip
    return pa.table({k: pa.array([v[i] for i in order], types[k]) for k, v in data.items()})


@pytest.mark.parametrize("seed", range(20))
def test_random_episodes_give_the_sql_periods(seed: int) -> None:
    rng = random.Random(seed)
    episodes = _episodes(rng, rows=rng.choice([1, 5, 50, 600]), children=rng.choice([1, 3, 40]))
    periods = periods_of_care(episodes)
    assert periods is not None
    expected = _sql(episodes)
    assert periods.schema.equals(expected.schema)
    assert periods.equals(expected)


def test_open_last_episode_after_a_closed_one_ends_the_period_as_the_sql_does() -> None:
    episodes = pa.table(
        {
            "CHILD": ["1", "1", "2"],
            "DECOM": pa.array([dt.date(2020, 1, 1), dt.date(2020, 2, 1), dt.date(2020, 3, 1)]),
            "DEC": pa.array([dt.date(2020, 2, 1), None, None], pa.date32()),
            "RNE": ["S", "P", "S"],
            "LS": [None, "C2", None],
        }
    )
    periods = periods_of_care(episodes)
    assert periods is not None and periods.equals(_sql(episodes))
    # max_by skips the open episode's empty end date: the period ends at the last one given.
    assert periods["period_end"].to_pylist() == [dt.date(2020, 2, 1), None]
    assert periods["first_legal_status"].to_pylist() == ["C2", None]


def test_no_episodes_no_periods() -> None:
    episodes = _episodes(random.Random(0), 5, 2).slice(0, 0)
    periods = periods_of_care(episodes)
    assert periods is not None and periods.equals(_sql(episodes))
    assert periods.schema.equals(_sql(episodes).schema)


def test_episodes_starting_the_same_day_are_left_to_the_sql() -> None:
    episodes = pa.table(
        {
            "CHILD": ["1", "1"],
            "DECOM": pa.array([dt.date(2020, 1, 1)] * 2),
            "DEC": pa.array([None, None], pa.date32()),
            "RNE": ["P", "S"],
            "LS": ["C2", "V2"],
        }
    )
    assert periods_of_care(episodes) is None
    missing_start = episodes.set_column(1, "DECOM", pa.array([dt.date(2020, 1, 1), None]))
    assert periods_of_care(missing_start) is None


def _stored(path: Path) -> pa.Table:
    reading = read_ssda903(path)
    stored = pseudonymise_ssda903(
        "s903_episodes", reading.data, key=b"k" * 32, la_code="302",
        return_month=dt.date(2024, 3, 1), submission_id="s1",
    )  # fmt: skip
    assert stored is not None
    return stored


@pytest.mark.parametrize("tie", [False, True])
def test_store_periods_equal_those_of_the_sql(tmp_path: Path, national_la: Path, tie: bool) -> None:
    path = next(national_la.glob("*_episodes_mar2024.csv"))
    text = path.read_text()
    if tie:  # a child's second episode starting the day its first did: the SQL decides
        lines = text.splitlines()
        lines.append(lines[1].replace(",S,", ",P,", 1))
        text = "\n".join(lines) + "\n"
    copy = tmp_path / path.name
    copy.write_text(text)
    stored = _stored(copy)
    periods = _periods(stored)
    names = {"episode_start_date": "DECOM", "episode_end_date": "DEC",
             "reason_new_episode": "RNE", "legal_status": "LS"}  # fmt: skip
    renamed = stored.rename_columns([names.get(c, c) for c in stored.column_names])
    expected = _sql(renamed.rename_columns(
        ["CHILD" if c == "child_pid" else c for c in renamed.column_names]
    ))  # fmt: skip
    assert periods.num_rows == expected.num_rows > 0
    assert periods["child_pid"].equals(expected["CHILD"])
    assert periods["period_no"].equals(expected["period_no"].cast(pa.int64()))
    for column in ("period_start", "period_end", "episodes", "first_legal_status"):
        assert periods[column].equals(expected[column])
    assert periods["la_code"].to_pylist() == ["302"] * periods.num_rows
    assert periods["return_month"].to_pylist() == [dt.date(2024, 3, 1)] * periods.num_rows
    assert periods["source_row"].to_pylist() == list(range(1, periods.num_rows + 1))
