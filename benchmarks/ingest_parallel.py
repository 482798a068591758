"""Benchmark: national ingest with one process against a pool of worker processes.

Synthesises the national returns of the first ``--las`` LAs (CIN census XML, SSDA903 CSVs and
NPD extracts, 2019–2025, national volume) under ``benchmarks/.out/`` (kept and reused), then
ingests them into two fresh ``srs_research`` workspaces under the same pseudonym key: one with
``ingest_workers = 1`` (everything in the ingesting process) and one with ``--workers``
(default 2). Prints files, rows and wall time of each, the speed-up ratio, and checks that both
stores hold the same children and rows.

    uv run python benchmarks/ingest_parallel.py              # 5 LAs, 1 against 2 workers
    uv run python benchmarks/ingest_parallel.py --las 2 --workers 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / ".out"
KEY = bytes(range(32))  # fictional data: a fixed key, so the PMR lookups match every run
SEED = 20


def synthesise(las: int) -> Path:
    from steward.synth.national import write_national

    data = OUT / f"ingest-parallel-{las}las-seed{SEED}"
    done = data / ".complete"
    if not done.exists():
        shutil.rmtree(data, ignore_errors=True)
        start = time.perf_counter()
        write_national(data, seed=SEED, las=las, key=KEY)
        done.touch()
        print(f"synthesised {las} LAs in {time.perf_counter() - start:.1f} s -> {data}")
    return data


def ingest_with(data: Path, workers: int) -> dict[str, float | int]:
    from steward.governance.access import demo_researcher
    from steward.governance.db import open_database, session_scope
    from steward.ingest import expand_paths, ingest
    from steward.workspace import init_workspace

    root = Path(tempfile.mkdtemp(prefix=f"ingest-workers{workers}-"))
    try:
        ws = init_workspace(
            root / "ws", study="national", environment="srs_research", ingest_workers=workers
        )
        db = open_database(ws.database_url)
        with session_scope(db) as session:
            actor = demo_researcher(session)
        db.dispose()
        # The LA folders and the NPD extracts; npd_truth/ is the generator's answer key.
        files = expand_paths(
            [p for p in sorted(data.iterdir()) if p.is_dir() and p.name != "npd_truth"]
        )
        start = time.perf_counter()
        summary = ingest(ws, files, actor=actor)
        seconds = time.perf_counter() - start
        if summary.failed or summary.refused:
            raise SystemExit(f"{len(summary.failed) + len(summary.refused)} file(s) not loaded")
        return {
            "files": len(files),
            "rows": summary.rows,
            "store_rows": summary.store_rows,
            "children": summary.children,
            "seconds": seconds,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--las", type=int, default=5, help="first N English LAs (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel run")
    args = parser.parse_args()
    os.environ["STEWARD_PSEUDONYM_KEY"] = KEY.hex()
    os.environ.setdefault("STEWARD_MASTER_KEY", "b3" * 32)
    data = synthesise(args.las)
    serial = ingest_with(data, 1)
    parallel = ingest_with(data, args.workers)
    for label, run in (("1 worker", serial), (f"{args.workers} workers", parallel)):
        print(f"{label:>10}: {run['files']} files, {run['rows']:,} rows read, "
              f"{run['store_rows']:,} store rows, {run['children']:,} children, "
              f"{run['seconds']:.1f} s")  # fmt: skip
    same = all(serial[k] == parallel[k] for k in ("files", "rows", "store_rows", "children"))
    print(f"speed-up: {serial['seconds'] / parallel['seconds']:.2f}x "
          f"({os.cpu_count()} cores); same store totals: {same}")  # fmt: skip
    if not same:
        raise SystemExit("the two runs disagree")


if __name__ == "__main__":
    main()
