"""Bad input at national scale: a corrupt LA file, an engine typo, a Spark that cannot start."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from steward.cli.main import app
from steward.errors import ConfigError, EngineError
from steward.governance.access import User
from steward.ingest import ingest
from steward.landing import Quarantine
from steward.store import ResearchStore
from steward.synth.national import write_national
from steward.workspace import init_workspace, open_workspace


def test_a_corrupt_la_file_is_quarantined_and_the_other_las_complete(
    tmp_path: Path, account: Callable[..., User]
) -> None:
    ws = init_workspace(tmp_path / "ws", study="national")
    returns = tmp_path / "returns"
    write_national(returns, seed=5, las=3, years=(2024,), fraction=0.02, workers=1)
    corrupt = sorted(returns.glob("*/cin_census_2024.xml"))[1]
    text = corrupt.read_bytes()
    corrupt.write_bytes(text[: len(text) // 2])  # cut off mid-file, as a failed upload would
    folders = sorted(
        p for p in returns.iterdir() if p.is_dir() and p.name not in ("npd", "npd_truth")
    )

    summary = ingest(ws, folders, actor=account(ws))

    [failed] = summary.failed
    assert failed.path == corrupt
    assert failed.error is not None and corrupt.name in str(failed.error.where)
    assert failed.error.fix
    assert failed.quarantined_file is not None
    kept = Quarantine.for_workspace(ws).read(failed.quarantined_file)
    assert kept["file_name"].to_pylist() == [corrupt.name]
    assert kept["content"][0].as_py() == corrupt.read_bytes()
    assert kept["reason"][0].as_py()
    # Every other file of every LA loaded, and nothing of the corrupt census reached the store.
    # (Header-only tables of small LAs are byte-identical, so some are "already ingested".)
    assert all(
        o.status in ("loaded", "already_ingested") for o in summary.outcomes if o is not failed
    )
    with ResearchStore.open(ws) as store:
        kinds = store.query(
            "SELECT la_code, return_type, count(*) AS n FROM submissions GROUP BY ALL"
        ).to_pylist()
    loaded_cin = {k["la_code"] for k in kinds if k["return_type"] == "cin"}
    assert len(loaded_cin) == 2 and len({k["la_code"] for k in kinds}) == 3


def test_an_engine_typo_in_steward_toml_is_a_located_error(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    settings = ws.root / "steward.toml"
    settings.write_text(settings.read_text().replace('engine = "duckdb"', 'engine = "sprak"'))
    with pytest.raises(ConfigError) as caught:
        open_workspace(ws.root)
    assert "engine" in caught.value.what and "spark" in caught.value.what
    assert caught.value.where.file == str(settings)


def test_an_engine_typo_on_the_command_line_suggests_the_engine(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    result = CliRunner().invoke(
        app, ["ingest", "--as", "rita", "--workspace", str(ws.root), "--engine", "sprak", "x.csv"]
    )
    assert result.exit_code != 0
    assert "unknown engine 'sprak'" in result.output
    assert "did you mean 'spark'" in result.output


def _start_spark(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "from steward.store.dialect_spark import spark_session\n"
        "from steward.errors import EngineError\n"
        "try:\n    spark_session()\n"
        "except EngineError as e:\n    print('WHAT', e.what); print('FIX', e.fix); raise SystemExit(3)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )


def test_spark_without_java_says_what_to_install() -> None:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # the environment's python, no java
    result = _start_spark(env)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "no Java runtime" in result.stdout
    assert "Java 17" in result.stdout and 'engine = "duckdb"' in result.stdout


def test_spark_with_a_broken_java_home_is_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + ":/bin"
    env["JAVA_HOME"] = str(tmp_path / "no-such-jdk")
    result = _start_spark(env)
    assert result.returncode == 3, result.stderr[-2000:]
    assert "Spark could not start" in result.stdout


def test_duckdb_only_steps_refuse_a_spark_workspace(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", engine="spark")
    with pytest.raises(EngineError) as caught:
        ResearchStore.open(ws)
    assert "spark store" in caught.value.what and caught.value.where.column == "engine"
