"""The risk and utility report of a package: what was generalised, what it cost, what risk
remains (measured on the published table, after suppressed records were withheld)."""

from __future__ import annotations

from typing import Any

from steward.anonymise import AnonymisationResult, Hierarchy, RiskReport
from steward.archive.hierarchies import LEVEL_NAMES
from steward.archive.profile import ArchiveProfile


def risk_report_data(
    profile: ArchiveProfile,
    result: AnonymisationResult,
    qis: dict[str, Hierarchy],
    risk: RiskReport,
    *,
    records_in: int,
    suppressed: int,
) -> dict[str, Any]:
    """The report as plain data (no timings, so a rebuild gives the same report)."""
    levels = {
        name: {
            "level": level,
            "level_name": LEVEL_NAMES[profile.quasi_identifiers[name]][level],
            "height": qis[name].height,
        }
        for name, level in result.levels.items()
    }
    return {
        "privacy_models": result.models,
        "max_prosecutor_risk": profile.max_prosecutor_risk,
        "suppression_limit": profile.suppression_limit,
        "metric": profile.metric,
        "generalisation": levels,
        "records_in": records_in,
        "records_published": records_in - suppressed,
        "suppressed": suppressed,
        "utility": {**result.metrics, "suppressed_share": suppressed / records_in},
        "search": {
            "optimal": result.optimal,
            "nodes_checked": result.nodes_checked,
            "lattice_size": result.lattice_size,
        },
        "risk": risk.as_dict(),
        "passed": True,
    }


def risk_report_markdown(version: str, report: dict[str, Any]) -> str:
    """The report for readers."""
    risk = report["risk"]
    lines = [
        f"# Risk and utility report: {version}",
        "",
        f"Privacy models: {', '.join(str(m) for m in report['privacy_models'])}.",
        f"{report['records_in']} records in, {report['records_published']} published, "
        f"{report['suppressed']} suppressed and withheld "
        f"(limit {report['suppression_limit']:.0%}).",
        "",
        "## Generalisation applied",
        "",
        "| Variable | Level | Meaning |",
        "|---|---|---|",
    ]
    for name, gen in report["generalisation"].items():
        lines.append(f"| `{name}` | {gen['level']} of {gen['height'] - 1} | {gen['level_name']} |")
    lines += [
        "",
        "## Re-identification risk (published table)",
        "",
        "| Measure | Value |",
        "|---|---|",
    ]
    for key in ("prosecutor_highest", "prosecutor_average", "records_at_risk", "journalist_highest",
                "journalist_average", "marketer", "sample_uniqueness",
                "population_uniqueness_pitman", "population_uniqueness_zayatz",
                "population_uniqueness_dankar"):  # fmt: skip
        value = risk.get(key)
        lines.append(f"| {key} | {'n/a' if value is None else f'{value:.4f}'} |")
    lines.append(f"| threshold (highest prosecutor risk) | {report['max_prosecutor_risk']} |")
    lines += [
        "",
        "## Utility (information loss; lower is better)",
        "",
        "| Measure | Value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.4f} |" for k, v in report["utility"].items()]
    return "\n".join(lines) + "\n"
