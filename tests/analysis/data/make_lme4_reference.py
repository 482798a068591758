"""Regenerate ``lme4_reference.json`` (development only; needs Rscript with lme4 and jsonlite).

uv run python tests/analysis/data/make_lme4_reference.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from steward.analysis.simulated_trial import REFERENCE_SEED, data_fingerprint, reference_cohort

HERE = Path(__file__).resolve().parent


def main() -> None:
    cohort = reference_cohort()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "cohort.csv"
        out = Path(tmp) / "lme4.json"
        cohort.drop(columns=["child"]).to_csv(csv, index=False)
        subprocess.run(["Rscript", str(HERE / "lme4_reference.R"), str(csv), str(out)], check=True)
        reference = json.loads(out.read_text())
    reference["seed"] = REFERENCE_SEED
    reference["data_sha256"] = data_fingerprint(cohort)
    (HERE / "lme4_reference.json").write_text(json.dumps(reference, indent=2) + "\n")
    for fit in reference["fits"]:
        print(fit["label"], f"{fit['seconds']:.1f}s", "max|grad|", fit["max_abs_gradient"])


if __name__ == "__main__":
    main()
