from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import yaml

from steward.study.definition import StudyDefinition
from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES

NATIONAL = Path(__file__).resolve().parents[2] / "src" / "steward" / "study" / "national.yaml"


def _national() -> StudyDefinition:
    raw = yaml.safe_load(NATIONAL.read_text("utf-8"))
    assert raw["sources"] == "statutory_returns"
    if "sources" not in StudyDefinition.model_fields:
        raw.pop("sources")  # the field is newer than this definition model
    return StudyDefinition.model_validate(raw)


def test_national_study_covers_every_english_la_in_four_waves() -> None:
    study = _national()
    assert study.id == "national"
    names = {la.code: la.name for la in study.local_authorities}
    assert names == {la.code: la.name for la in ENGLISH_LOCAL_AUTHORITIES}
    waves = Counter(la.go_live for la in study.local_authorities)
    assert sorted(waves) == [dt.date(y, 4, 1) for y in (2021, 2022, 2023, 2024)]
    assert all(38 <= n <= 39 for n in waves.values())
    # Waves follow code order: no LA goes live before one with a lower code.
    ordered = sorted(study.local_authorities, key=lambda la: la.code)
    assert [la.go_live for la in ordered] == sorted(la.go_live for la in ordered)


def test_national_study_periods_and_rules() -> None:
    study = _national()
    assert (study.trial_period.start, study.trial_period.end) == (
        dt.date(2019, 4, 1),
        dt.date(2025, 3, 31),
    )
    assert [p.name for p in study.periods] == ["baseline", "wave_1", "wave_2", "wave_3", "wave_4"]
    assert study.period_of(dt.date(2021, 3, 31)) == "baseline"
    assert study.period_of(dt.date(2024, 4, 1)) == "wave_4"
    assert (study.eligibility.age_years.min, study.eligibility.age_years.max) == (12, 17)
    assert study.outcome.within_months == 18 and study.outcome.censor_at_age_years == 18
    assert study.secondary_outcomes == [] and study.la_indicators == []
