"""The analyse service: store → cohort → models → disclosure control → outputs and report.

What stays in the workspace: the row-level analysis dataset (``outputs/cohort.parquet`` and
``.dta``, pseudonymised) and ``outputs/models.json``. What may leave: only the tables and
figures of the release, each checked by output disclosure control and listed in the
output-request pack (``outputs/release/``), and the HTML report built from them.

The acting user needs ``cohort.build``, ``analysis.run`` and ``outputs.export`` (an accredited
researcher has all three); all are checked before the store is opened.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from steward.analysis.glmm import GlmmFit, estimate_glmm
from steward.analysis.results import ModelResult, write_models_json
from steward.analysis.sensitivity import TrialModelSpec, trial_models
from steward.cohort.builder import Cohort, build_cohort
from steward.disclosure import (
    CheckedOutput,
    OutputRequestPack,
    Release,
    SdcRules,
    check_frequency_table,
    check_magnitude_table,
    check_model,
    crosstab,
)
from steward.errors import AnalysisError
from steward.governance.access import Permission, User, authorise
from steward.returns.codes import ETHNICITY_GROUP_MISSING
from steward.study.definition import StudyDefinition, load_study
from steward.workspace import Workspace

# What one run does, in order: build the cohort, fit the models, write the release.
ANALYSE_PERMISSIONS = (Permission.COHORT_BUILD, Permission.ANALYSIS_RUN, Permission.OUTPUTS_EXPORT)

# Columns of the analysis dataset as the study names them, in the order an analyst expects.
COHORT_COLUMNS = (
    "child_pid", "referral_pid", "local_authority", "la_name", "in_primary_analysis", "la_readiness",
    "referral_date", "age_months_at_referral", "age_group", "treatment_group", "wedge",
    "months_since_go_live", "cross_contamination", "cla_status", "is_censored",
    "time_at_risk_days", "gender", "ethnicity", "ethnicity_group", "disabled", "uasc",
    "previous_cpp_group", "referral_nfa", "open_cpp", "cla_rate_per_10k", "prop_white_british",
    "sw_turnover_rate_fte",
)  # fmt: skip


@dataclass
class AnalysisRun:
    study: StudyDefinition
    cohort: Cohort
    primary_data: pd.DataFrame
    models: list[ModelResult]
    release: Release
    outputs: dict[str, CheckedOutput]
    expected_by_wedge: pd.DataFrame | None
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def primary(self) -> ModelResult:
        return self.models[0]


def _atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Write through ``write(tmp_path)`` then rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_cohort_files(
    data: pd.DataFrame, outputs: Path, study: StudyDefinition
) -> dict[str, Path]:
    """The analysis dataset as Parquet and Stata .dta (labelled), for R, Stata and Python."""
    import pyreadstat

    secondary = [o.name for o in study.secondary_outcomes if o.name in data.columns]
    frame = data.loc[:, [c for c in COHORT_COLUMNS if c in data.columns] + secondary].copy()
    frame["referral_date"] = pd.to_datetime(frame["referral_date"])
    parquet = _atomic(outputs / "cohort.parquet", lambda p: frame.to_parquet(p, index=False))
    labels = {
        "cla_status": "Entered care within 18 months of first referral",
        "treatment_group": "Referred on/after the LA's No Wrong Door go-live",
        "wedge": "Stepped-wedge period of the referral",
        "local_authority": "Local authority (DfE code)",
        "is_censored": "Follow-up ended early (18th birthday or end of data)",
        "time_at_risk_days": "Days from referral to care entry or end of follow-up",
        "cross_contamination": "Referral in the 45 days before go-live",
        "child_pid": "Child pseudonym (keyed HMAC)",
        "referral_pid": "Index referral pseudonym (keyed HMAC)",
        **{o.name: o.label[:80] for o in study.secondary_outcomes if o.label},
    }
    dta = frame.copy()
    for col in dta.columns:
        if dta[col].dtype == object or str(dta[col].dtype).startswith(("string", "category")):
            dta[col] = dta[col].astype(str).replace({"None": "", "nan": "", "<NA>": ""})
        elif dta[col].dtype == bool:
            dta[col] = dta[col].astype(int)
    written = _atomic(
        outputs / "cohort.dta",
        lambda p: pyreadstat.write_dta(
            dta, str(p), column_labels=[labels.get(c, c.replace("_", " ")) for c in dta.columns]
        ),
    )
    return {"cohort_parquet": parquet, "cohort_dta": written}


def model_spec(study: StudyDefinition) -> TrialModelSpec:
    m = study.models
    return TrialModelSpec(
        fixed=list(m.fixed),
        response=m.response,
        group=m.group,
        interactions=list(m.interactions),
        agq_nodes=m.agq_nodes,
        imputations=tuple(m.imputations),
        seed=m.seed,
        missing_level=ETHNICITY_GROUP_MISSING,
    )


def _expected_by_wedge(fit: GlmmFit, data: pd.DataFrame, group: str) -> pd.DataFrame:
    """Observed rate and the model's expected (mean fitted probability) per wedge."""
    from scipy.special import expit

    frame = data.loc[:, list(dict.fromkeys(["cla_status", "wedge", group, *fit.design.variables]))]
    frame = frame.dropna()
    offset = frame[group].astype(str).map(fit.modes).to_numpy(dtype=float)
    frame = frame.assign(expected=expit(fit.design.matrix(frame) @ fit.beta + offset))
    return frame


def checked_tables(
    run_cohort: Cohort, primary: pd.DataFrame, rules: SdcRules, study: StudyDefinition
) -> tuple[Release, dict[str, CheckedOutput]]:
    """Every table that leaves, through disclosure control, consistent across the release."""
    release = Release(f"{study.id} results")
    outputs: dict[str, CheckedOutput] = {}
    flow = run_cohort.flow.set_index("la_code")
    flow.index.name = "local_authority"
    withheld = flow[["restricted_or_objected"]]
    flow = flow.drop(columns=["rows_in", "restricted_or_objected"])
    # Tables count different units (referral rows, children of the primary analysis): the
    # conditions say so, and the release keeps suppression consistent where units coincide.
    outputs["cohort_flow"] = check_frequency_table(
        flow, rules=rules, name="cohort_flow", conditions={"unit": "referral rows, all LAs"},
        command="CONSORT flow: referral rows by step and LA",
    )  # fmt: skip
    outputs["restricted_or_objected"] = check_frequency_table(
        withheld, rules=rules, name="restricted_or_objected",
        conditions={"unit": "children withheld by a rights request"},
        command="Children left out because they restricted or objected to processing",
    )  # fmt: skip
    in_primary = {"unit": "children", "in_primary_analysis": True}
    outputs["children_by_la_wedge"] = crosstab(
        primary, "local_authority", "wedge", rules=rules, name="children_by_la_wedge",
        conditions=in_primary,
    )  # fmt: skip
    entered = primary[primary["cla_status"] == 1]
    outputs["care_entries_by_la_wedge"] = crosstab(
        entered, "local_authority", "wedge", rules=rules, name="care_entries_by_la_wedge",
        conditions={**in_primary, "cla_status": 1},
    )  # fmt: skip
    outputs["children_by_treatment"] = crosstab(
        primary, "treatment_group", "cla_status", rules=rules, name="children_by_treatment",
        conditions=in_primary,
    )  # fmt: skip
    for outcome in study.secondary_outcomes:
        if outcome.name not in primary.columns:
            continue
        values = primary[outcome.name].dropna()
        uid = f"secondary_{outcome.name}"
        if values.isin([0, 1]).all():
            outputs[uid] = crosstab(
                primary.dropna(subset=[outcome.name]), "treatment_group", outcome.name,
                rules=rules, name=uid, conditions={**in_primary, "outcome": outcome.name},
            )  # fmt: skip
        else:
            outputs[uid] = check_magnitude_table(
                primary.dropna(subset=[outcome.name]), index="treatment_group", columns=None,
                value=outcome.name, aggfunc="mean", rules=rules, name=uid, margins=False,
            )  # fmt: skip
    for uid, checked in outputs.items():
        release.add(checked, uid)
    return release, outputs


def analyse(workspace: Workspace, *, actor: User) -> AnalysisRun:
    """Build the cohort, fit every model, check every output and write them all, as ``actor``.

    ``PermissionDenied`` before anything is read unless ``actor`` may do every step: a run
    always ends by writing the release, so one that could not must not start.
    """
    from steward.governance.audit.workspace import workspace_audit_log
    from steward.policy.guard import PIPELINE_STEPS, gate_for_workspace
    from steward.store import open_store

    for permission in ANALYSE_PERMISSIONS:
        authorise(actor, permission)
    timings: dict[str, float] = {}
    gate = gate_for_workspace(workspace.root)
    # This workspace's study reads administrative data only; education extracts are linked
    # (and so read) only inside the secure research service.
    gate.require(PIPELINE_STEPS["cohort"], ["administrative_data"])
    gate.require(PIPELINE_STEPS["analysis"], ["administrative_data"])
    study = load_study(workspace.settings.study)
    rules = SdcRules(**study.sdc.model_dump())

    start = time.perf_counter()
    stored = (
        workspace.store / "lake" if workspace.settings.engine == "spark" else workspace.store_file
    )
    if not stored.exists():
        raise AnalysisError(
            what="the research store is empty",
            fix="Ingest returns first: 'steward ingest --as USER PATH' (or run 'steward demo').",
        )
    # The cohort is built on the workspace's engine (DuckDB or Spark); models run in process.
    with open_store(workspace) as store:
        cohort = build_cohort(store.sql, study)
    timings["cohort"] = time.perf_counter() - start
    audit = workspace_audit_log(workspace)
    audit.record(
        actor.username, "store_query", "cohort", study.id,
        details={"children": len(cohort.data), "purpose": PIPELINE_STEPS["cohort"].purpose},
    )  # fmt: skip
    if cohort.data.empty:
        raise AnalysisError(
            what="no child is eligible for the analysis",
            fix="Check the study's trial period and ages against the returns ingested "
            "(the cohort flow in the report shows where children drop out).",
        )
    paths = write_cohort_files(cohort.data, workspace.outputs, study)

    primary = cohort.data[cohort.data["in_primary_analysis"]].copy()
    spec = model_spec(study)
    for wedge in [p.name for p in study.periods]:
        in_wedge = primary[primary["wedge"] == wedge]
        if in_wedge.empty or int(in_wedge["cla_status"].sum()) == 0:
            raise AnalysisError(
                what=f"no child in period {wedge!r} entered care, so its effect cannot be estimated",
                fix="Check the returns cover that period, or merge it with a neighbouring period "
                "in the study definition.",
            )
    start = time.perf_counter()
    models = trial_models(primary, spec)
    timings["models"] = time.perf_counter() - start
    start = time.perf_counter()
    paths["models"] = write_models_json(models, workspace.outputs / "models.json")

    release, outputs = checked_tables(cohort, primary, rules, study)
    expected = None
    try:
        fit: GlmmFit | ModelResult | None = estimate_glmm(
            primary, spec.response, spec.fixed, spec.group, name="primary"
        )
    except AnalysisError:
        fit = None  # the primary model is reported failed with its reason in models.json
    if isinstance(fit, GlmmFit):
        expected_frame = _expected_by_wedge(fit, primary, spec.group)
        outputs["expected_by_wedge"] = check_magnitude_table(
            expected_frame, index="wedge", columns=None, value="expected", aggfunc="mean",
            rules=rules, name="expected_by_wedge", margins=False,
        )  # fmt: skip
        release.add(outputs["expected_by_wedge"], "expected_by_wedge")
        expected = expected_frame
    for model in models:
        if model.converged:
            n_params = len(model.terms) + (1 if model.re_variance is not None else 0)
            checked = check_model(
                name=f"model_{model.name}", residual_dof=model.n - n_params, rules=rules,
                command=model.formula,
            )  # fmt: skip
            outputs[f"model_{model.name}"] = checked
            release.add(checked, f"model_{model.name}")
    gate.require(PIPELINE_STEPS["export"])  # only aggregates leave, for the study's purpose
    pack = OutputRequestPack.from_release(release)
    pack.write(workspace.outputs / "release")
    audit.record(
        actor.username, "export", "release", study.id,
        details={"outputs": {uid: c.status for uid, c in outputs.items()}},
    )  # fmt: skip
    paths["release"] = workspace.outputs / "release"
    timings["disclosure"] = time.perf_counter() - start

    run = AnalysisRun(study, cohort, primary, models, release, outputs, expected, paths, timings)
    from steward.report.html import write_report

    start = time.perf_counter()
    paths.update(write_report(run, workspace))
    timings["report"] = time.perf_counter() - start
    return run


__all__ = ["ANALYSE_PERMISSIONS", "COHORT_COLUMNS", "AnalysisRun", "analyse"]
