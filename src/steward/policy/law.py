"""Where a privacy notice is out of date with UK law, judged by the registry's law facts.

The registry lists each change in the law a notice must reflect (Data (Use and Access) Act 2025:
research safeguards renumbered to Art 84A-84D, statutory stop-the-clock, the complaints duty).
Each change says what a current notice must mention and what wording shows it is stale, so
checking a notice is text matching that the DPO can read and amend in policy.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from steward.policy.model import Registry

_LAST_MODIFIED = re.compile(r"Last modified\s+(\d{1,2}\s+\w+\s+\d{4})", re.IGNORECASE)


@dataclass(frozen=True)
class LawFlag:
    """One way a notice is behind the law, and how to bring it up to date."""

    change: str
    act: str
    in_force: dt.date
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.change} ({self.act}, in force {self.in_force}): {self.problem} {self.fix}"


def law_flags(notice_text: str, registry: Registry) -> list[LawFlag]:
    """Every registry law change the notice does not reflect (empty when up to date)."""
    flags: list[LawFlag] = []
    for change in registry.law.changes:
        stale = [p for p in change.stale_if_any if re.search(p, notice_text, re.IGNORECASE)]
        mentioned = any(re.search(p, notice_text, re.IGNORECASE) for p in change.requires_any)
        problem = None
        if stale:
            found = re.search(stale[0], notice_text, re.IGNORECASE)
            problem = f"The notice still says {found.group(0)!r}." if found else None
        elif change.requires_any and not mentioned:
            problem = f"The notice does not reflect this: {change.summary}"
        if problem:
            flags.append(LawFlag(change.id, change.act, change.in_force, problem, change.fix))
    modified = last_modified(notice_text)
    if modified is not None and flags:
        newest = max(f.in_force for f in flags)
        if modified < newest:
            flags.append(
                LawFlag(
                    "notice_predates_law",
                    "UK GDPR Arts 13-14",
                    newest,
                    f"The notice was last modified on {modified}, before the law changed.",
                    "Publish a new version ('steward policy notice') and notify people of it.",
                )
            )
    return flags


def last_modified(notice_text: str) -> dt.date | None:
    """The 'Last modified' date a notice states, if any."""
    match = _LAST_MODIFIED.search(notice_text)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%d %B %Y").date()
    except ValueError:
        return None
