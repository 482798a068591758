"""Figures of the report, drawn with matplotlib and embedded as base64 PNG."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt

from steward.analysis.results import ModelResult


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def forest_plot(models: list[ModelResult], term: str = "treatment_group") -> str | None:
    """Odds ratio of ``term`` with its 95% CI in every converged model (log scale)."""
    rows = []
    for m in models:
        if not m.converged:
            continue
        try:
            t = m.term(term)
        except KeyError:
            continue
        rows.append((m.name, t.odds_ratio, t.ci_low, t.ci_high))
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1))
    for i, (_name, est, lo, hi) in enumerate(reversed(rows)):
        ax.plot([lo, hi], [i, i], color="#1d4e89")
        ax.plot(est, i, "o", color="#1d4e89")
    ax.axvline(1.0, color="#888", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(rows)), [r[0].replace("_", " ") for r in reversed(rows)])
    ax.set_xscale("log")
    ax.set_xlabel("Odds ratio of entering care within 18 months (95% CI)")
    return _png(fig)


def observed_expected_plot(
    wedges: list[str], observed: list[float | None], expected: list[float | None]
) -> str:
    """Observed and model-expected care-entry rates per wedge; withheld values are gaps."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    x = list(range(len(wedges)))
    ax.plot(x, [v if v is not None else float("nan") for v in observed], "o-", label="observed")
    ax.plot(x, [v if v is not None else float("nan") for v in expected], "s--", label="expected")
    ax.set_xticks(x, wedges)
    ax.set_ylabel("% entering care within 18 months")
    ax.legend()
    return _png(fig)
