"""A located problem in the policy registry or in code that uses it, and the error carrying them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from steward.errors import ConfigError, Location

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code, what is wrong, where (file, line, field) and how to fix it."""

    code: str
    message: str
    fix: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    severity: Severity = "error"

    @property
    def location(self) -> Location:
        return Location(file=self.file, row=self.line, column=self.field)

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        at = f" [{self.field}]" if self.field else ""
        prefix = f"{where}{at}: " if where or at else ""
        return f"{prefix}{self.severity} {self.code}: {self.message}. {self.fix}"


@dataclass
class RegistryError(ConfigError):
    """The policy file cannot be used; ``problems`` lists every located problem found."""

    problems: list[Finding] = field(default_factory=list)

    @classmethod
    def from_findings(cls, problems: list[Finding]) -> RegistryError:
        """One error whose what/where/fix is the first problem, with the rest attached."""
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        return cls(
            what=f"policy registry: {first.message}{more}",
            fix=first.fix,
            where=first.location,
            problems=problems,
        )


def suggest(name: str, valid: Iterable[str]) -> str:
    """A 'did you mean' phrase naming the closest valid id, or the list of valid ids."""
    choices = sorted(set(valid))
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f"Did you mean {close[0]!r}?"
    shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    return f"Use one of: {shown}."
