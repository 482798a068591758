"""The codebook: every variable with its label, type, categories, missing values and the
generalisation applied, in Markdown for readers and JSON (DDI-Codebook-like) for machines."""

from __future__ import annotations

from typing import Any

from steward.archive.profile import ArchiveProfile
from steward.archive.variables import Variable


def codebook_data(
    profile: ArchiveProfile, variables: list[Variable], records: int, version: str
) -> dict[str, Any]:
    """The machine-readable codebook (a DDI-Codebook-like structure: study, file, variables)."""
    return {
        "codebook_format": "steward-codebook/1 (after DDI-Codebook 2.5: stdyDscr, fileDscr, dataDscr)",
        "study": {"title": profile.title, "archive_version": version},
        "file": {
            "name": profile.dataset,
            "records": records,
            "unit": "child (first referral)",
            "formats": [
                f"{profile.dataset}.csv",
                f"{profile.dataset}.parquet",
                f"{profile.dataset}.dta",
            ],
        },
        "anonymisation": {
            "k": profile.k,
            "l": profile.l,
            "sensitive": profile.sensitive,
            "suppressed_records": "withheld from the package",
        },
        "variables": [v.as_dict() for v in variables],
    }


def codebook_markdown(
    profile: ArchiveProfile, variables: list[Variable], records: int, version: str
) -> str:
    """The codebook for readers."""
    lines = [
        f"# Codebook: {profile.title}",
        "",
        f"Archive version `{version}`; {records} records, one per child (first referral).",
        f"Files: `{profile.dataset}.csv`, `{profile.dataset}.parquet`, `{profile.dataset}.dta` "
        "(Stata: categorical variables are integer codes with value labels).",
        "",
        f"Anonymised to k = {profile.k}"
        + (f" with {profile.l}-diversity of `{profile.sensitive}`" if profile.l else "")
        + "; records in classes that could not meet this were withheld (see risk_report.md).",
        "",
        "| Variable | Label | Type | Generalisation | Missing |",
        "|---|---|---|---|---|",
    ]
    for v in variables:
        gen = v.generalisation
        applied = (
            f"{gen['level_name']} (level {gen['level']} of {gen['description']})" if gen else "none"
        )
        lines.append(f"| `{v.name}` | {v.label} | {v.kind} | {applied} | {v.missing or 'none'} |")
    for v in variables:
        if not v.categories:
            continue
        lines += [
            "",
            f"## `{v.name}`: {v.label}",
            "",
            "| Code | Value | Label | Records |",
            "|---|---|---|---|",
        ]
        lines += [f"| {c.code} | {c.value} | {c.label} | {c.count} |" for c in v.categories]
    return "\n".join(lines) + "\n"
