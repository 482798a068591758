"""Benchmark: SSDA903 episodes ingest throughput, against a plain pandas read and clean.

Both sides read the same episodes CSV, written by ``steward.synth.statutory.write_ssda903``
under ``benchmarks/.out/`` (about ``--rows`` episode rows, with the other tables beside it):

  baseline  pandas.read_csv (all text), then what an analyst would write: pd.to_datetime(
            format="%d/%m/%Y") per date column, code-list checks with .apply, postcodes cut to
            their district with .apply, required fields and DEC >= DECOM checked, rows that
            break a blocking check set aside
  steward   read_ssda903: encoding sniff, table recognised by its columns, cleaning and every
            check in DuckDB SQL over Arrow, quarantine with reasons

Prints rows/s for both (wall clock, the fastest of ``--repeat`` runs, and CPU seconds, which
count every thread), and the speed-up (target >= 5x).

    uv run python benchmarks/ssda903.py                  # about 300,000 episode rows
    uv run python benchmarks/ssda903.py --rows 1000000   # the full size
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from steward.returns.ssda903.reader import read_ssda903
from steward.returns.ssda903.spec import TABLES
from steward.synth.statutory import write_ssda903

OUT = Path(__file__).resolve().parent / ".out"
EPISODES = next(t for t in TABLES if t.name == "s903_episodes")
EPISODES_PER_CHILD = 2.3  # the synthetic writer's mean


def build(rows: int, seed: int) -> Path:
    """The episodes CSV of about ``rows`` rows, cached by size and seed."""
    folder = OUT / f"ssda903_{rows}_{seed}"
    path = folder / "926_episodes.csv"
    if not path.exists():
        started = time.perf_counter()
        children = max(1, round(rows / EPISODES_PER_CHILD))
        write_ssda903(folder, children=children, la_code="926", seed=seed)
        print(f"built {path.name} ({path.stat().st_size / 1024**2:.0f} MiB) "
              f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
    return path


def _district(value: str) -> str | None:
    compact = value.replace(" ", "").upper()
    return compact[:-3] if 5 <= len(compact) <= 7 else None


def run_baseline(path: Path) -> tuple[int, int]:
    """pandas read + clean of the episodes table; returns (rows read, rows quarantined)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [c.strip().upper() for c in frame.columns]
    blocked = pd.Series(False, index=frame.index)
    warnings = 0  # counted, as a report would, though they do not block a row
    cleaned = pd.DataFrame(index=frame.index)
    for col in EPISODES.columns:
        value: pd.Series
        text = frame[col.name].str.strip() if col.name in frame else pd.Series("", frame.index)
        if col.required:
            blocked |= text.eq("")
        if col.type == "date":
            value = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
            bad = text.ne("") & value.isna()
            if col.required:
                blocked |= bad
            else:
                warnings += int(bad.sum())
        elif col.type == "code":
            allowed = set(col.codes)
            value = text.str.upper().replace("", None)
            bad = text.apply(lambda v, allowed=allowed: v != "" and v.upper() not in allowed)
            warnings += int(bad.sum())
        elif col.type == "postcode":
            value = text.apply(lambda v: _district(v) if v else None)
        else:
            value = text.replace("", None)
        cleaned[col.name] = value
    blocked |= (cleaned["DEC"] < cleaned["DECOM"]).fillna(False)
    kept = cleaned[~blocked]
    return len(frame), len(frame) - len(kept)


def run_steward(path: Path) -> tuple[int, int]:
    reading = read_ssda903(path)
    return reading.rows_in, reading.quarantined.num_rows


def timed(run: Callable[[Path], tuple[int, int]], path: Path, repeat: int) -> dict[str, float]:
    """The fastest of ``repeat`` runs: wall and CPU seconds, rows and rows quarantined."""
    best: dict[str, float] = {}
    for _ in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        rows, quarantined = run(path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if not best or wall < best["wall"]:
            best = {"wall": wall, "cpu": cpu, "rows": rows, "quarantined": quarantined}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000, help="episode rows (default 300k)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side, fastest kept")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    path = build(args.rows, args.seed)
    warm = build(2000, args.seed)  # first-call costs (imports, DuckDB start) off both clocks
    run_steward(warm)
    run_baseline(warm)

    steward = timed(run_steward, path, args.repeat)
    baseline = timed(run_baseline, path, args.repeat)
    if (steward["rows"], steward["quarantined"]) != (baseline["rows"], baseline["quarantined"]):
        print(f"warning: the two sides disagree: steward {steward}, baseline {baseline}")
    for name, r in (("steward ", steward), ("baseline", baseline)):
        print(f"{name}: {r['rows']:>10,.0f} rows in {r['wall']:6.2f}s = "
              f"{r['rows'] / r['wall']:>10,.0f} rows/s wall, "
              f"{r['rows'] / r['cpu']:>10,.0f} rows/s CPU "
              f"({r['quarantined']:,.0f} quarantined)")  # fmt: skip
    print(f"speed-up: {baseline['wall'] / steward['wall']:.1f}x wall, "
          f"{baseline['cpu'] / steward['cpu']:.1f}x CPU (target >= 5x)")  # fmt: skip


if __name__ == "__main__":
    main()
