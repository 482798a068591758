"""``steward archive``: build the anonymised archive package; look up a child's lineage.

Examples::

    steward archive build --as rita --workspace ws --out ws/outputs/archive/2026-11 --seed 20261127
    steward archive build --as rita --profile my_profile.yaml --out pkg
    steward archive lineage CHILD_PID --workspace ws
    steward archive verify ws/outputs/archive/2026-11

``build`` acts as a user (``--as``, password prompted) with the ``archive.build`` permission.

Registered by the main app as ``app.add_typer(archive.app, name="archive")``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from steward.cli.common import AsOption, WorkspaceOption, console, sign_in_to, user_errors

app = typer.Typer(help="The anonymised archive package and its lineage.", no_args_is_help=True)


@app.command()
def build(
    out: Annotated[Path, typer.Option("--out", help="New folder to write the package into.")],
    as_user: AsOption,
    workspace: WorkspaceOption = Path("."),
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Archive profile YAML (default: the No Wrong Door one)."),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the archive ids; same seed, same files.")
    ] = 0,
) -> None:
    """Build the anonymised archive package (data, codebook, risk report, manifest)."""
    from steward.archive import build_archive, load_profile
    from steward.workspace import open_workspace

    with user_errors():
        ws = open_workspace(workspace)
        chosen = load_profile(profile)
        actor = sign_in_to(ws, as_user)
        result = build_archive(
            ws, out, actor=actor, profile=chosen, seed=seed,
            on_step=lambda s: console.print(f"[dim]{s}[/]"),
        )  # fmt: skip
    console.print(
        f"[bold green]Archive package written:[/] {result.path}\n"
        f"version {result.version}; {result.records} records "
        f"({result.suppressed} suppressed and withheld); highest prosecutor risk "
        f"{result.risk.prosecutor_highest:.3f}\npackage SHA-256 {result.package_sha256}",
        highlight=False,
    )


@app.command()
def lineage(
    child_pid: Annotated[str, typer.Argument(help="The child's pseudonym (child_pid).")],
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Which archive versions hold a child's anonymised data (the answer to an erasure request)."""
    import duckdb

    from steward.archive import archived_in, erasure_answer
    from steward.workspace import open_workspace

    with user_errors():
        ws = open_workspace(workspace)
    con = duckdb.connect(str(ws.store_file), read_only=True)
    try:
        records = archived_in(con, child_pid)
        answer = erasure_answer(con, child_pid)
    finally:
        con.close()
    if not records:
        console.print("Not archived: this child's data is in no archive package.")
        return
    console.print(f"Erasure: {answer}.", highlight=False)
    for record in records:
        console.print(
            f"  {record.archive_version}  archived {record.archived_on.isoformat()}  "
            f"package {record.package_sha256[:16]}",
            highlight=False,
        )


@app.command()
def verify(
    package: Annotated[Path, typer.Argument(help="The package folder (holding manifest.json).")],
) -> None:
    """Check every file of a package against its manifest; exit 1 if anything differs."""
    from steward.archive import verify_package

    with user_errors():
        problems = verify_package(package)
    for problem in problems:
        console.print(f"[bold red]Problem:[/] {problem}", highlight=False)
    if problems:
        raise typer.Exit(code=1)
    console.print(f"[bold green]Intact:[/] every file of {package} matches its manifest.")
