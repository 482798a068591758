"""``steward anonymise`` through Typer's test runner, on the Adult files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pycanon.anonymity
import typer
from typer.testing import CliRunner

from steward.cli.anonymise import anonymise

from .conftest import ADULT, ADULT_QIS

app = typer.Typer()
app.command()(anonymise)
runner = CliRunner()


def qi_options(columns: list[str]) -> list[str]:
    options = []
    for column in columns:
        options += ["--qi", f"{column}={ADULT / f'adult_hierarchy_{column}.csv'}"]
    return options


def test_adult_through_the_command_line(tmp_path: Path) -> None:
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            str(ADULT / "adult.csv"),
            "--sep",
            ";",
            *qi_options(ADULT_QIS),
            "--k",
            "5",
            "--suppression",
            "0.0",
            "--metric",
            "dm",
            "--out",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text())
    assert summary["dm"] == 55_170_356
    assert summary["levels"]["education"] == 3
    assert summary["suppressed"] == 0
    for key in ("aecs", "precision", "nodes_checked", "seconds", "risk"):
        assert key in summary
    assert summary["risk"]["prosecutor_highest"] <= 0.2
    table = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False)
    assert len(table) == 30162
    assert pycanon.anonymity.k_anonymity(table, ADULT_QIS) >= 5
    assert not list(tmp_path.glob(".*.tmp"))


def test_l_diversity_options(tmp_path: Path) -> None:
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            str(ADULT / "adult.csv"),
            "--sep",
            ";",
            *qi_options(["age", "sex", "race"]),
            "--sensitive",
            "occupation",
            "--k",
            "5",
            "--l",
            "3",
            "--l-variant",
            "recursive",
            "--c",
            "3",
            "--suppression",
            "0.02",
            "--out",
            str(out),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text())
    assert summary["models"][1] == {"model": "recursive l-diversity", "l": 3, "c": 3.0}
    table = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False)
    kept = table[(table[["age", "sex", "race"]] != "*").any(axis=1)].reset_index(drop=True)
    assert pycanon.anonymity.l_diversity(kept, ["age", "sex", "race"], ["occupation"]) >= 3


def _bad(tmp_path: Path, args: list[str]) -> tuple[int, str]:
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    result = runner.invoke(app, [*args, "--out", str(out), "--report", str(report)])
    assert not out.exists() and not report.exists(), "no partial output on error"
    assert not list(tmp_path.glob(".*.tmp"))
    # Rich wraps long lines; compare words, not layout.
    return result.exit_code, " ".join(result.output.split())


def test_bad_inputs_give_a_message_and_no_output(tmp_path: Path) -> None:
    adult = str(ADULT / "adult.csv")
    code, output = _bad(tmp_path, [adult, "--sep", ";", *qi_options(ADULT_QIS), "--k", "40000"])
    assert code != 0 and "larger than the table" in output
    code, output = _bad(tmp_path, [adult, "--sep", ";", "--qi", "age", "--k", "2"])
    assert code != 0 and "COLUMN=HIERARCHY.csv" in output
    code, output = _bad(tmp_path, [str(tmp_path / "none.csv"), "--qi", "a=b.csv", "--k", "2"])
    assert code != 0 and "does not exist" in output
    code, output = _bad(tmp_path, [adult, "--sep", ";", *qi_options(["age"])])
    assert code != 0 and "No privacy model" in output


def test_uncovered_value_in_a_file(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("sex;age\nMale;39\nAlien;40\n")
    code, output = _bad(tmp_path, [str(data), "--sep", ";", *qi_options(["sex"]), "--k", "1"])
    assert code == 6
    assert "'Alien'" in output and "row 3" in output


def test_ragged_hierarchy_file(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("sex\nMale\nFemale\n")
    hierarchy = tmp_path / "sex.csv"
    hierarchy.write_text("Male;*\nFemale\n")
    code, output = _bad(tmp_path, [str(data), "--sep", ";", "--qi", f"sex={hierarchy}", "--k", "1"])
    assert code != 0 and "row 2" in output


def test_impossible_models_and_suppression(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("sex;diagnosis\n" + "Male;flu\n" * 5 + "Female;asthma\n")
    hierarchy = tmp_path / "sex.csv"
    hierarchy.write_text("Male;*\nFemale;*\n")
    code, output = _bad(
        tmp_path,
        [
            str(data),
            "--sep",
            ";",
            "--qi",
            f"sex={hierarchy}",
            "--sensitive",
            "diagnosis",
            "--k",
            "2",
            "--l",
            "2",
            "--l-variant",
            "entropy",
            "--suppression",
            "0.1",
        ],
    )
    assert code == 13
    assert "No generalisation satisfies" in output
