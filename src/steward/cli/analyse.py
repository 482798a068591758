"""``steward analyse --as USER``: cohort, models, disclosure-checked tables and the report.

The user (password prompted) needs ``cohort.build``, ``analysis.run`` and ``outputs.export``.
"""

from __future__ import annotations

from pathlib import Path

from steward.cli.common import (
    AsOption,
    EngineOption,
    WorkspaceOption,
    console,
    engine_override,
    sign_in_to,
    user_errors,
)


def analyse(
    as_user: AsOption, workspace: WorkspaceOption = Path("."), engine: EngineOption = None
) -> None:
    """Build the analysis dataset, fit the primary and sensitivity models, write the report."""
    from steward.analyse import analyse as run_analysis
    from steward.workspace import open_workspace

    with user_errors():
        ws = open_workspace(workspace, **engine_override(engine))
        actor = sign_in_to(ws, as_user)
        with console.status("Building the cohort and fitting the models"):
            run = run_analysis(ws, actor=actor)
    render_analysis(run)


def render_analysis(run: object) -> None:
    from steward.analyse import AnalysisRun

    assert isinstance(run, AnalysisRun)
    analysed = int(run.cohort.flow["analysed"].sum())
    console.print(
        f"Cohort: {analysed:,} children ({len(run.primary_data):,} in the primary analysis)"
    )
    p = run.primary
    if p.converged:
        t = p.term("treatment_group")
        console.print(
            f"Primary odds ratio: [bold]{t.odds_ratio:.3f}[/] (95% CI {t.ci_low:.3f} to {t.ci_high:.3f})"
        )
    else:
        console.print(f"[red]Primary model failed:[/] {p.message}")
    failed = [m.name for m in run.models if not m.converged]
    console.print(
        f"Models: {len(run.models)} fitted, {len(failed)} failed {failed if failed else ''}"
    )
    statuses = [c.status for c in run.outputs.values()]
    console.print(
        f"Disclosure control: {statuses.count('pass')} pass, {statuses.count('review')} review, "
        f"{statuses.count('fail')} fail"
    )
    console.print(f"Report: [bold]{run.paths['report']}[/]")
