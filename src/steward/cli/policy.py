"""``steward policy``: lint the registry and generate the notice, the ROPA and the DPIA from it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from steward.errors import StewardError, UserError
from steward.policy.model import Registry

app = typer.Typer(
    name="policy",
    help="The privacy policy registry: lint it, render the notice, the ROPA and the DPIA.",
    no_args_is_help=True,
)
# Soft wrap keeps each located message on one line, so it can be grepped and clicked.
out_console = Console(soft_wrap=True)
console = Console(stderr=True, soft_wrap=True)

WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", help="Workspace folder (default: the current folder)."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Folder to write to (default: <workspace>/policy)."),
]
TodayOption = Annotated[
    str | None,
    typer.Option("--today", help="Date to judge reviews and date versions by (YYYY-MM-DD)."),
]


def _fail(error: StewardError) -> NoReturn:
    from steward.policy.findings import RegistryError

    if isinstance(error, RegistryError) and error.problems:
        count = len(error.problems)
        console.print(f"[bold red]Error:[/] the policy registry has {count} problem(s)")
        for problem in error.problems:
            console.print(f"  {problem}", markup=False, highlight=False)
    elif isinstance(error, UserError):
        console.print(f"[bold red]Error:[/] {error.what}", markup=True, highlight=False)
        if str(error.where):
            console.print(f"[bold]Where:[/] {error.where}", highlight=False)
        console.print(f"[bold]Fix:[/] {error.fix}", highlight=False)
    else:
        console.print(f"[bold red]Error:[/] {error}")
    raise typer.Exit(code=error.exit_code)


def _context(workspace: Path, today: str | None) -> tuple[Registry, Path, dt.date, dt.date, str]:
    """The registry, its file, the final report date, today and the environment."""
    from steward.config import SETTINGS_FILE, Settings, load_settings
    from steward.errors import ConfigError
    from steward.policy.loader import load_registry, registry_path

    workspace = workspace.resolve()
    settings = load_settings(workspace) if (workspace / SETTINGS_FILE).is_file() else Settings()
    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError as exc:
        raise ConfigError(what=f"--today {today!r} is not a date",
                          fix="Write it as YYYY-MM-DD.") from exc  # fmt: skip
    path = registry_path(workspace)
    return load_registry(path), path, settings.final_report_date, day, settings.environment


@app.command()
def lint(workspace: WorkspaceOption = Path("."), today: TodayOption = None) -> None:
    """Check the registry, the store's column categories and the pipeline steps' purposes."""
    from steward.policy.lint import lint as run_lint
    from steward.policy.lint import store_columns

    try:
        registry, path, _, day, _ = _context(workspace, today)
    except StewardError as exc:
        _fail(exc)
    columns, note = store_columns()
    if note:
        console.print(f"[yellow]Note:[/] {note}", highlight=False)
    findings = run_lint(registry, columns, source=path, today=day)
    for finding in findings:
        colour = "red" if finding.severity == "error" else "yellow"
        console.print(f"[{colour}]{finding.severity}[/] {finding}", highlight=False)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        console.print(f"[bold red]{len(errors)} error(s)[/] in the policy registry or its use.")
        raise typer.Exit(code=1)
    out_console.print(f"Policy registry {path} is clean ({len(findings)} warning(s)).")


@app.command()
def notice(
    workspace: WorkspaceOption = Path("."),
    out: OutOption = None,
    today: TodayOption = None,
    note: Annotated[str, typer.Option(help="Change-log note for a new version.")] = "",
) -> None:
    """Render the privacy notice (Markdown and HTML), keep it as a version, show the changes."""
    from steward.policy.law import law_flags
    from steward.policy.notice import NOTICE_DIR, publish_notice

    try:
        registry, _, final_report, day, _ = _context(workspace, today)
        result = publish_notice(registry, workspace.resolve(), final_report_date=final_report,
                                today=day, note=note)  # fmt: skip
    except StewardError as exc:
        _fail(exc)
    folder = workspace.resolve() / NOTICE_DIR
    version = result.version
    if result.created:
        out_console.print(f"New notice version {version.date} ({version.hash}) in {folder}")
        out_console.print(result.diff or "(no previous version)", markup=False, highlight=False)
    else:
        out_console.print(f"Notice unchanged since version {version.date} ({version.hash}).")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / version.markdown, out / "privacy-notice.md")
        shutil.copyfile(folder / version.html, out / "privacy-notice.html")
        out_console.print(f"Copied privacy-notice.md and privacy-notice.html to {out}")
    text = (folder / version.markdown).read_text("utf-8")
    for flag in law_flags(text, registry):
        console.print(f"[yellow]Out of date with UK law:[/] {flag}", highlight=False)


@app.command("law-check")
def law_check(
    notice_file: Annotated[
        Path | None,
        typer.Argument(help="Notice to check (default: latest kept version, else the 2022 one)."),
    ] = None,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """List where a privacy notice is out of date with current UK law."""
    from steward.policy.law import law_flags
    from steward.policy.notice import NOTICE_DIR, SHIPPED_NOTICE, notice_versions

    try:
        registry, *_ = _context(workspace, None)
    except StewardError as exc:
        _fail(exc)
    if notice_file is None:
        versions = notice_versions(workspace.resolve())
        notice_file = (
            workspace.resolve() / NOTICE_DIR / versions[-1].markdown if versions else SHIPPED_NOTICE
        )
    if not notice_file.is_file():
        _fail(UserError(what=f"notice {notice_file} not found",
                        fix="Pass the path of a Markdown or HTML privacy notice."))  # fmt: skip
    flags = law_flags(notice_file.read_text("utf-8"), registry)
    for flag in flags:
        out_console.print(f"- {flag}", markup=False, highlight=False)
    if flags:
        console.print(
            f"[bold red]{len(flags)} change(s) in UK law[/] not reflected in {notice_file}."
        )
        raise typer.Exit(code=1)
    out_console.print(f"{notice_file} reflects the law as of {registry.law.as_of}.")


@app.command()
def ropa(workspace: WorkspaceOption = Path("."), out: OutOption = None) -> None:
    """Write the Article 30 record of processing activities (ropa.xlsx and ropa.csv)."""
    from steward.policy.ropa import write_ropa

    try:
        registry, _, final_report, _, _ = _context(workspace, None)
        paths = write_ropa(registry, out or workspace.resolve() / "policy",
                           final_report_date=final_report)  # fmt: skip
    except StewardError as exc:
        _fail(exc)
    out_console.print("Wrote " + " and ".join(str(p) for p in paths))


@app.command()
def dpia(
    workspace: WorkspaceOption = Path("."), out: OutOption = None, today: TodayOption = None
) -> None:
    """Write a DPIA skeleton (dpia.md) pre-filled with the processing, risks and measures."""
    from steward.policy.dpia import write_dpia

    try:
        registry, _, final_report, day, _ = _context(workspace, today)
        path = write_dpia(registry, out or workspace.resolve() / "policy",
                          final_report_date=final_report, today=day)  # fmt: skip
    except StewardError as exc:
        _fail(exc)
    out_console.print(f"Wrote {path}")
