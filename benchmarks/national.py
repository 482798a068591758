"""National scale: ingest → linkage → cohort on DuckDB (and Spark), with a scaling curve.

    uv run python benchmarks/national.py                          # curve 5, 20, 50 LAs; Spark at 5
    uv run python benchmarks/national.py --curve 5,20,50,153      # the full national run too
    uv run python benchmarks/national.py --curve 5 --spark-las 5  # quick

The national synthetic returns (``steward synth --scale national``: CIN census XML, SSDA903 CSVs
and NPD extracts for 2019–2025) are written once for the largest LA count; each run ingests the
first N LAs' files into a fresh workspace (study ``national``, environment ``srs_research``),
links them to the NPD and builds the cohort. Each run is its own subprocess, so the peak
resident memory it reports (the process and its children, Spark's JVM included, sampled every
0.2 s) is its own.

Printed figures, each against its baseline from the same run:
* the national run's wall time and peak memory against the targets (10 minutes, 8 GB);
* seconds per million events at every LA count, as a ratio to the smallest count (the curve
  must stay flat or fall);
* Spark local mode against DuckDB on the same LAs (DuckDB seconds / Spark seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from steward.synth.national_npd import write_pmr_lookup

TARGET_SECONDS = 600
TARGET_BYTES = 8 * 1024**3


class PeakMemory:
    """Peak resident memory of this process and all its children, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        self.peak = 0
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self._every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def inputs_for(data: Path, las: int) -> list[Path]:
    """The files of the first ``las`` LAs: their folders and their NPD extracts."""
    from steward.study.local_authorities import ENGLISH_LOCAL_AUTHORITIES

    slugs = [la.slug for la in ENGLISH_LOCAL_AUTHORITIES[:las]]
    paths = [data / slug for slug in slugs if (data / slug).is_dir()]
    npd = data / "npd"
    paths += sorted(p for p in npd.glob("*.csv") if any(p.name.startswith(f"{s}_") for s in slugs))
    return paths


def run_once(data: Path, las: int, engine: str) -> dict[str, object]:
    """One run in this process: a fresh workspace, ingest, linkage, cohort (timed)."""
    from steward.cohort.builder import build_cohort
    from steward.governance.access import demo_researcher
    from steward.governance.db import open_database, session_scope
    from steward.ingest import expand_paths, ingest
    from steward.linkage.deterministic import link_store
    from steward.store import open_store
    from steward.study.definition import load_study
    from steward.workspace import init_workspace

    root = Path(tempfile.mkdtemp(prefix=f"national-{engine}-{las}-"))
    ws = init_workspace(root / "ws", study="national", environment="srs_research", engine=engine)
    db = open_database(ws.database_url)
    with session_scope(db) as session:
        actor = demo_researcher(session)
    db.dispose()
    files = expand_paths(inputs_for(data, las))
    seconds: dict[str, float] = {}
    with PeakMemory() as memory:
        start, cpu = time.perf_counter(), _cpu_seconds()
        summary = ingest(ws, files, actor=actor)
        seconds["ingest"] = time.perf_counter() - start
        study = load_study("national")
        with open_store(ws) as store:
            mark = time.perf_counter()
            linkage = link_store(store.sql, with_npd=True, sources=study.sources)
            seconds["linkage"] = time.perf_counter() - mark
            mark = time.perf_counter()
            cohort = build_cohort(store.sql, study)
            seconds["cohort"] = time.perf_counter() - mark
        seconds["total"] = time.perf_counter() - start
    seconds["cpu"] = _cpu_seconds() - cpu  # ingest workers included once they have exited
    return {
        "engine": engine,
        "las": las,
        "files": len(files),
        "failed": len(summary.failed),
        "events": summary.store_rows,
        "children": summary.children,
        "linked": int((linkage.children["npd_status"] == "matched").sum()),
        "cohort": len(cohort.data),
        "seconds": seconds,
        "peak_bytes": memory.peak,
    }


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def in_subprocess(data: Path, las: int, engine: str, key: bytes) -> dict[str, object]:
    # Every run's workspace uses the key the PMR lookups were written under (fictional data).
    env = {**os.environ, "STEWARD_PSEUDONYM_KEY": key.hex()}
    out = subprocess.run(
        [sys.executable, __file__, "--run", engine, "--las", str(las), "--data", str(data)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    if out.returncode:
        sys.exit(f"{engine} run on {las} LAs failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def synthesise(data: Path, las: int) -> float:
    from steward.synth.national import write_national

    start = time.perf_counter()
    write_national(data, seed=2025, las=las)
    return time.perf_counter() - start


def line(r: dict[str, object]) -> str:
    s = r["seconds"]
    assert isinstance(s, dict)
    events = int(r["events"])  # type: ignore[call-overload]
    per_m = s["total"] / (events / 1e6)
    return (
        f"{r['engine']:7} {r['las']:>4} LAs {r['files']:>6} files {events / 1e6:7.2f} M events  "
        f"ingest {s['ingest']:7.1f} s  linkage {s['linkage']:6.1f} s  cohort {s['cohort']:6.1f} s  "
        f"total {s['total']:7.1f} s (CPU {s['cpu']:7.1f} s)  {per_m:6.1f} s/M events  "
        f"peak {int(r['peak_bytes']) / 1024**3:5.2f} GB  cohort {r['cohort']:,} children"  # type: ignore[call-overload]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--curve", default="5,20,50", help="LA counts to run on DuckDB")
    parser.add_argument("--spark-las", type=int, default=5, help="LAs for the Spark run (0: none)")
    parser.add_argument("--data", type=Path, help="national returns folder (written if empty)")
    parser.add_argument("--run", choices=("duckdb", "spark"), help=argparse.SUPPRESS)
    parser.add_argument("--las", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_once(args.data, args.las, args.run)))
        return

    curve = sorted({int(n) for n in args.curve.split(",")})
    data = args.data or Path(tempfile.mkdtemp(prefix="national-returns-"))
    largest = max([*curve, args.spark_las])
    if not any(data.glob("*/cin_census_*.xml")):
        print(f"synthesising {largest} LAs into {data} ...", flush=True)
        print(f"synth: {synthesise(data, largest):.1f} s", flush=True)
    key = secrets.token_bytes(32)
    write_pmr_lookup(data, key)

    results = []
    spark_line = ""
    for las in curve:
        results.append(in_subprocess(data, las, "duckdb", key))
        print(line(results[-1]), flush=True)
        if las == args.spark_las:  # the Spark comparison as soon as its DuckDB run is in
            spark_line = spark_comparison(data, results[-1], key)
    if args.spark_las and not spark_line:
        duck = in_subprocess(data, args.spark_las, "duckdb", key)
        spark_comparison(data, duck, key)
    first = results[0]
    base = first["seconds"]["total"] / int(first["events"])  # type: ignore[index, call-overload]
    print("\nscaling curve (seconds per million events, ratio to the smallest run):")
    for r in results:
        per = r["seconds"]["total"] / int(r["events"])  # type: ignore[index, call-overload]
        print(f"  {r['las']:>4} LAs: {per * 1e6:6.1f} s/M  ratio {per / base:5.2f}")
    largest_run = results[-1]
    total = largest_run["seconds"]["total"]  # type: ignore[index]
    print(
        f"\n{largest_run['las']} LAs on DuckDB: {total:.0f} s = {total / TARGET_SECONDS:.2f} × the "
        f"10-minute target; peak {int(largest_run['peak_bytes']) / 1024**3:.2f} GB = "  # type: ignore[call-overload]
        f"{int(largest_run['peak_bytes']) / TARGET_BYTES:.2f} × the 8 GB target"  # type: ignore[call-overload]
    )
    if spark_line:
        print(spark_line)


def spark_comparison(data: Path, duck: dict[str, object], key: bytes) -> str:
    """Run Spark on the LAs of ``duck`` and print (and return) the comparison line."""
    spark = in_subprocess(data, int(duck["las"]), "spark", key)  # type: ignore[call-overload]
    print(line(spark), flush=True)
    ratio = duck["seconds"]["total"] / spark["seconds"]["total"]  # type: ignore[index]
    same = (duck["events"], duck["cohort"], duck["linked"]) == (
        spark["events"], spark["cohort"], spark["linked"],
    )  # fmt: skip
    text = (
        f"Spark local mode, {duck['las']} LAs: DuckDB/Spark wall-time ratio {ratio:.3f} "
        f"(Spark takes {1 / ratio:.1f}× as long); same events, cohort and linkage: {same}"
    )
    print(text, flush=True)
    return text


if __name__ == "__main__":
    main()
