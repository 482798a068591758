"""What a fitted model hands on: estimates per term, fit status, and the ``models.json`` file.

A model that failed is kept as a result with ``converged = False`` and its reason; it carries no
numbers, so a failed fit can never be read as an estimate.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class TermEstimate:
    """One coefficient: log-odds estimate and SE, with the odds ratio and its 95% CI."""

    term: str
    estimate: float
    std_error: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float | None = None  # None: normal reference distribution


def term_estimates(
    names: Iterable[str],
    estimates: np.ndarray,
    std_errors: np.ndarray,
    df: float | np.ndarray | None = None,
    level: float = 0.95,
) -> list[TermEstimate]:
    """Wald estimates on the odds-ratio scale, with a t reference when ``df`` is given."""
    out = []
    names = list(names)
    dfs = np.broadcast_to(np.asarray(np.nan if df is None else df, dtype=float), (len(names),))
    for i, name in enumerate(names):
        est, se, d = float(estimates[i]), float(std_errors[i]), float(dfs[i])
        ref = stats.norm if math.isnan(d) else stats.t(d)
        q = float(ref.ppf(0.5 + level / 2))
        p = float(2 * ref.sf(abs(est / se))) if se > 0 else float("nan")
        out.append(
            TermEstimate(
                term=name,
                estimate=est,
                std_error=se,
                odds_ratio=math.exp(est),
                ci_low=math.exp(est - q * se),
                ci_high=math.exp(est + q * se),
                p_value=p,
                df=None if math.isnan(d) else d,
            )
        )
    return out


@dataclass
class ModelResult:
    """A fitted (or failed) model as reported in ``outputs/models.json``."""

    name: str
    formula: str
    estimator: str
    n: int
    converged: bool
    message: str = ""
    terms: list[TermEstimate] = field(default_factory=list)
    re_variance: float | None = None
    re_sd: float | None = None
    log_likelihood: float | None = None
    aic: float | None = None
    gradient_norm: float | None = None
    iterations: int | None = None
    n_excluded: int = 0
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def term(self, name: str) -> TermEstimate:
        """The estimate of one term by its R name."""
        for t in self.terms:
            if t.term == name:
                return t
        raise KeyError(f"{self.name} has no term {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; a failed model keeps its identity and reason, and no numbers."""
        if not self.converged:
            return {
                "name": self.name,
                "formula": self.formula,
                "estimator": self.estimator,
                "n": self.n,
                "converged": False,
                "message": self.message,
                "warnings": list(self.warnings),
            }
        out = asdict(self)
        out["terms"] = [asdict(t) for t in self.terms]
        return _finite_or_none(out)


def failed_result(
    name: str, formula: str, estimator: str, n: int, message: str, **extra: Any
) -> ModelResult:
    """A model that could not be fitted, reported as such."""
    return ModelResult(
        name=name,
        formula=formula,
        estimator=estimator,
        n=n,
        converged=False,
        message=message,
        **extra,
    )


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_models_json(results: Iterable[ModelResult], path: Path | str) -> Path:
    """Write every model to ``path`` (e.g. ``outputs/models.json``) atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"models": [r.to_dict() for r in results]}
    fd, tmp = tempfile.mkstemp(prefix=".models-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
