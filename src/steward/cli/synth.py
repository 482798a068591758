"""``steward synth``: write synthetic DR1–DR3 returns with a planted treatment effect, or
(``--scale national``) the statutory returns and NPD extracts of every English LA.

Register in the root app with ``app.command("synth")(synth)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steward.cli.common import progress
from steward.errors import UserError

console = Console(stderr=True)
app = typer.Typer(help="Synthetic returns for tests, demos and benchmarks.")

_SCALES = ("tiny", "small", "large", "national")


def _fail(error: UserError) -> None:
    console.print(f"[bold red]Error:[/] {error.what}")
    if str(error.where):
        console.print(f"[bold]Where:[/] {error.where}")
    console.print(f"[bold]Fix:[/] {error.fix}")
    raise typer.Exit(code=error.exit_code)


@app.command()
def synth(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the returns into (created if missing).")
    ],
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help="tiny (≈1/40 of real, for tests), small (≈1/4, demo), large (real); national: "
            "CIN census, SSDA903 and NPD files for every English LA, 2019–2025, at real volume.",
        ),
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same data.")] = 1,
    mess: Annotated[
        bool,
        typer.Option(
            "--mess/--tidy",
            help="Mess on purpose (title rows, heading variants, date formats...) or tidy files.",
        ),
    ] = True,
    truth: Annotated[
        Path | None,
        typer.Option("--truth", help="Also write the planted truth (odds ratio, LA effects) here."),
    ] = None,
    las: Annotated[
        int | None,
        typer.Option(
            "--las", help="With --scale national: only the first N of the 153 LAs (default all)."
        ),
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            help="With --scale national: also write the NPD PMR lookups under this workspace's "
            "pseudonym key, so the extract links in it.",
        ),
    ] = None,
) -> None:
    """Write the returns each local authority would send, with a planted NWD effect."""
    from steward.errors import ConfigError
    from steward.synth import generate_returns

    if scale not in _SCALES:
        _fail(
            ConfigError(
                what=f"Unknown scale {scale!r}",
                fix=f"Use --scale with one of: {', '.join(_SCALES)}.",
            )
        )
    if out.exists() and not out.is_dir():
        _fail(ConfigError(what=f"{out} is a file, not a folder", fix="Give --out a folder."))
    if scale == "national" and truth is not None:
        _fail(
            ConfigError(
                what="--truth applies to the DR returns scales, not --scale national",
                fix="Leave --truth out: the national files carry their truth in npd_truth/.",
            )
        )
    if scale == "national":
        _national(out, seed=seed, las=las, workspace=workspace)
        return
    if las is not None or workspace is not None:
        _fail(
            ConfigError(
                what="--las and --workspace apply to --scale national only",
                fix="Add --scale national, or leave them out.",
            )
        )
    with progress() as bar:
        task = bar.add_task("Writing returns", total=None)

        def advance(path: Path, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=path.name)

        try:
            result = generate_returns(
                out,
                scale=scale,  # type: ignore[arg-type]  # checked against _SCALES above
                seed=seed,
                mess=mess,
                progress=advance,
            )
        except UserError as exc:
            _fail(exc)
            return
    if truth is not None:
        result.write_truth(truth)
    referrals = sum(result.referral_rows.values())
    console.print(
        f"Wrote {len(result.files)} files for {len(result.children)} LAs "
        f"({result.total_children:,} children, {referrals:,} referrals, "
        f"{'messy' if mess else 'tidy'}) to {out}; planted odds ratio "
        f"{result.truth.odds_ratio:g}" + (f", truth in {truth}" if truth else "")
    )


def _national(out: Path, *, seed: int, las: int | None, workspace: Path | None) -> None:
    """``--scale national``: every English LA's statutory returns and NPD extract."""
    import time

    from steward.synth.national import write_national

    key: bytes | None = None
    try:
        if workspace is not None:
            from steward.workspace import open_workspace

            key = open_workspace(workspace).keys.load("pseudonym")
        with progress() as bar:
            task = bar.add_task("Writing local authorities", total=None)

            def advance(folder: Path, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=folder.name)

            started = time.perf_counter()
            result = write_national(out, seed=seed, las=las, key=key, on_file=advance)
    except UserError as exc:
        _fail(exc)
        return
    referrals = result.total("referrals")
    looked_after = result.total("looked_after")
    years = len(referrals) or 1
    console.print(
        f"Wrote {result.files:,} files ({result.bytes / 1e9:.2f} GB) for {len(result.las)} LAs "
        f"in {time.perf_counter() - started:.0f} s: {sum(referrals.values()) / years:,.0f} "
        f"referrals and {sum(looked_after.values()) / years:,.0f} children looked after a year "
        f"({min(referrals)}–{max(referrals)}) to {out}"
        + ("" if key else "; NPD PMR lookups not written (give --workspace to write them)")
    )
