"""The national synthetic data: readable, coherent people across returns, scaled, deterministic."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from lxml import etree

from steward.errors import ConfigError
from steward.governance.access import User
from steward.ingest import ingest
from steward.ingest_statutory import _la_from_path
from steward.returns.cin_census.validate import read_cin_census
from steward.returns.detect import parse_month
from steward.returns.npd import read_npd
from steward.returns.ssda903.reader import read_ssda903
from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES
from steward.synth.national import NationalResult, la_weights, write_national
from steward.synth.national_npd import write_pmr_lookup
from steward.synth.national_people import P_CARE_12_17, draw_people
from steward.workspace import init_workspace

KEY = b"n" * 32
# The first 8 LAs are the North East's, Redcar and Cleveland (an NWD LA) among them.
LAS, FRACTION = 8, 0.02


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> NationalResult:
    return write_national(
        tmp_path_factory.mktemp("national"), seed=7, las=LAS, fraction=FRACTION, key=KEY
    )


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_files_per_la_and_year(national: NationalResult) -> None:
    out = national.out
    assert [c.slug for c in national.las] == [la.slug for la in ENGLISH_LOCAL_AUTHORITIES[:LAS]]
    for la in ENGLISH_LOCAL_AUTHORITIES[:LAS]:
        for year in range(2019, 2026):
            assert (out / la.slug / f"cin_census_{year}.xml").is_file()
            for table in ("header", "episodes", "uasc", "reviews", "missing"):
                assert (out / la.slug / f"{la.code}_{table}_mar{year}.csv").is_file()
        for name in ("absence_3term", "school_census_fsm", "pmr_lookup"):
            assert (out / "npd" / f"{la.slug}_{name}.csv").is_file()
    assert national.files == LAS * (7 * 6 + 4)
    assert national.bytes == sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def test_every_file_reads_with_no_failure(national: NationalResult) -> None:
    out = national.out
    for path in sorted(out.glob("*/cin_census_*.xml")):
        header, batches = read_cin_census(path)
        assert header.collection_year == int(path.stem[-4:])
        assert header.la_code == _la_from_path(path, ENGLISH_LOCAL_AUTHORITIES).code
        for batch in batches:
            assert batch.quarantined.num_rows == 0, path
            # From 2024-25 the only finding is the newest published XSD not knowing Sex.
            assert all(f.code == "XSD" and "Sex" in f.message for f in batch.failures), path
            assert not batch.failures or header.collection_year >= 2025
    for path in sorted(out.glob("*/*_mar20*.csv")):
        la = _la_from_path(path, ENGLISH_LOCAL_AUTHORITIES)
        assert la.slug == path.parent.name
        assert parse_month(path.stem) == dt.date(int(path.stem[-4:]), 3, 1)
        reading = read_ssda903(path)
        assert reading.quarantined.num_rows == 0 and not reading.failures, path
    for path in sorted((out / "npd").glob("*.csv")):
        extract = read_npd(path)
        assert extract.quarantined.num_rows == 0 and extract.data.num_rows > 0, path


def test_a_child_referred_at_12_to_17_and_later_in_care_is_one_child(
    national: NationalResult,
) -> None:
    folder = national.out / "gateshead"
    referred: dict[str, tuple[dt.date, dt.date, str | None]] = {}
    for year in range(2019, 2026):
        root = etree.parse(str(folder / f"cin_census_{year}.xml")).getroot()
        for child in root.iterfind("Children/Child"):
            child_id = child.findtext("ChildIdentifiers/LAchildID") or ""
            birth = dt.date.fromisoformat(child.findtext("ChildIdentifiers/PersonBirthDate") or "")
            dates = child.xpath("CINdetails/CINreferralDate/text()")
            first = min(dt.date.fromisoformat(t) for t in dates)
            if child_id in referred:
                first = min(first, referred[child_id][1])
            referred[child_id] = (birth, first, child.findtext("ChildIdentifiers/UPN"))
    tables = {
        name: pd.concat(
            pd.read_csv(folder / f"390_{name}_mar{year}.csv", dtype=str, keep_default_na=False)
            for year in range(2019, 2026)
        )
        for name in ("header", "episodes")
    }
    starts = tables["episodes"].query("RNE == 'S'")
    linked: dict[str, str | None] = {}
    for child_id, decom in zip(starts["CHILD"], starts["DECOM"], strict=True):
        if child_id not in referred:
            continue  # in care since before the window opened
        birth, first, upn = referred[child_id]
        start = dt.datetime.strptime(decom, "%d/%m/%Y").date()
        if 12 <= (first - birth).days / 365.25 < 18 and first <= start <= first + dt.timedelta(548):
            linked[child_id] = upn
    assert len(linked) >= 5, "too few children referred at 12-17 entered care within 18 months"
    # The same LAchildID = CHILD, with the same UPN in both returns where there is one.
    upn_of = dict(zip(tables["header"]["CHILD"], tables["header"]["UPN"], strict=False))
    assert all(upn is None or upn_of[c] == upn for c, upn in linked.items())
    # And their pupil records: DfE's PMR for the UPN keys their absence in the extract.
    truth = pd.read_csv(national.out / "npd_truth" / "gateshead_pupils.csv", dtype=str)
    absence = pd.read_csv(national.out / "npd" / "gateshead_absence_3term.csv", dtype=str)
    pupils = truth[truth["child_id"].isin(list(linked)) & (truth["outcome"] == "matched")]
    assert len(pupils) and set(pupils["upn"]) <= {u for u in linked.values() if u}
    assert set(pupils["pmr"]) & set(absence["PupilMatchingRefAnonymous"])


def test_a_child_keeps_one_id_and_upn_across_years(national: NationalResult) -> None:
    folder = national.out / "sunderland"
    seen: dict[str, set[str]] = {}
    for year in (2021, 2022, 2023):
        root = etree.parse(str(folder / f"cin_census_{year}.xml")).getroot()
        for child in root.iterfind("Children/Child"):
            ids = child.find("ChildIdentifiers")
            assert ids is not None
            key = ids.findtext("LAchildID") or ""
            seen.setdefault(key, set()).add(
                (ids.findtext("UPN") or ids.findtext("UPNunknown") or "")
                + (ids.findtext("PersonBirthDate") or "")
            )
    assert sum(len(v) > 0 for v in seen.values()) > 100
    assert all(len(v) == 1 for v in seen.values())


def test_referral_ages_and_care_entry_rate() -> None:
    rng = np.random.default_rng(1)
    people = draw_people(
        "886", referrals_per_year=20_000, looked_after_per_year=2_500,
        first_year=2019, last_year=2025, rng=rng,
    )  # fmt: skip
    first = pd.Series(people.ep_referral).groupby(people.ep_child).min()
    age = (first.to_numpy() - people.birth[first.index]) / 365.25
    teen = (age >= 12) & (age < 18)
    assert 0.25 < teen.mean() < 0.31
    # Followed up for 18 months within the window: about 1 in 12 enter care by then.
    followed = teen & (first.to_numpy() < dt.date(2023, 9, 30).toordinal())
    entry = pd.Series(people.pc_start, index=people.pc_child)
    rows = first.index[followed]
    in_care = [
        c in entry.index and 0 <= entry[c] - first[c] <= 548 for c in rows
    ]  # fmt: skip
    assert abs(np.mean(in_care) - P_CARE_12_17) < 0.015


def test_volumes_scale_with_fraction(tmp_path: Path) -> None:
    runs = {
        fraction: write_national(tmp_path / str(fraction), seed=7, las=20, fraction=fraction)
        for fraction in (0.01, 0.04)
    }
    for name, low, high in (("referrals", 3.6, 4.4), ("looked_after", 3.2, 4.8)):
        big, small = runs[0.04].total(name), runs[0.01].total(name)
        assert set(big) == set(small) == set(range(2019, 2026))
        assert low < sum(big.values()) / sum(small.values()) < high, (name, big, small)
    # The national volumes, 650k referrals and 80k looked after a year, shared by LA weight.
    share = la_weights(ENGLISH_LOCAL_AUTHORITIES)[:20].sum() * 0.04
    referrals = np.mean([runs[0.04].total("referrals")[y] for y in range(2020, 2026)])
    looked_after = np.mean([runs[0.04].total("looked_after")[y] for y in range(2020, 2026)])
    assert referrals == pytest.approx(650_000 * share, rel=0.08)
    assert looked_after == pytest.approx(80_000 * share, rel=0.12)


def test_la_weights_share_england() -> None:
    weights = la_weights(ENGLISH_LOCAL_AUTHORITIES)
    assert weights.sum() == pytest.approx(1.0)
    by_code = dict(zip([la.code for la in ENGLISH_LOCAL_AUTHORITIES], weights, strict=True))
    assert by_code["201"] < by_code["354"] < by_code["886"]  # City of London, Rochdale, Kent


def test_same_seed_same_bytes_whatever_the_processes(tmp_path: Path) -> None:
    one = write_national(tmp_path / "a", seed=3, las=3, fraction=0.01, key=KEY, workers=1)
    two = write_national(tmp_path / "b", seed=3, las=3, fraction=0.01, key=KEY, workers=2)
    assert _digests(one.out) == _digests(two.out)
    other = write_national(tmp_path / "c", seed=4, las=3, fraction=0.01, workers=1)
    assert (
        _digests(other.out)["gateshead/cin_census_2022.xml"]
        != _digests(one.out)["gateshead/cin_census_2022.xml"]
    )
    # The PMR lookup written later under the same key is the one written at the time.
    written = write_pmr_lookup(other.out, KEY)
    assert [p.name for p in written] == [
        f"{la.slug}_pmr_lookup.csv" for la in sorted(ENGLISH_LOCAL_AUTHORITIES[:3],
                                                     key=lambda la: la.slug)
    ]  # fmt: skip
    redo = write_pmr_lookup(one.out, KEY)
    assert _digests(one.out) == _digests(two.out) and len(redo) == 3


@pytest.mark.parametrize("las", [0, 154])
def test_las_out_of_range_is_a_clear_error(tmp_path: Path, las: int) -> None:
    with pytest.raises(ConfigError, match="not a number of English local authorities"):
        write_national(tmp_path, seed=1, las=las)
    assert not any(tmp_path.iterdir())


def test_an_nwd_las_national_files_ingest_and_link(
    tmp_path: Path, national: NationalResult, account: Callable[..., User]
) -> None:
    workspace = init_workspace(tmp_path / "ws")
    summary = ingest(workspace, [national.out / "redcar"], actor=account(workspace))
    assert not summary.failed, [o.error for o in summary.failed]
    assert len(summary.outcomes) == 7 * 6
    assert all(o.quarantined == 0 for o in summary.outcomes)
    # A table with no rows in a year (no UASC, say) is the same file as the year before's.
    statuses = Counter(o.status for o in summary.outcomes)
    assert set(statuses) <= {"loaded", "already_ingested"} and statuses["loaded"] >= 30
    con = duckdb.connect(str(workspace.store_file), read_only=True)
    (linked,) = con.execute(
        "SELECT count(DISTINCT p.child_pid) FROM s903_periods_of_care p "
        "JOIN cin_episodes e ON e.child_pid = p.child_pid "
        "AND p.period_start BETWEEN e.referral_date AND e.referral_date + INTERVAL 548 DAY"
    ).fetchone() or (0,)
    con.close()
    assert linked > 10
