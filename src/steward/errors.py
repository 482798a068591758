"""The error family a user sees.

A ``UserError`` is something the user can fix: it says what went wrong, where (file, sheet,
row, column) and how to fix it, and the CLI prints it without a traceback and exits with the
error's own code. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where a problem is: any of file, sheet, row (1-based, as a spreadsheet shows it), column."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file {self.file}")
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


class StewardError(Exception):
    """Base class of every error Steward raises on purpose."""

    exit_code = 1


@dataclass
class UserError(StewardError):
    """A problem the user can fix. Printed as what / where / how to fix, never as a traceback."""

    what: str
    fix: str
    where: Location = field(default_factory=Location)

    exit_code = 2

    def __post_init__(self) -> None:
        super().__init__(self.what)

    def __str__(self) -> str:
        where = f" ({self.where})" if str(self.where) else ""
        return f"{self.what}{where}. {self.fix}"


class ConfigError(UserError):
    """steward.toml, a study definition or the policy registry is wrong."""

    exit_code = 3


class WorkspaceError(UserError):
    """The workspace folder is missing, incomplete or not a Steward workspace."""

    exit_code = 4


class KeyStoreError(UserError):
    """A pseudonymisation or master key is missing, unreadable or in the wrong place."""

    exit_code = 5


class InputFileError(UserError):
    """A submitted file cannot be read: wrong type, truncated, encrypted, malicious, unrecognised."""

    exit_code = 6


class ValidationError(UserError):
    """Records broke a blocking rule."""

    exit_code = 7


class PolicyViolation(UserError):
    """An action the privacy policy registry does not allow."""

    exit_code = 8


class PermissionDenied(UserError):
    """The acting user's role does not grant the permission an action needs."""

    exit_code = 9


class EngineError(UserError):
    """A compute engine (DuckDB, Spark) is unavailable or misconfigured."""

    exit_code = 10


class AnalysisError(UserError):
    """A model or study definition cannot be fitted or built as asked."""

    exit_code = 11


class DisclosureError(UserError):
    """An output failed disclosure control and cannot leave."""

    exit_code = 12
