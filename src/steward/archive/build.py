"""``build_archive``: the anonymised, self-describing archive package of a workspace.

Steps, each of which can refuse before anything is written:

1. the profile's columns are checked against the dataset, their data categories against the
   policy registry (non-archivable data such as interview responses never enters);
2. the person-level dataset is read from the store's current views;
3. the quasi-identifiers are generalised by the optimal full-domain search of
   :mod:`steward.anonymise` under the profile's k (and l); records in classes that still fail
   are suppressed within the profile's limit and **withheld** from the package;
4. pseudonyms are dropped and every record gets a fresh archive id drawn from the seed — no key
   and no kept mapping links an archive id back to a pseudonym;
5. the risk of the published table is measured; above the profile's threshold the build stops;
6. data (CSV, Parquet, Stata), codebook, risk and utility report and manifest are written into
   a temporary folder beside the destination, which is renamed into place only when complete;
   the lineage (pseudonym → archive version, date) is committed with that rename.

The acting user needs ``archive.build`` (checked before step 1); the build is audited under
their username with the package's hash, profile, build day and counts.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import steward
from steward.anonymise import (
    Hierarchy,
    KAnonymity,
    LDiversity,
    PrivacyModel,
    RiskReport,
    anonymise,
    risk_of_table,
)
from steward.anonymise.hierarchy import SUPPRESSED
from steward.archive import hierarchies
from steward.archive.codebook import codebook_data, codebook_markdown
from steward.archive.dataset import PERSON_KEY, DatasetPlan, plan_dataset, read_dataset
from steward.archive.lineage import record_lineage
from steward.archive.profile import ArchiveProfile, load_profile
from steward.archive.report import risk_report_data, risk_report_markdown
from steward.archive.variables import ARCHIVE_ID, Variable, categorical, encode, flag, plain
from steward.archive.writers import sha256_file, write_csv, write_dta, write_json, write_parquet
from steward.errors import ConfigError, Location, PolicyViolation, UserError
from steward.governance.access import Permission, User, requires
from steward.governance.audit.actions import AuditAction
from steward.policy import gate_for_workspace, registry_path
from steward.store import ResearchStore
from steward.workspace import Workspace

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ArchiveBuild:
    """What one build produced."""

    path: Path
    version: str
    package_sha256: str
    records: int
    suppressed: int
    levels: dict[str, int]
    risk: RiskReport


@requires(Permission.ARCHIVE_BUILD)
def build_archive(
    workspace: Workspace,
    out: Path,
    *,
    actor: User,
    profile: ArchiveProfile | None = None,
    seed: int = 0,
    today: dt.date | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ArchiveBuild:
    """Build the archive package of ``workspace`` into the new folder ``out``, as ``actor``.

    Raises ``PermissionDenied`` (``actor`` may not build the archive), ``ConfigError`` (bad profile, ``out`` exists), ``PolicyViolation`` (non-archivable
    data, risk above the profile's threshold) or ``AnonymisationError``; nothing is written
    then. Same store, profile and seed give byte-identical data files.
    """
    step = on_step or (lambda _: None)
    today = today or dt.date.today()
    profile = profile or load_profile()
    gate = gate_for_workspace(workspace.root, today=today)
    plan = plan_dataset(profile, gate)
    out = Path(out).resolve()
    if out.exists():
        raise ConfigError(
            what=f"{out} already exists; archive packages are never overwritten",
            fix="Give a new folder with --out.",
            where=Location(file=str(out)),
        )
    step("reading the person-level dataset")
    with ResearchStore.open(workspace) as store:
        frame = read_dataset(store.con, plan)
        if frame.empty:
            raise UserError(
                what="The store has no current referrals to archive",
                fix="Ingest the returns (steward ingest) before building the archive.",
            )
        step("anonymising")
        published, levels, qis, report = _anonymise(frame, plan)
        child_pids = published.pop(PERSON_KEY)
        published = _with_archive_ids(published, seed)
        variables = _variables(published, plan, levels, qis)
        table = encode(published, variables)
        step("writing the package")
        out.parent.mkdir(parents=True, exist_ok=True)
        building = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".building", dir=out.parent)
        )
        try:
            version, package_sha = _write_package(
                building, table, variables, plan, report, seed=seed, today=today,
                registry_file=registry_path(workspace.root), registry_version=gate.registry.version,
            )  # fmt: skip
            # mkdtemp makes the folder private; the package gets the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            building.chmod(0o777 & ~umask)
            store.con.begin()
            try:
                # In pseudonym order (taken before the ids were drawn), so not even the order
                # of the lineage rows says which archive record a child became.
                record_lineage(store.con, child_pids.tolist(), version, today, package_sha)
                os.replace(building, out)
            except BaseException:
                store.con.rollback()
                raise
            try:
                store.con.commit()
            except BaseException:
                shutil.rmtree(out, ignore_errors=True)  # no package without its lineage
                raise
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    from steward.governance.audit.workspace import workspace_audit_log

    # By the package's hash: the version names the build day, which the log keeps as an event date.
    workspace_audit_log(workspace).record(
        actor.username, AuditAction.ARCHIVE_BUILD, "archive_package", package_sha,
        details={"profile": profile.name, "built_on": today.isoformat(), "records": len(table),
                 "suppressed": report["suppressed"], "seed": seed},
    )  # fmt: skip
    return ArchiveBuild(
        out, version, package_sha, len(table), report["suppressed"], levels,
        report["risk_measures"],
    )  # fmt: skip


def _qi_text(column: pd.Series) -> pd.Series:
    """Quasi-identifier values as the text the hierarchies hold; missing values labelled."""
    missing = column.isna()
    inferred = pd.api.types.infer_dtype(column, skipna=True)
    if inferred == "boolean":
        text = column.map({True: hierarchies.YES, False: hierarchies.NO})
    elif pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d")
    elif inferred == "date":
        text = column.map(lambda v: v.isoformat(), na_action="ignore")
    elif pd.api.types.is_numeric_dtype(column):
        text = column.astype("Int64").astype("string")
    else:
        text = column.astype("string")
    return text.where(~missing, hierarchies.MISSING).astype(object)


def _anonymise(
    frame: pd.DataFrame, plan: DatasetPlan
) -> tuple[pd.DataFrame, dict[str, int], dict[str, Hierarchy], dict[str, Any]]:
    profile = plan.profile
    work = frame.copy()
    qis: dict[str, Hierarchy] = {}
    for name, kind in profile.quasi_identifiers.items():
        work[name] = _qi_text(frame[name])
        qis[name] = hierarchies.build(kind, name, work[name].unique())
    models: list[PrivacyModel] = [KAnonymity(profile.k)]
    if profile.l is not None:
        models.append(LDiversity(profile.l))
    result = anonymise(
        work, qis,
        sensitive=profile.sensitive if profile.l is not None else None,
        models=models,
        suppression_limit=profile.suppression_limit,
        metric=profile.metric,
        sampling_fraction=profile.sampling_fraction,
        risk_threshold=profile.max_prosecutor_risk,
        source=profile.source,
    )  # fmt: skip
    at_top = all(level == qis[n].height - 1 for n, level in result.levels.items())
    suppressed = np.zeros(len(work), dtype=bool)
    if not at_top:
        suppressed = np.logical_and.reduce([result.table[n].eq(SUPPRESSED).to_numpy() for n in qis])
    published = result.table.loc[~suppressed].reset_index(drop=True)
    risk = risk_of_table(
        published, list(qis), sampling_fraction=profile.sampling_fraction,
        threshold=profile.max_prosecutor_risk,
    )  # fmt: skip
    if published.empty or risk.prosecutor_highest > profile.max_prosecutor_risk + 1e-12:
        raise PolicyViolation(
            what=f"The anonymised package would carry a prosecutor re-identification risk of "
            f"{risk.prosecutor_highest:.3f}, above the profile's threshold of "
            f"{profile.max_prosecutor_risk}",
            fix=f"Raise k to at least {int(np.ceil(1 / profile.max_prosecutor_risk))} in the "
            "profile, or use fewer quasi-identifiers; nothing was written.",
            where=profile.where("max_prosecutor_risk"),
        )
    report = risk_report_data(profile, result, qis, risk, records_in=len(work),
                              suppressed=int(suppressed.sum()))  # fmt: skip
    report["risk_measures"] = risk
    return published, result.levels, qis, report


def _with_archive_ids(published: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Fresh ids drawn from the seed; rows in archive-id order, so row order tells nothing."""
    n = len(published)
    draws = np.random.default_rng(seed).permutation(n)
    width = max(6, len(str(n)))
    ids = pd.Series([f"A{d + 1:0{width}d}" for d in draws], dtype=object)
    ordered = published.assign(**{ARCHIVE_ID: ids}).iloc[np.argsort(draws, kind="stable")]
    columns = [ARCHIVE_ID, *[c for c in published.columns if c != ARCHIVE_ID]]
    return ordered[columns].reset_index(drop=True)


def _variables(
    published: pd.DataFrame, plan: DatasetPlan, levels: dict[str, int], qis: dict[str, Hierarchy]
) -> list[Variable]:
    profile = plan.profile
    variables = [
        plain(
            ARCHIVE_ID,
            "Archive record id (random; links to nothing)",
            "text",
            None,
            published[ARCHIVE_ID],
        )
    ]
    for name, column in plan.columns.items():
        kind = profile.quasi_identifiers.get(name)
        values = published[name]
        if kind is not None:
            variables.append(categorical(name, column.label, column.category, values,
                                         qis[name], kind, levels[name]))  # fmt: skip
        elif column.kind == "flag":
            published[name] = values.map({True: 1, False: 0}).astype("Int8")
            variables.append(flag(name, column.label, column.category, published[name]))
        elif column.kind == "integer":
            variables.append(plain(name, column.label, "integer", column.category, values))
        else:
            published[name] = values.map(
                lambda v: v.isoformat() if hasattr(v, "isoformat") else v, na_action="ignore"
            )
            variables.append(plain(name, column.label, "text", column.category, published[name]))
    return variables


def _write_package(
    folder: Path,
    table: pd.DataFrame,
    variables: list[Variable],
    plan: DatasetPlan,
    report: dict[str, Any],
    *,
    seed: int,
    today: dt.date,
    registry_file: Path,
    registry_version: int,
) -> tuple[str, str]:
    """Write every file of the package into ``folder``; return (version, package SHA-256)."""
    profile = plan.profile
    name = profile.dataset
    data = folder / "data"
    data.mkdir()
    write_csv(table, data / f"{name}.csv")
    write_parquet(table, variables, data / f"{name}.parquet")
    write_dta(table, variables, data / f"{name}.dta", profile.title)
    version = f"{profile.name}-{today.isoformat()}-{sha256_file(data / f'{name}.csv')[:8]}"
    write_json(codebook_data(profile, variables, len(table), version), folder / "codebook.json")
    (folder / "codebook.md").write_text(
        codebook_markdown(profile, variables, len(table), version), encoding="utf-8"
    )
    public = {k: v for k, v in report.items() if k != "risk_measures"}
    write_json({"archive_version": version, **public}, folder / "risk_report.json")
    (folder / "risk_report.md").write_text(risk_report_markdown(version, public), encoding="utf-8")
    files = {
        path.relative_to(folder).as_posix(): {
            "sha256": sha256_file(path),
            "bytes": path.stat().st_size,
        }
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    package_sha = package_digest({k: str(v["sha256"]) for k, v in files.items()})
    manifest = {
        "archive_version": version,
        "build_date": today.isoformat(),
        "steward_version": steward.__version__,
        "seed": seed,
        "records": len(table),
        "files": files,
        "package_sha256": package_sha,
        "policy_registry": {
            "file": registry_file.name,
            "sha256": sha256_file(registry_file),
            "version": registry_version,
        },
        "profile": {**profile.model_dump(mode="json"), "sha256": profile.digest()},
    }
    write_json(manifest, folder / MANIFEST)
    return version, package_sha


def package_digest(file_hashes: dict[str, str]) -> str:
    """The package's SHA-256: of the sorted ``<sha256>  <path>`` lines of its files."""
    import hashlib

    lines = "".join(f"{digest}  {path}\n" for path, digest in sorted(file_hashes.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()
