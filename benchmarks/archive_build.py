"""Archive build of a synthetic research store: seconds and peak memory, against a plain export.

    uv run python benchmarks/archive_build.py            # 200k referral rows (quick)
    uv run python benchmarks/archive_build.py --full     # 1M referral rows (the figure)

The store is synthesised directly into the research store's tables with DuckDB SQL (fictional
pseudonyms: MD5 of a counter; child attributes fixed per child; 10% of rows with a Child
Protection Plan and 6% with a care start), which is far faster than the xlsx pipeline.

Measured, each in its own subprocess so peak resident memory (``ru_maxrss``) is its own:
* **build**: ``build_archive`` with the shipped No Wrong Door profile (read, anonymise with
  k = 10, write CSV + Parquet + Stata + codebook + report + manifest, record lineage);
* **baseline**: DuckDB exporting the same person-level rows (the same SQL) to one CSV file,
  i.e. the cost of getting the data out at all.
The ratio build / baseline is printed for time and for memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAS = ("354", "807", "877", "926", "856")
ETHNICITIES = (
    "WIRI", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH",
    "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
)  # fmt: skip


def synthesise(workspace_root: Path, rows: int) -> None:
    """Write ``rows`` referrals (and their CP and care rows) straight into a new store."""
    from steward.store import ResearchStore
    from steward.workspace import init_workspace

    ws = init_workspace(workspace_root)
    children = max(1, int(rows / 1.3))
    eth = "[" + ", ".join(f"'{e}'" for e in ETHNICITIES) + "]"
    las = "[" + ", ".join(f"'{la}'" for la in LAS) + "]"
    with ResearchStore.open(ws) as store:
        con = store.con
        for la in LAS:
            con.execute(
                "INSERT INTO submissions VALUES (?, ?, 'dr2', DATE '2025-03-01', ?, "
                "TIMESTAMP '2025-04-01 09:00:00', 0, 0)",
                [f"bench-{la}", la, f"bench_{la}.xlsx"],
            )
        child = f"(i % {children})"
        con.execute(f"""
            INSERT INTO dr2_referrals
            SELECT md5('child-' || {child}), md5('referral-' || i),
                   DATE '2019-04-01' + CAST(hash(i * 7 + 1) % 2200 AS INTEGER),
                   hash(i * 7 + 2) % 10 < 3,
                   '2010-01',
                   CAST(hash({child} * 11 + 3) % 216 AS BIGINT) - 3,
                   CASE WHEN hash({child} * 11 + 4) % 100 < 49 THEN 'F'
                        WHEN hash({child} * 11 + 4) % 100 < 99 THEN 'M' ELSE 'U' END,
                   CASE WHEN hash({child} * 11 + 5) % 100 < 75 THEN 'WBRI'
                        ELSE {eth}[CAST(hash({child} * 11 + 6) % {len(ETHNICITIES)} AS INTEGER) + 1]
                   END,
                   hash({child} * 11 + 7) % 100 < 9,
                   hash({child} * 11 + 8) % 100 < 3,
                   hash({child} * 11 + 9) % 100 < 25,
                   hash({child} * 11 + 10) % 100 < 20,
                   CAST(hash(i * 7 + 3) % 3 AS BIGINT),
                   {las}[CAST({child} % 5 AS INTEGER) + 1],
                   DATE '2025-03-01',
                   'bench-' || {las}[CAST({child} % 5 AS INTEGER) + 1],
                   'Referral', i
            FROM range({rows}) AS t(i)
        """)
        for table, share in (
            ("dr2_cp", 10),
            ("dr2_cla", 6),
        ):
            con.execute(f"""
                INSERT INTO {table}
                SELECT child_pid, referral_pid, referral_date + 30, birth_year_month,
                       age_months_at_referral + 1, gender, ethnicity, disabled, uasc, fsm_ever,
                       pupil_premium, previous_cpp, la_code, return_month, submission_id,
                       '{table}', source_row
                FROM dr2_referrals WHERE hash(source_row * 13 + {share}) % 100 < {share}
            """)  # fmt: skip
        store.checkpoint()


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_build(root: Path, out: Path) -> dict[str, float]:
    import datetime as dt

    from accounts import benchmark_researcher
    from steward.archive import build_archive
    from steward.workspace import open_workspace

    ws = open_workspace(root)
    researcher = benchmark_researcher(ws)
    start = time.perf_counter()
    result = build_archive(ws, out, actor=researcher, seed=1, today=dt.date(2026, 11, 27))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "records": result.records,
            "suppressed": result.suppressed}  # fmt: skip


def child_baseline(root: Path, out: Path) -> dict[str, float]:
    from steward.archive import load_profile
    from steward.archive.dataset import dataset_sql, plan_dataset
    from steward.policy import gate_for_workspace
    from steward.store import ResearchStore
    from steward.workspace import open_workspace

    ws = open_workspace(root)
    plan = plan_dataset(load_profile(), gate_for_workspace(ws.root))
    start = time.perf_counter()
    with ResearchStore.open(ws) as store:
        out.mkdir()
        store.con.execute(f"COPY ({dataset_sql(plan)}) TO '{out / 'referrals.csv'}' (HEADER)")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), "records": 0, "suppressed": 0}


def run_child(kind: str, root: Path, out: Path, env: dict[str, str]) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--root", str(root), "--out", str(out)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="referral rows to synthesise")
    parser.add_argument("--full", action="store_true", help="1,000,000 referral rows")
    parser.add_argument("--child", choices=("build", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_build if args.child == "build" else child_baseline
        print(json.dumps(run(args.root, args.out)))
        return
    rows = 1_000_000 if args.full else args.rows
    tmp = Path(tempfile.mkdtemp(prefix="steward-archive-bench-"))
    # Keys of the throwaway workspace go to the temporary folder, never the user's key store.
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "config")}
    os.environ.update(env)
    try:
        start = time.perf_counter()
        synthesise(tmp / "ws", rows)
        print(f"synthesised {rows:,} referral rows in {time.perf_counter() - start:.1f} s")
        base = run_child("baseline", tmp / "ws", tmp / "export", env)
        build = run_child("build", tmp / "ws", tmp / "package", env)
        size = sum(p.stat().st_size for p in (tmp / "package").rglob("*") if p.is_file())
        print(f"archive build : {build['seconds']:7.1f} s  peak {build['peak_mb']:7.0f} MB  "
              f"({int(build['records']):,} records published, {int(build['suppressed']):,} "
              f"suppressed; package {size / 1e6:.1f} MB)")  # fmt: skip
        print(f"baseline      : {base['seconds']:7.1f} s  peak {base['peak_mb']:7.0f} MB  "
              "(DuckDB COPY of the same person-level rows to CSV)")  # fmt: skip
        print(
            f"ratio build/baseline: time {build['seconds'] / base['seconds']:.1f}x, "
            f"memory {build['peak_mb'] / base['peak_mb']:.1f}x"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
