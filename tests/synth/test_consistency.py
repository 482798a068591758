"""Case histories agree across sheets, returns and the DR1 aggregates (tidy files)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synth_helpers import latest, of, read_tidy

from steward.returns.layout import TABLES_BY_NAME
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES
from steward.synth import SynthResult

SLUGS = [la.slug for la in NWD_LOCAL_AUTHORITIES]


@pytest.mark.parametrize("slug", SLUGS)
def test_cp_and_cla_children_have_an_earlier_referral(tidy_run: SynthResult, slug: str) -> None:
    dr2 = read_tidy(latest(tidy_run, slug, "dr2"))
    refs = dr2["Referrals"]
    assert len(refs) > 0
    first = refs.groupby("child_id")["referral_date"].min()
    for sheet, column in (("CP", "cpp_start_date"), ("CLA", "cla_start_date")):
        events = dr2[sheet]
        assert set(events["child_id"]) <= set(first.index)
        assert set(events["referral_id"]) <= set(refs["referral_id"])
        assert (events[column].to_numpy() >= first[events["child_id"]].to_numpy()).all()


@pytest.mark.parametrize("slug", SLUGS)
def test_dr3_matches_dr2(tidy_run: SynthResult, slug: str) -> None:
    dr2 = read_tidy(latest(tidy_run, slug, "dr2"))
    dr3 = read_tidy(latest(tidy_run, slug, "dr3"))
    cla = dr2["CLA"].set_index("child_id")["cla_start_date"].sort_index()
    poc = dr3["Periods of care"].set_index("child_id")["poc_start_date"].sort_index()
    pd.testing.assert_series_equal(cla, poc, check_names=False)
    periods = dr3["Periods of care"].set_index("child_id")
    ended = periods["poc_end_date"].notna()
    assert (periods.loc[ended, "poc_end_date"] > periods.loc[ended, "poc_start_date"]).all()
    # Episodes tile their period: first starts with it, each ends where the next starts.
    eps = dr3["Care episodes"].sort_values(["child_id", "episode_start_date"])
    assert set(eps["child_id"]) == set(periods.index)
    for child, group in eps.groupby("child_id"):
        starts = group["episode_start_date"].to_numpy()
        ends = group["episode_end_date"].to_numpy()
        assert starts[0] == periods.loc[child, "poc_start_date"]
        assert (ends[:-1] == starts[1:]).all()
        last = periods.loc[child, "poc_end_date"]
        assert (pd.isna(last) and pd.isna(ends[-1])) or ends[-1] == last
    closures = dr3["CIN closures"]
    assert set(closures["referral_id"]) <= set(dr2["Referrals"]["referral_id"])
    closed = closures.merge(dr2["Referrals"], on=["child_id", "referral_id"])
    assert len(closed) == len(closures)
    assert (closed["closure_date"] >= closed["referral_date"]).all()
    assert set(closures["closure_reason"]) <= {f"RC{i}" for i in range(1, 10)}
    # RC9 entered the CIN census in 2022-23.
    rc9 = closures["closure_reason"] == "RC9"
    assert (closures.loc[rc9, "closure_date"] >= pd.Timestamp("2022-04-01")).all()


@pytest.mark.parametrize("slug", SLUGS)
def test_neet_rows_are_for_16_to_20_year_olds(tidy_run: SynthResult, slug: str) -> None:
    neet = read_tidy(latest(tidy_run, slug, "dr3"))["NEET"]
    assert len(neet) > 0
    birth = pd.to_datetime(neet["birth_month"], format="%Y-%m")
    months = (neet["activity_date"].dt.year - birth.dt.year) * 12 + (
        neet["activity_date"].dt.month - birth.dt.month
    )
    assert months.between(16 * 12, 21 * 12 - 1).all()


@pytest.mark.parametrize("slug", SLUGS)
def test_successive_returns_overlap_and_grow(tidy_run: SynthResult, slug: str) -> None:
    for return_type in ("dr2", "dr3"):
        files = of(tidy_run, slug, return_type)
        earlier, later = read_tidy(files[0]), read_tidy(files[-1])
        for sheet, frame in earlier.items():
            table = next(
                t
                for t in TABLES_BY_NAME.values()
                if t.return_type == return_type and sheet in t.sheet_names
            )
            key = list(table.event_key)
            old = set(map(tuple, frame[key].astype(str).to_numpy()))
            new = set(map(tuple, later[sheet][key].astype(str).to_numpy()))
            assert old <= new, (slug, sheet)
            assert len(new) >= len(old)
    # Events already reported are reported again unchanged (the reader de-duplicates them).
    earlier, later = (
        read_tidy(of(tidy_run, slug, "dr2")[0]),
        read_tidy(latest(tidy_run, slug, "dr2")),
    )
    for sheet, frame in earlier.items():
        again = frame.merge(later[sheet], how="left", indicator=True)
        assert (again["_merge"] == "both").all(), (slug, sheet)


@pytest.mark.parametrize("slug", SLUGS)
def test_dr1_counts_agree_with_child_level_data(tidy_run: SynthResult, slug: str) -> None:
    dr1 = next(iter(read_tidy(latest(tidy_run, slug, "dr1")).values()))
    dr2 = read_tidy(latest(tidy_run, slug, "dr2"))
    month = dr1["month"].astype(str)
    assert month.iloc[0] == "2019-04" and month.is_monotonic_increasing
    counted = dr2["Referrals"]["referral_date"].dt.strftime("%Y-%m").value_counts()
    reported = dr1.set_index("month")["new_referrals"]
    assert (reported == counted.reindex(reported.index).fillna(0)).all()
    cla = dr2["CLA"]["cla_start_date"].dt.strftime("%Y-%m").value_counts()
    started = dr1.set_index("month")["cla_started"]
    assert (started == cla.reindex(started.index).fillna(0)).all()
    assert dr1["cla_rate_per_10k"].between(5, 200).all()
    wbri = dr1["prop_white_british"].dropna()
    assert wbri.between(0, 1).all() and 0.6 < wbri.mean() < 0.9
    assert np.isfinite(dr1["sw_turnover_rate_fte"]).all()
