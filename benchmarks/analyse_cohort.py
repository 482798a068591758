"""Figure: the whole ``steward analyse`` (cohort, every model, disclosure control, report) on a
cohort of about 10,000 children; target under 60 s on a 2-core machine.

Baseline, measured in the same run: the primary GLMM fit alone, so the ratio says what the rest
of the analysis (sensitivity models, imputation, checks, report) costs on top of it.

    uv run python benchmarks/analyse_cohort.py [--scale large] [--keep DIR]

The workspace is built once (synthetic returns at the ``large`` scale, about 11,000 children
in the trial cohort) and reused from ``benchmarks/.out/analyse`` on later runs.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / ".out" / "analyse"


def build_workspace(scale: str) -> Path:
    from accounts import benchmark_researcher
    from steward.ingest import ingest
    from steward.synth import generate_returns
    from steward.workspace import init_workspace

    ws_dir = OUT / f"ws-{scale}"
    if (ws_dir / "store" / "research.duckdb").exists():
        return ws_dir
    incoming = OUT / f"returns-{scale}"
    start = time.perf_counter()
    generate_returns(incoming, scale=scale, seed=7)  # type: ignore[arg-type]
    ws = init_workspace(ws_dir, key_dir=OUT / f"keys-{scale}")
    summary = ingest(ws, [incoming], actor=benchmark_researcher(ws))
    print(f"built workspace: {summary.children:,} children in {time.perf_counter() - start:.0f} s")
    return ws_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    args = parser.parse_args()
    os.environ.setdefault("XDG_CONFIG_HOME", str(OUT / "config"))

    from accounts import benchmark_researcher
    from steward.analyse import analyse, model_spec
    from steward.analysis.glmm import estimate_glmm
    from steward.workspace import open_workspace

    ws = open_workspace(build_workspace(args.scale))
    researcher = benchmark_researcher(ws)
    start = time.perf_counter()
    run = analyse(ws, actor=researcher)
    whole = time.perf_counter() - start
    spec = model_spec(run.study)
    start = time.perf_counter()
    estimate_glmm(run.primary_data, spec.response, spec.fixed, spec.group)
    primary = time.perf_counter() - start
    print(f"cohort: {len(run.primary_data):,} children in the primary analysis")
    print("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items()))
    print(f"primary GLMM fit alone (baseline): {primary:.2f} s")
    print(f"whole steward analyse: {whole:.1f} s (target < 60 s)")
    print(f"ratio whole / primary fit: {whole / primary:.1f}x")


if __name__ == "__main__":
    main()
