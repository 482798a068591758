"""The synthetic NPD extract: readable, the planted link rate, higher absence in care / on a CPP."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from steward.pseudonymise.pseudonym import pseudonym_reference
from steward.pseudonymise.statutory import UPN_NAMESPACE
from steward.returns.npd import absence_measures, read_npd
from steward.synth import build_populations
from steward.synth.npd import NpdSynthResult, upn_with_check_letter, write_npd_extract

KEY = b"k" * 32


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> NpdSynthResult:
    pops, _, _ = build_populations(scale="tiny", seed=5)
    return write_npd_extract(tmp_path_factory.mktemp("npd"), pops, 5, key=KEY)


def test_upn_check_letter() -> None:
    # The check letter weights digits 2..13 by their position; sum mod 23 indexes the letters.
    upn = upn_with_check_letter("801200105001")
    assert len(upn) == 13 and upn[1:] == "801200105001"
    total = sum(int(d) * w for d, w in zip("801200105001", range(2, 14), strict=True))
    assert upn[0] == "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23]


def test_every_file_reads_cleanly(synth: NpdSynthResult) -> None:
    for name in ("absence", "fsm", "lookup"):
        reading = read_npd(synth.files[name])
        assert reading.quarantined.num_rows == 0, name
        assert reading.data.num_rows > 0
    years = {r["academic_year"] for r in read_npd(synth.files["absence"]).data.to_pylist()}
    assert 2019 not in years and {2018, 2020} <= years


def test_planted_non_linking_share(synth: NpdSynthResult) -> None:
    assert 0.90 <= synth.school_age_link_rate <= 0.95
    pupils = synth.pupils
    assert set(synth.planted) <= {"matched", "no_upn", "upn_unknown", "no_pmr", "not_in_extract",
                                  "not_school_age"}  # fmt: skip
    assert (pupils.loc[pupils["outcome"] == "not_school_age", "upn_unknown"] == "UN1").all()
    codes = set(pupils.loc[pupils["outcome"] == "upn_unknown", "upn_unknown"])
    assert codes <= {"UN2", "UN3", "UN4", "UN5"} and codes


def test_lookup_answers_for_the_pseudonymised_upns(synth: NpdSynthResult, tmp_path: Path) -> None:
    lookup = pd.read_csv(synth.files["lookup"], dtype=str, keep_default_na=False)
    pupils = synth.pupils[synth.pupils["upn"].notna()]
    expected = {pseudonym_reference(KEY, UPN_NAMESPACE, u) for u in pupils["upn"]}
    assert set(lookup["upn_pid"]) == expected
    unmatched = (lookup["PupilMatchingRefAnonymous"] == "").sum()
    assert unmatched == synth.planted["no_pmr"]


def test_absence_is_higher_for_children_on_a_plan_or_in_care(synth: NpdSynthResult) -> None:
    absence = read_npd(synth.files["absence"]).data.to_pandas()
    rates = absence_measures(absence).groupby("pmr")["absence_rate"].mean()
    truth = pd.read_csv(synth.files["truth"], dtype={"child_id": str})
    lookup = pd.read_csv(synth.files["lookup"], dtype=str, keep_default_na=False)
    # Join truth to PMR through the lookup (pseudonymised UPN), as the linkage does.
    truth = truth[truth["upn"].notna()].assign(
        upn_pid=lambda t: [pseudonym_reference(KEY, UPN_NAMESPACE, u) for u in t["upn"]]
    )
    linked = truth.merge(lookup, on="upn_pid")
    linked["rate"] = linked["PupilMatchingRefAnonymous"].map(rates)
    high = linked[linked["ever_cpp"] | linked["ever_in_care"]]["rate"].mean()
    other = linked[~(linked["ever_cpp"] | linked["ever_in_care"])]["rate"].mean()
    assert high > other * 1.15
