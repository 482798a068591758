"""A DPIA skeleton pre-filled from the registry: the processing, the risks it implies, the measures.

The risks are derived, not typed in: children's data if a data subject is a child, special
category data if any category is special, data matching if categories from more than one source
are combined, invisible processing if data is not collected from the person, archive if anything
is archived. These are the ICO's high-risk triggers, so the DPIA is mandatory for this study.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from steward.policy.model import Registry


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    why: str


def implied_risks(registry: Registry) -> list[Risk]:
    """The high-risk triggers the registry implies, in a fixed order."""
    risks: list[Risk] = []
    if any(s.id == "child" for s in registry.data_subjects):
        risks.append(Risk("children_data", "Children's data",
                          "Data about children and vulnerable families (ICO high-risk list)."))  # fmt: skip
    special = [c.name for c in registry.data_categories if c.special]
    if special:
        risks.append(Risk("special_category", "Special category data",
                          "Special category data is processed: " + ", ".join(special) + "."))  # fmt: skip
    # Data matching: one purpose combines categories that come from different organisations.
    sources_linked: set[str] = set()
    for purpose in registry.purposes:
        found = {
            s for c in registry.covered(purpose.id) for s in registry.category(c).sources
            if s != "direct_collection"
        }  # fmt: skip
        if len(found) > 1:
            sources_linked |= found
    if sources_linked:
        names = {s.id: s.name for s in registry.sources}
        risks.append(Risk("data_matching", "Data matching",
                          "Records from " + " and ".join(names[s] for s in sorted(sources_linked))
                          + " are linked by pseudonym (ICO high-risk list)."))  # fmt: skip
    invisible = [s.name for s in registry.sources if not s.collected_from_subject]
    if invisible:
        risks.append(Risk("invisible_processing", "Invisible processing",
                          "Data not collected from the person: " + "; ".join(invisible)
                          + " (Art 14; ICO high-risk list)."))  # fmt: skip
    if any(e.id == "srs_archive" for e in registry.environments) and any(
        "srs_archive" in c.held_in for c in registry.data_categories
    ):
        risks.append(Risk("archive", "Archive and re-identification",
                          "An anonymised copy is archived indefinitely for secondary research; "
                          "it cannot be deleted once archived."))  # fmt: skip
    return risks


def render_dpia(registry: Registry, *, final_report_date: dt.date, today: dt.date) -> str:
    """The DPIA skeleton as Markdown, with sections to complete marked TO COMPLETE."""
    risks = implied_risks(registry)
    lines = [
        f"# Data protection impact assessment: {registry.title}",
        "",
        f"Controller: {registry.controller.name}. DPO: {registry.controller.dpo_email}. "
        f"Drafted {today.isoformat()} from the policy registry.",
        "",
        "## 1. Why a DPIA is needed",
        "",
        "The processing meets these high-risk triggers:",
        "",
        *[f"- **{r.title}**: {r.why}" for r in risks],
        "",
        "## 2. Description of the processing",
        "",
        f"Nature and scope: data from {len(registry.local_authorities)} local authorities "
        f"({', '.join(registry.local_authorities)}) for {registry.data_period.start_year}-"
        f"{registry.data_period.end_year}, linked with Department for Education data inside the "
        "ONS Secure Research Service. Final report expected "
        f"{final_report_date.isoformat()}.",
        "",
        "Data subjects: " + "; ".join(s.name for s in registry.data_subjects) + ".",
        "",
        "Data categories: "
        + "; ".join(
            f"{c.name}{' (special)' if c.special else ''}" for c in registry.data_categories
        )
        + ".",
        "",
        "Sources: " + "; ".join(s.name for s in registry.sources) + ".",
        "",
        "Purposes and lawful bases:",
        "",
    ]
    for purpose in registry.purposes:
        basis = registry.lawful_basis(purpose.id)
        cond = registry.special_condition(purpose.id)
        extra = f"; Art {cond.article}, {cond.safeguards}" if cond else ""
        lines.append(f"- {purpose.name}: {basis.article if basis else 'NO LAWFUL BASIS'}{extra}")
    lines += [
        "",
        "Recipients: "
        + "; ".join(f"{r.category} ({r.country})" for r in registry.recipients)
        + ". No transfer outside the UK.",
        "",
        "Automated decision-making: "
        + ("none." if not registry.automated_decision_making else "yes: describe it."),
        "",
        "## 3. Consultation",
        "",
        "TO COMPLETE: local authorities, practitioners, young people's advisory group, DPO.",
        "",
        "## 4. Necessity and proportionality",
        "",
        "Minimisation: direct identifiers dropped at load, dates of birth degraded to year and "
        "month, identifiers replaced by keyed pseudonyms. Retention:",
        "",
        *[f"- {rule.plain}" for rule in registry.retention],
        "",
        "## 5. Risks",
        "",
        "| Risk | Source | Likelihood | Severity | Overall |",
        "|---|---|---|---|---|",
        *[f"| {r.title} | {r.why} | TO COMPLETE | TO COMPLETE | TO COMPLETE |" for r in risks],
        "",
        "## 6. Measures to reduce risk",
        "",
    ]
    for risk in risks:
        measures = [m.plain for m in registry.measures if risk.id in m.addresses]
        lines.append(f"### {risk.title}")
        lines.append("")
        lines += [f"- {m}" for m in measures] or ["- NO MEASURE DECLARED: add one to policy.yaml"]
        lines.append("")
    lines += [
        "## 7. Sign-off",
        "",
        "| Item | Name / date | Notes |",
        "|---|---|---|",
        "| Measures approved by | TO COMPLETE | |",
        "| Residual risks approved by | TO COMPLETE | |",
        "| DPO advice provided | TO COMPLETE | |",
        "",
    ]
    return "\n".join(lines)


def write_dpia(
    registry: Registry, out_dir: Path, *, final_report_date: dt.date, today: dt.date
) -> Path:
    """Write ``dpia.md`` into ``out_dir`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "dpia.md"
    path.write_text(
        render_dpia(registry, final_report_date=final_report_date, today=today), encoding="utf-8"
    )
    return path
