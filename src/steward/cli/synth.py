"""``steward synth``: write synthetic DR1–DR3 returns with a planted treatment effect.

Register in the root app with ``app.command("synth")(synth)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from steward.errors import UserError

console = Console(stderr=True)
app = typer.Typer(help="Synthetic returns for tests, demos and benchmarks.")

_SCALES = ("tiny", "small", "large")


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
            "--scale", help="tiny (≈1/40 of real, for tests), small (≈1/4, demo), large (real)."
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
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
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
