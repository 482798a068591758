"""``steward policy`` through Typer's runner, on real workspaces in tmp folders."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from steward.cli.policy import app

from .conftest import Variant, line_of

runner = CliRunner()


def workspace(tmp_path: Path, extra: str = "") -> Path:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "steward.toml").write_text(f'workspace_id = "w1"\n{extra}')
    return ws


def test_lint_default_registry_is_clean(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["lint", "--workspace", str(workspace(tmp_path)), "--today", "2026-07-01"]
    )
    assert result.exit_code == 0, result.output
    assert "is clean" in result.output


def test_lint_fails_with_located_message(tmp_path: Path, variant: Variant) -> None:
    ws = workspace(tmp_path)
    path = variant(("    lawful_basis:\n      basis: legal_obligation\n", ""), folder=ws)
    result = runner.invoke(app, ["lint", "--workspace", str(ws), "--today", "2026-07-01"])
    assert result.exit_code == 1
    line = line_of(path.read_text(), "  - id: rights_handling")
    assert f"{path}:{line}" in result.output
    assert "purpose_without_lawful_basis" in result.output


def test_lint_refuses_a_broken_file_with_every_problem(tmp_path: Path, variant: Variant) -> None:
    ws = workspace(tmp_path)
    path = variant(("    name: Gender\n", ""), ("next_review: 2027-03-01", "next_review: 2027/03/01"),
                   folder=ws)  # fmt: skip
    result = runner.invoke(app, ["lint", "--workspace", str(ws)])
    assert result.exit_code == 3
    assert "has 2 problem(s)" in result.output
    text = path.read_text()
    assert f"{path}:{line_of(text, '  - id: gender')} [data_categories[3].name]" in result.output
    assert f"{path}:{line_of(text, '2027/03/01')} [recipients[1].next_review]" in result.output


def test_lint_refuses_non_uk_recipient(tmp_path: Path, variant: Variant) -> None:
    ws = workspace(tmp_path)
    path = variant(("country: GB", "country: FR"), folder=ws)
    result = runner.invoke(app, ["lint", "--workspace", str(ws)])
    assert result.exit_code == 3
    assert "outside the UK" in result.output
    assert (
        f"{path}:{line_of(path.read_text(), 'country: FR')} [recipients[0].country]"
        in result.output
    )


def test_notice_keeps_versions_and_copies_out(tmp_path: Path, variant: Variant) -> None:
    ws = workspace(tmp_path)
    out = tmp_path / "out"
    first = runner.invoke(
        app, ["notice", "-w", str(ws), "--out", str(out), "--today", "2026-07-01"]
    )
    assert first.exit_code == 0, first.output
    assert "New notice version 2026-07-01" in first.output
    assert (out / "privacy-notice.md").is_file() and (out / "privacy-notice.html").is_file()
    same = runner.invoke(app, ["notice", "-w", str(ws), "--today", "2026-07-02"])
    assert "unchanged" in same.output
    variant(("    plain: Your gender.", "    plain: Your gender identity."), folder=ws)
    second = runner.invoke(
        app, ["notice", "-w", str(ws), "--today", "2026-07-03", "--note", "wording"]
    )
    assert "+- Your gender identity." in second.output
    assert "Out of date" not in second.output


def test_notice_uses_final_report_date_setting(tmp_path: Path) -> None:
    ws = workspace(tmp_path, "final_report_date = 2028-01-31\n")
    runner.invoke(
        app, ["notice", "-w", str(ws), "--out", str(tmp_path / "o"), "--today", "2026-07-01"]
    )
    assert "delete this data in 2033" in (tmp_path / "o" / "privacy-notice.md").read_text()


def test_law_check_flags_the_2022_notice(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    result = runner.invoke(app, ["law-check", "-w", str(ws)])
    assert result.exit_code == 1
    assert "stop_the_clock" in result.output and "complaints_duty" in result.output
    runner.invoke(app, ["notice", "-w", str(ws), "--today", "2026-07-01"])
    current = runner.invoke(app, ["law-check", "-w", str(ws)])
    assert current.exit_code == 0, current.output


def test_ropa_and_dpia_write_files(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    assert runner.invoke(app, ["ropa", "-w", str(ws)]).exit_code == 0
    assert (ws / "policy" / "ropa.xlsx").is_file() and (ws / "policy" / "ropa.csv").is_file()
    result = runner.invoke(app, ["dpia", "-w", str(ws), "--out", str(tmp_path / "d")])
    assert result.exit_code == 0
    assert "Data matching" in (tmp_path / "d" / "dpia.md").read_text()
