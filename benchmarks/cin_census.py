"""Benchmark: CIN census ingest throughput and memory, against liiatools 0.2.0 cleaning a census.

Files are written by ``steward.synth.statutory.write_cin_census`` (collection year 2023-24, the
newest with a published XSD, so both tools check every child against a schema) under
``benchmarks/.out/``:

  steward    read_cin_census (hardened streaming parse, per-child XSD validation, the rule set,
             quarantine split) + pseudonymise_cin on every batch: what ``steward ingest`` does
             for a census except writing the store. Run in a fresh interpreter that reports its
             own processing time and peak RSS. ``--full-ingest`` also times the whole ingest
             (landing copy, store load) into a temporary workspace.
  liiatools  ``python -m liiatools cin-census cleanfile`` (0.2.0 from PyPI) in its own venv
             (``benchmarks/.out/liiatools-venv``, created on first use: its pinned cchardet does
             not build on Python 3.11, so faust-cchardet and numpy<2 are installed first, then
             its other requirements, then liiatools with --no-deps). It is slow, so it cleans a
             smaller file of ``--liia-children`` children; the rates are compared per child.
             Its time includes its own start-up (about a second, small beside the run).

Prints children/s for both (wall clock, and CPU seconds as the machine may be shared), the
ratio (target >= 200x) and Steward's peak memory at 1x and 4x the file size (flat = streaming).

    uv run python benchmarks/cin_census.py                      # 100k children, liiatools on 1k
    uv run python benchmarks/cin_census.py --children 20000 --liia-children 300
    uv run python benchmarks/cin_census.py --skip-liiatools
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / ".out"
LIIA_VENV = OUT / "liiatools-venv"
YEAR = 2024
LA_CODE = "926"  # Norfolk: a study LA, so the full ingest accepts the file
LIIA_LA = "bar"  # liiatools only knows its own three-letter LA codes

# liiatools 0.2.0's requirements, with cchardet swapped for a fork that builds on Python 3.11.
_LIIA_REQUIREMENTS = [
    "faust-cchardet",
    "numpy<2",
    "PyYAML>=6,<7",
    "XlsxWriter>=3.0.3,<4",
    "click>=8.1.2,<9",
    "click-log>=0.4,<0.5",
    "dacite>=1.6,<2",
    "lxml>=4.9.1,<5",
    "more-itertools>=8.12,<9",
    "openpyxl>=3.0.9,<4",
    "pandas>=1.4.2,<2",
    "python-decouple>=3.8,<4",
    "regex>=2022.4.24,<2023",
    "sfdata-stream-parser==0.4.1",
    "tablib[cli,xlsx]>=3.2,<4",
    "xlrd>=2.0.1,<3",
    "xmlschema>=1.10,<2",
]

# Runs in a fresh interpreter: imports and a tiny census first, so that lazily loaded modules
# and the XSD are in the "after imports" memory figure, not charged to the big file.
_WORKER = """
import json, os, resource, sys, tempfile, time
from pathlib import Path
import psutil
from steward.pseudonymise.statutory import pseudonymise_cin
from steward.returns.cin_census.validate import read_cin_census
from steward.synth.statutory import write_cin_census

key = os.urandom(32)

def pipeline(path):
    header, batches = read_cin_census(path)
    children = quarantined = rows = 0
    for batch in batches:
        children += batch.children
        quarantined += batch.quarantined.num_rows
        stored = pseudonymise_cin(
            batch.tables, key=key, la_code=header.la_code,
            reference_date=header.reference_date, collection_year=header.collection_year,
            submission_id="bench",
        )
        rows += sum(t.num_rows for t in stored.values())
    return children, quarantined, rows

def full_ingest(path):
    from accounts import benchmark_researcher
    from steward.ingest import ingest
    from steward.workspace import init_workspace
    ws = init_workspace(Path(tempfile.mkdtemp()) / "ws")
    [outcome] = ingest(ws, [path], actor=benchmark_researcher(ws)).outcomes
    assert outcome.status == "loaded", outcome.error
    return outcome.rows, outcome.quarantined, 0

tiny = Path(tempfile.mkdtemp()) / "tiny.xml"
write_cin_census(tiny, children=20, la_code="926", collection_year=2024, seed=1)
pipeline(tiny)
before = psutil.Process().memory_info().rss
run = full_ingest if sys.argv[2] == "ingest" else pipeline
wall, cpu = time.perf_counter(), time.process_time()
children, quarantined, rows = run(Path(sys.argv[1]))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
print(json.dumps({"children": children, "quarantined": quarantined, "rows": rows,
                  "wall": wall, "cpu": cpu, "peak_rss": peak, "rss_after_imports": before}))
"""

# Runs another program and reports its wall time, CPU time and peak RSS (a fresh launcher, so
# RUSAGE_CHILDREN covers that one program only).
_LAUNCHER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
try:
    done = subprocess.run(sys.argv[2:], capture_output=True, text=True, timeout=float(sys.argv[1]))
    code, tail = done.returncode, (done.stdout + done.stderr)[-2000:]
except subprocess.TimeoutExpired:
    code, tail = None, "timed out"
wall = time.perf_counter() - start
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": use.ru_utime + use.ru_stime,
                  "peak_rss": use.ru_maxrss * 1024, "returncode": code, "tail": tail}))
"""


def build(children: int, seed: int) -> Path:
    """The census of ``children`` children, cached by size and seed (the name gives the year)."""
    from steward.synth.statutory import write_cin_census

    path = OUT / f"CIN_Census_{YEAR}_{children}_{seed}.xml"
    if not path.exists():
        started = time.perf_counter()
        write_cin_census(path, children=children, la_code=LA_CODE, collection_year=YEAR, seed=seed)
        print(f"built {path.name} ({path.stat().st_size / 1024**2:.0f} MiB) "
              f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
    return path


def _worker_env() -> dict[str, str]:
    """The environment of the worker, which imports the account helper beside this script."""
    paths = [str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def run_steward(path: Path, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, str(path), mode],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        env=_worker_env(),
    )
    if done.returncode != 0:
        sys.exit(f"Steward's run failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def liiatools_python() -> tuple[Path | None, str]:
    """The liiatools venv's interpreter, installing it on first use; (None, why) if it fails."""
    python = LIIA_VENV / "bin" / "python"
    probe = [str(python), "-c", "import liiatools.datasets.cin_census.cin_cli"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python, "installed"
    print(f"installing liiatools 0.2.0 into {LIIA_VENV} (about a minute) ...")
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(LIIA_VENV)],
        [str(python), "-m", "pip", "install", "-q", *_LIIA_REQUIREMENTS],
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "liiatools==0.2.0"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "WARNING" not in ln]
            return None, f"`{' '.join(step[-3:])}` failed: " + " | ".join(lines[-6:])
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return None, "liiatools installed but does not import"
    return python, "installed now"


def run_liiatools(python: Path, census: Path, timeout: float) -> dict[str, Any]:
    """liiatools cleanfile on ``census``; its output must be one cleaned CSV with every child."""
    work = Path(tempfile.mkdtemp(prefix="liia-", dir=OUT))
    try:
        for name in ("in", "out", "log"):
            (work / name).mkdir()
        # liiatools takes the collection year from the file name.
        source = work / "in" / f"CIN_Census_{YEAR}.xml"
        shutil.copyfile(census, source)
        command = [str(python), "-m", "liiatools", "cin-census", "cleanfile", "--i", str(source),
                   "--la_code", LIIA_LA, "--la_log_dir", str(work / "log"), "--o",
                   str(work / "out")]  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(timeout), *command],
            capture_output=True,
            text=True,
        )
        result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
        cleaned = list((work / "out").glob("*.csv"))
        result["children_out"] = 0
        if result["returncode"] == 0 and cleaned:
            import csv

            with cleaned[0].open(newline="") as fh:
                result["children_out"] = len({row["LAchildID"] for row in csv.DictReader(fh)})
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _rates(children: int, run: dict[str, Any]) -> str:
    return (f"{children / run['wall']:>10,.0f} children/s wall, "
            f"{children / run['cpu']:>10,.0f} children/s CPU")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--children", type=int, default=100_000, help="large file (default 100k)")
    parser.add_argument("--liia-children", type=int, default=1000, help="liiatools' file (1000)")
    parser.add_argument("--liia-timeout", type=float, default=900, help="seconds (default 900)")
    parser.add_argument("--skip-liiatools", action="store_true")
    parser.add_argument("--full-ingest", action="store_true", help="also time the full ingest")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    large = build(args.children, args.seed)
    quarter = build(max(1, args.children // 4), args.seed)
    small = build(args.liia_children, args.seed)

    steward = run_steward(large, "pipeline")
    n = steward["children"]
    print(f"steward  : {n:>8,} children in {steward['wall']:7.1f}s: {_rates(n, steward)} "
          f"({steward['quarantined']} quarantined; read + XSD + rules + pseudonymise)")  # fmt: skip
    on_small = run_steward(small, "pipeline")
    print(f"steward  : {on_small['children']:>8,} children in {on_small['wall']:7.2f}s: "
          f"{_rates(on_small['children'], on_small)} (liiatools' file)")  # fmt: skip
    if args.full_ingest:
        ingest = run_steward(large, "ingest")
        print(f"steward  : {ingest['children']:>8,} children in {ingest['wall']:7.1f}s: "
              f"{_rates(ingest['children'], ingest)} (full ingest into a workspace)")  # fmt: skip

    if not args.skip_liiatools:
        python, how = liiatools_python()
        if python is None:
            print(f"liiatools: not measured, its install failed: {how}")
        else:
            liia = run_liiatools(python, small, args.liia_timeout)
            m = args.liia_children
            if liia["returncode"] is None:
                # Stopped at the cap: it would have managed at most m children in that time.
                print(f"liiatools: stopped after {liia['wall']:.0f}s on {m:,} children; its "
                      f"rate is at most {m / liia['wall']:.1f} children/s, so the ratios "
                      "below are lower bounds")  # fmt: skip
            elif liia["returncode"] != 0 or liia["children_out"] != m:
                print(
                    f"liiatools: failed (exit {liia['returncode']}, "
                    f"{liia['children_out']} of {m} children out): {liia['tail'][-600:]}"
                )
                liia = {}
            else:
                print(f"liiatools: {m:>8,} children in {liia['wall']:7.1f}s: {_rates(m, liia)}, "
                      f"peak RSS {liia['peak_rss'] / 1024**2:,.0f} MiB")  # fmt: skip
            if liia:
                wall = (n / steward["wall"]) / (m / liia["wall"])
                cpu = (n / steward["cpu"]) / (m / liia["cpu"])
                same = (on_small["children"] / on_small["wall"]) / (m / liia["wall"])
                print(f"ratio    : {wall:,.0f}x wall, {cpu:,.0f}x CPU (target >= 200x); "
                      f"{same:,.0f}x wall on liiatools' own {m:,}-child file")  # fmt: skip

    one = run_steward(quarter, "pipeline")
    print("peak RSS : "
          f"{one['peak_rss'] / 1024**2:,.0f} MiB at 1x ({one['children']:,} children, "
          f"{quarter.stat().st_size / 1024**2:,.0f} MiB file), "
          f"{steward['peak_rss'] / 1024**2:,.0f} MiB at 4x ({n:,} children, "
          f"{large.stat().st_size / 1024**2:,.0f} MiB file); "
          f"above imports {(one['peak_rss'] - one['rss_after_imports']) / 1024**2:,.0f} → "
          f"{(steward['peak_rss'] - steward['rss_after_imports']) / 1024**2:,.0f} MiB "
          f"(ratio 4x/1x {steward['peak_rss'] / one['peak_rss']:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
