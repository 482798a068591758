"""The ``synth`` command through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from steward.cli.synth import synth
from steward.synth import planned_files

app = typer.Typer()
app.command("synth")(synth)
app.command("noop")(lambda: None)  # two commands, so "synth" is invoked by name as in steward


def test_synth_writes_files_truth_and_a_summary(tmp_path: Path) -> None:
    out, truth = tmp_path / "returns", tmp_path / "truth.json"
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "--out",
            str(out),
            "--scale",
            "tiny",
            "--seed",
            "3",
            "--tidy",
            "--truth",
            str(truth),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(planned_files())
    assert "Wrote 42 files for 5 LAs" in result.output
    assert "tidy" in result.output
    data = json.loads(truth.read_text())
    assert data["truth"]["seed"] == 3 and data["truth"]["scale"] == "tiny"


def test_unknown_scale_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path), "--scale", "huge"])
    assert result.exit_code == 3
    assert "Unknown scale 'huge'" in result.output
    assert "tiny, small, large, national" in result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "taken"
    file.write_text("x")
    result = CliRunner().invoke(app, ["synth", "--out", str(file), "--scale", "tiny"])
    assert result.exit_code == 3
    assert "not a folder" in result.output


def test_national_scale_for_the_first_la(tmp_path: Path) -> None:
    out = tmp_path / "national"
    result = CliRunner().invoke(
        app, ["synth", "--out", str(out), "--scale", "national", "--las", "1", "--seed", "2"]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert "for 1 LAs" in said and "PMR lookups not written" in said
    assert sorted(p.name for p in out.iterdir()) == ["gateshead", "npd", "npd_truth"]
    assert len(list((out / "gateshead").glob("cin_census_20*.xml"))) == 7


def test_las_needs_the_national_scale(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--out", str(tmp_path), "--scale", "tiny", "--las", "3"]
    )
    assert result.exit_code == 3
    assert "--scale national only" in result.output
    result = CliRunner().invoke(
        app, ["synth", "--out", str(tmp_path), "--scale", "national", "--las", "999"]
    )
    assert result.exit_code == 3
    assert "1 to 153" in result.output
    assert "Traceback" not in result.output
