"""Retention dates come from the registry's rules and the final_report_date setting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from steward.config import load_settings
from steward.errors import ConfigError, PolicyViolation
from steward.policy.retention import may_archive, retention_due


def test_study_data_is_deleted_five_years_after_final_report() -> None:
    assert retention_due("ethnicity", final_report_date=dt.date(2026, 6, 30)) == dt.date(
        2031, 6, 30
    )
    assert retention_due("interview_data", final_report_date=dt.date(2026, 6, 30)).year == 2031  # type: ignore[union-attr]


def test_changing_the_setting_moves_the_date(tmp_path: Path) -> None:
    (tmp_path / "steward.toml").write_text('workspace_id = "w"\nfinal_report_date = 2027-03-31\n')
    settings = load_settings(tmp_path)
    assert retention_due(
        "social_care_event", final_report_date=settings.final_report_date
    ) == dt.date(2032, 3, 31)
    assert retention_due("age", final_report_date=dt.date(2028, 2, 29)) == dt.date(2033, 2, 28)


def test_srs_extract_is_kept_until_licence_end() -> None:
    end = dt.date(2027, 9, 30)
    assert (
        retention_due(
            "dfe_education_extract", final_report_date=dt.date(2026, 6, 30), licence_end=end
        )
        == end
    )
    with pytest.raises(ConfigError, match="licence"):
        retention_due("dfe_education_extract", final_report_date=dt.date(2026, 6, 30))


def test_anonymised_archive_is_indefinite_and_interviews_never_archived() -> None:
    assert retention_due("anonymised_archive", final_report_date=dt.date(2026, 6, 30)) is None
    assert may_archive("la_aggregate") and not may_archive("interview_data")


def test_transcription_service_deletes_seven_days_after_completion() -> None:
    due = retention_due("interview_data", final_report_date=dt.date(2026, 6, 30),
                        completed_at=dt.date(2026, 3, 2), recipient="transcription_service")  # fmt: skip
    assert due == dt.date(2026, 3, 9)
    with pytest.raises(PolicyViolation):
        retention_due("ethnicity", final_report_date=dt.date(2026, 6, 30),
                      completed_at=dt.date(2026, 3, 2), recipient="transcription_service")  # fmt: skip


def test_unknown_category_suggests() -> None:
    with pytest.raises(ConfigError) as info:
        retention_due("ethnicty", final_report_date=dt.date(2026, 6, 30))
    assert "ethnicity" in info.value.fix
