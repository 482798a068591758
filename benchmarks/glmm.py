"""Benchmark: the primary GLMM (Laplace, nAGQ=1) on a 10,000-child cohort, against lme4.

Both sides fit the same model to the same data (``steward.analysis.simulated_trial``'s seeded
reference cohort, written to a temporary CSV for R):

  baseline  lme4::glmer(..., family = binomial, nAGQ = 1) with its default control, timed inside
            R with system.time (R start-up and CSV reading are not counted)
  steward   steward.analysis.glmm.estimate_glmm, timed from data frame to result (design
            matrix, checks, optimisation to a gradient below 1e-6, Hessian for the SEs)

Prints both times, the speed-up (target >= 20x), our final gradient and lme4's, and the
largest difference in fixed effects between the two. Without Rscript + lme4 it prints our time
and lme4's 45 s reference figure marked as not measured.

    uv run python benchmarks/glmm.py               # 10,000 children
    uv run python benchmarks/glmm.py --n 2000      # smaller cohort
    uv run python benchmarks/glmm.py --no-r        # skip lme4
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from steward.analysis.glmm import GlmmFit, estimate_glmm
from steward.analysis.simulated_trial import PRIMARY_FIXED, REFERENCE_SEED, simulate_trial

LME4_REFERENCE_SECONDS = 45.0

_R = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, check.names = FALSE,
              colClasses = c(age_group = "character", previous_cpp = "character"))
d$wedge <- factor(d$wedge, levels = c("baseline", "wedge_1", "wedge_2", "wedge_3", "wedge_4"))
d$age_group <- factor(d$age_group, levels = c("0-4", "5-9", "10-15"))
d$gender <- factor(d$gender, levels = c("Female", "Male"))
d$ethnicity_group <- factor(d$ethnicity_group,
                            levels = c("White", "Mixed", "Asian", "Black", "Other", "Missing"))
d$previous_cpp <- factor(d$previous_cpp, levels = c("0", "1", "2", "3+"))
form <- cla_status ~ treatment_group + wedge + age_group + gender + ethnicity_group +
  disabled + uasc + previous_cpp + referral_nfa + cla_rate_per_10k + (1 | local_authority)
t <- system.time(fit <- suppressWarnings(glmer(form, data = d, family = binomial, nAGQ = 1)))
writeLines(toJSON(list(seconds = t[["elapsed"]], estimate = unname(fixef(fit)),
                       max_abs_gradient = max(abs(fit@optinfo$derivs$gradient))),
                  auto_unbox = TRUE, digits = NA), args[2])
"""


def _lme4_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "library(lme4); library(jsonlite)"], capture_output=True, check=False
    )
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="children in the cohort")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits of ours (median)")
    parser.add_argument("--no-r", action="store_true", help="do not run lme4")
    args = parser.parse_args()

    data = simulate_trial(n_children=args.n, seed=REFERENCE_SEED)
    times, fit = [], None
    for _ in range(args.repeats):
        began = time.perf_counter()
        fit = estimate_glmm(data, "cla_status", PRIMARY_FIXED, "local_authority", nagq=1)
        times.append(time.perf_counter() - began)
    assert isinstance(fit, GlmmFit), fit
    ours = statistics.median(times)
    print(
        f"cohort: {args.n} children, {fit.result.extra['n_clusters']} LAs, "
        f"{len(fit.beta)} fixed effects"
    )
    print(
        f"steward  Laplace fit: {ours:.3f} s (median of {args.repeats}); "
        f"final max|gradient| {fit.result.gradient_norm:.1e}; "
        f"sigma_b^2 {fit.result.re_variance:.6f}"
    )

    if args.no_r or not _lme4_available():
        print(
            f"lme4     not measured (no Rscript with lme4); reference figure "
            f"{LME4_REFERENCE_SECONDS:.0f} s on 10k children"
        )
        print(
            f"speed-up vs reference figure (not measured here): "
            f"{LME4_REFERENCE_SECONDS / ours:.0f}x (target >= 20x)"
        )
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv, script, out = Path(tmp, "cohort.csv"), Path(tmp, "bench.R"), Path(tmp, "out.json")
        data.drop(columns=["child"]).to_csv(csv, index=False)
        script.write_text(_R)
        subprocess.run(["Rscript", str(script), str(csv), str(out)], check=True)
        lme4 = json.loads(out.read_text())
    diff = float(np.max(np.abs(np.asarray(lme4["estimate"]) - fit.beta)))
    print(
        f"lme4     glmer nAGQ=1 (default control): {lme4['seconds']:.2f} s; "
        f"final max|gradient| {lme4['max_abs_gradient']:.1e}"
    )
    print(f"largest fixed-effect difference steward vs lme4: {diff:.1e}")
    print(f"speed-up: {lme4['seconds'] / ours:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
