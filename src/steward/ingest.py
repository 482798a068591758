"""The ingest service: submitted files → landing → read and validate → pseudonymise → store.

One file at a time, each in its own store transaction, so a bad file never stops the batch and
never leaves anything half-written. Raw identifiers exist only between reading a return and
pseudonymising it; what reaches the store, the quarantine and the reports carries pseudonyms,
row references and counts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from steward.errors import InputFileError, Location, StewardError, UserError
from steward.workspace import Workspace

SUPPORTED_SUFFIXES = (".xlsx", ".csv")


@dataclass
class FileOutcome:
    """What happened to one submitted file."""

    path: Path
    status: str  # "loaded" | "already_ingested" | "failed"
    submission_id: str | None = None
    la_code: str | None = None
    return_type: str | None = None
    return_month: dt.date | None = None
    rows: int = 0
    quarantined: int = 0
    decisions: list[str] = field(default_factory=list)
    error: UserError | None = None


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome]
    quality_report: Path | None
    children: int
    store_rows: int

    @property
    def loaded(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "loaded"]

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.outcomes)

    @property
    def quarantined(self) -> int:
        return sum(o.quarantined for o in self.outcomes)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus every supported file inside named folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUPPORTED_SUFFIXES
                    and not p.name.startswith(("~$", "."))
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise InputFileError(
                what=f"{path} does not exist",
                fix="Check the path; 'steward ingest' takes files or folders of returns.",
                where=Location(file=str(path)),
            )
    return files


ProgressCallback = Callable[[FileOutcome], None]


def ingest(
    workspace: Workspace,
    paths: Iterable[Path],
    *,
    actor: str = "cli",
    on_file: ProgressCallback | None = None,
) -> IngestSummary:
    """Ingest every file under ``paths`` into ``workspace``; failures are reported, not raised."""
    from steward.ingest_steps import IngestRun

    files = expand_paths(paths)
    run = IngestRun.open(workspace, actor=actor)
    outcomes: list[FileOutcome] = []
    try:
        for outcome in _each(run, files):
            outcomes.append(outcome)
            if on_file:
                on_file(outcome)
        report = run.write_quality_report()
        children, store_rows = run.store_totals()
    finally:
        run.close()
    return IngestSummary(outcomes, report, children, store_rows)


def _each(run: object, files: list[Path]) -> Iterator[FileOutcome]:
    from steward.ingest_steps import IngestRun

    assert isinstance(run, IngestRun)
    for path in files:
        try:
            yield run.ingest_file(path)
        except UserError as exc:
            yield FileOutcome(path=path, status="failed", error=exc)
        except StewardError as exc:  # pragma: no cover - every raised error should be a UserError
            yield FileOutcome(
                path=path,
                status="failed",
                error=UserError(
                    what=str(exc), fix="Report this as a bug.", where=Location(file=str(path))
                ),
            )
