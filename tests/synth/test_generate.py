"""generate_returns: files, names, volumes, determinism, truth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import fastexcel
import pytest
from synth_helpers import read_tidy

from steward.errors import ConfigError
from steward.study.local_authorities import NWD_LOCAL_AUTHORITIES, LocalAuthority
from steward.synth import SynthResult, generate_returns, planned_files
from steward.synth.schedule import SCALES, build_profiles

NAME = re.compile(r"^(?P<la>[a-z]+)_(?P<rt>dr[123])_(?P<mon>[a-z]{3})(?P<yy>\d{2})\.xlsx$")
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def test_file_names_parse_as_la_return_and_month(messy_run: SynthResult) -> None:
    slugs = {la.slug for la in NWD_LOCAL_AUTHORITIES}
    seen: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for path in messy_run.files:
        m = NAME.match(path.name)
        assert m, path.name
        assert m["la"] in slugs and m["mon"] in MONTHS
        year = 2000 + int(m["yy"])
        assert 2020 <= year <= 2024
        seen.setdefault((m["la"], m["rt"]), []).append((year, MONTHS.index(m["mon"])))
    # Each LA sends each return 2-3 times, at increasing months.
    assert {la for la, _ in seen} == slugs
    for months in seen.values():
        assert 2 <= len(months) <= 3
        assert months == sorted(months) and len(set(months)) == len(months)
    assert [p.name for p in messy_run.files] == planned_files()


def test_every_file_opens_with_fastexcel(messy_run: SynthResult) -> None:
    for path in messy_run.files:
        reader = fastexcel.read_excel(path)
        assert reader.sheet_names
        for name in reader.sheet_names:
            assert reader.load_sheet(name, header_row=2).height >= 0


def test_relative_la_sizes(tidy_run: SynthResult) -> None:
    c = tidy_run.children
    assert max(c, key=c.__getitem__) == "norfolk"
    assert c["norfolk"] > 1.5 * c["rochdale"]
    assert c["rochdale"] > 1.3 * c["warrington"]
    assert c["rochdale"] > 1.3 * c["redcar"]
    cohort = tidy_run.truth.cohort_12_17
    # About 1/40 of the evaluation's 12-17 cohort in the trial window.
    assert cohort["norfolk"] == pytest.approx(4400 / 40, rel=0.3)
    assert cohort["rochdale"] == pytest.approx(2300 / 40, rel=0.35)
    for slug, n in tidy_run.referral_rows.items():
        assert n > c[slug]  # some children are referred again


def test_scales_grow_by_their_factor() -> None:
    tiny = build_profiles(NWD_LOCAL_AUTHORITIES, SCALES["tiny"])
    large = build_profiles(NWD_LOCAL_AUTHORITIES, SCALES["large"])
    assert sum(p.children for p in large) == pytest.approx(
        40 * sum(p.children for p in tiny), rel=0.01
    )


def test_same_seed_same_data_different_seed_different(tmp_path: Path) -> None:
    la = (NWD_LOCAL_AUTHORITIES[2],)
    a = generate_returns(tmp_path / "a", scale="tiny", seed=11, las=la)
    b = generate_returns(tmp_path / "b", scale="tiny", seed=11, las=la)
    c = generate_returns(tmp_path / "c", scale="tiny", seed=12, las=la)
    assert a.truth == b.truth and a.truth != c.truth
    for pa, pb, pc in zip(a.files, b.files, c.files, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
        assert pa.read_bytes() != pc.read_bytes()


def test_mess_does_not_change_the_children_or_the_truth(
    messy_run: SynthResult, tidy_run: SynthResult
) -> None:
    assert messy_run.truth == tidy_run.truth
    assert messy_run.children == tidy_run.children
    assert messy_run.referral_rows == tidy_run.referral_rows


def test_truth_is_written_as_json(tidy_run: SynthResult, tmp_path: Path) -> None:
    data = json.loads(tidy_run.write_truth(tmp_path / "truth.json").read_text())
    truth = data["truth"]
    assert truth["odds_ratio"] == 0.8
    assert set(truth["la_effects"]) == {la.slug for la in NWD_LOCAL_AUTHORITIES}
    assert all(abs(u) < 0.6 for u in truth["la_effects"].values())
    assert truth["base_rate"] == 0.07
    assert truth["go_live"]["leicester"] == "2022-01-01"
    assert data["children"] == tidy_run.children


def test_other_local_authorities_and_go_live_override(tmp_path: Path) -> None:
    las = (LocalAuthority("999", "Exampleshire", "exampleshire", "Nowhere"),)
    import datetime as dt

    result = generate_returns(
        tmp_path, scale="tiny", las=las, go_live={"exampleshire": dt.date(2021, 2, 1)}
    )
    assert result.truth.go_live == {"exampleshire": "2021-02-01"}
    assert all(p.name.startswith("exampleshire_dr") for p in result.files)
    assert read_tidy(result.files[1])  # opens


def test_bad_options_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown scale"):
        generate_returns(tmp_path, scale="huge")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not positive"):
        generate_returns(tmp_path, scale="tiny", odds_ratio=0)
