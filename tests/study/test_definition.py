from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from steward.errors import ConfigError
from steward.study.definition import load_study

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "steward" / "study" / "no_wrong_door.yaml"


def _variant(tmp_path: Path, change: dict[str, object]) -> Path:
    raw = yaml.safe_load(SHIPPED.read_text())
    raw.update(change)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_shipped_no_wrong_door() -> None:
    study = load_study("no_wrong_door")
    go_live = {la.name: la.go_live for la in study.local_authorities}
    assert go_live["Rochdale"] == dt.date(2020, 4, 1)
    assert go_live["Redcar and Cleveland"] == dt.date(2021, 9, 1)
    assert [p.name for p in study.periods] == [
        "baseline",
        "wedge_1",
        "wedge_2",
        "wedge_3",
        "wedge_4",
    ]
    assert study.period_of(dt.date(2021, 6, 1)) == "wedge_3"
    assert study.period_of(dt.date(2022, 4, 1)) is None
    leicester = study.la("856")
    assert leicester is not None and not leicester.in_primary_analysis


def test_another_study_needs_no_code(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        {
            "id": "family_safeguarding",
            "name": "Family Safeguarding",
            "design": "parallel_cluster",
            "local_authorities": [{"code": "999", "name": "Exampleshire", "go_live": "2020-01-01"}],
        },
    )
    study = load_study(path)
    assert study.id == "family_safeguarding"


def test_unknown_field_is_located(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cross_contamination_dayz") as info:
        load_study(_variant(tmp_path, {"cross_contamination_dayz": 45}))
    assert "spelling" in info.value.fix


def test_la_without_go_live(tmp_path: Path) -> None:
    path = _variant(tmp_path, {"local_authorities": [{"code": "354", "name": "Rochdale"}]})
    with pytest.raises(ConfigError, match="go_live"):
        load_study(path)


def test_window_ending_before_start(tmp_path: Path) -> None:
    path = _variant(tmp_path, {"trial_period": {"start": "2022-01-01", "end": "2020-01-01"}})
    with pytest.raises(ConfigError, match="before it starts"):
        load_study(path)
