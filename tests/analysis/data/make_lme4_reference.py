"""Regenerate ``lme4_reference.json`` (development only; needs Rscript with lme4 and jsonlite).

    uv run python tests/analysis/data/make_lme4_reference.py [LABEL ...]
    uv run python tests/analysis/data/make_lme4_reference.py --collect DIR

The first form writes the reference cohort to a temporary CSV and runs ``lme4_reference.R`` on
it (all fits, or only the labels given); the second assembles per-fit JSON files that the R
script already wrote to DIR (useful when fits are run one at a time on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from steward.analysis.simulated_trial import REFERENCE_SEED, data_fingerprint, reference_cohort

HERE = Path(__file__).resolve().parent
ORDER = ["laplace_default", "laplace_bobyqa_tight", "laplace_nlopt_tight", "agq7_bobyqa_tight"]


def _collect(folder: Path) -> list[dict[str, Any]]:
    fits = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    return sorted(fits, key=lambda f: ORDER.index(f["label"]) if f["label"] in ORDER else 99)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("labels", nargs="*")
    parser.add_argument("--collect", type=Path)
    args = parser.parse_args()
    cohort = reference_cohort()
    if args.collect:
        fits = _collect(args.collect)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "cohort.csv"
            cohort.drop(columns=["child"]).to_csv(csv, index=False)
            script = str(HERE / "lme4_reference.R")
            subprocess.run(["Rscript", script, str(csv), tmp, *args.labels], check=True)
            fits = _collect(Path(tmp))
    reference = {
        "r_version": fits[0]["r_version"],
        "lme4_version": fits[0]["lme4_version"],
        "formula": (
            "cla_status ~ treatment_group + wedge + age_group + gender + ethnicity_group + "
            "disabled + uasc + previous_cpp + referral_nfa + cla_rate_per_10k + "
            "(1 | local_authority)"
        ),
        "n": len(cohort),
        "seed": REFERENCE_SEED,
        "data_sha256": data_fingerprint(cohort),
        "fits": fits,
    }
    (HERE / "lme4_reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    for fit in fits:
        print(fit["label"], f"{fit['seconds']:.1f}s", "max|grad|", fit["max_abs_gradient"])


if __name__ == "__main__":
    main()
