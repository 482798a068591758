"""The reader against the synthetic generator's messy returns: every planted mess handled."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.returns import ValidatedReturn, read_return, validate
from steward.synth import MessKind, SynthResult, generate_returns, write_large_dr2


@pytest.fixture(scope="module")
def synthetic(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[SynthResult, dict[str, ValidatedReturn]]:
    out = tmp_path_factory.mktemp("synth")
    result = generate_returns(out, scale="tiny", seed=3)
    return result, {f.name: validate(read_return(f)) for f in result.files}


@pytest.mark.slow
def test_every_synthetic_return_is_read_and_reconciles(
    synthetic: tuple[SynthResult, dict[str, ValidatedReturn]],
) -> None:
    result, validated = synthetic
    assert len(validated) == len(result.files) > 0
    for name, v in validated.items():
        assert v.return_type in name
        assert all(t.reconciles for t in v.tables), name
        # No required field is ever lost to a heading the reader failed to match.
        assert not [f for f in v.failures if f.rule_code == "RQ01" and f.heading is None], name


@pytest.mark.slow
def test_each_planted_mess_is_handled(
    synthetic: tuple[SynthResult, dict[str, ValidatedReturn]],
) -> None:
    result, validated = synthetic

    def files(kind: MessKind) -> list[ValidatedReturn]:
        return [validated[n] for n in result.mess.get(kind, [])]

    for v in files(MessKind.EXTRA_COLUMN):
        assert any("Social worker notes" in t.dropped_columns for t in v.tables)
        assert all("Social worker notes" not in t.valid.column_names for t in v.tables)
    for v in files(MessKind.MISSING_EDUCATION):
        referrals = v.table("dr2_referrals")
        assert {"fsm_ever", "pupil_premium"} <= set(referrals.missing_columns)
    for v in files(MessKind.LEADING_ZERO_IDS):
        ids = [i for t in v.tables for i in t.valid["child_id"].to_pylist()]
        assert any(i.startswith("0") for i in ids)
    for v in files(MessKind.BIRTH_AFTER_REFERRAL):
        assert any(f.rule_code == "DT02" for f in v.failures)
    for v in files(MessKind.DUPLICATE_REFERRALS):
        assert any(f.rule_code in ("DU01", "DU02") for f in v.failures)
    for kind in (MessKind.DATE_SERIAL, MessKind.DATE_TEXT, MessKind.MONTH_FORMATS,
                 MessKind.GENDER_CODES, MessKind.FLAG_CODES, MessKind.HEADING_MISSPELT):  # fmt: skip
        for v in files(kind):
            unreadable = [f for f in v.failures if f.rule_code in ("RQ02", "VL01", "CD01")
                          and f.table.startswith("dr2")]  # fmt: skip
            assert unreadable == [], (kind, v.path.name, unreadable)


def test_large_dr2_writer_output_is_read(tmp_path: Path) -> None:
    path = write_large_dr2(tmp_path / "rochdale_dr2_dec24.xlsx", rows=300, seed=2)
    v = validate(read_return(path))
    names = {t.table.name for t in v.tables}
    assert names == {"dr2_referrals", "dr2_cp", "dr2_cla"}
    assert v.table("dr2_referrals").rows_in >= 300
    assert all(t.reconciles for t in v.tables)
