"""``run_linkage``: the permission and policy checks, the linkage over the store, its table and
its report.

The acting user and the linkage step are checked before the store is opened: the user needs
``store.query``, and ``srs_data.read`` (an in-date accreditation) where the NPD is linked. Within-LA linkage (pseudonymised ids
only) runs in any environment; the NPD part runs only where the NPD extract may be held
(``srs_research``), and the report says so when it did not run. Probabilistic linkage is never
used unless asked for, and then only if its engine is installed (see ``probabilistic.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from steward.disclosure import SdcRules
from steward.errors import EngineError, PolicyViolation
from steward.governance.access import Permission, User, authorise, requires
from steward.linkage.deterministic import LinkageResult, link_store
from steward.linkage.probabilistic import ProbabilisticResult
from steward.linkage.report import LinkageReport, add_probabilistic, build_report, write_report
from steward.returns.npd.store_tables import npd_categories
from steward.workspace import Workspace


@dataclass
class LinkageRun:
    result: LinkageResult
    report: LinkageReport
    table: Path  # the linkage table (pseudonyms only), Parquet
    probabilistic: ProbabilisticResult | None = None
    candidates: Path | None = None  # probabilistic candidate pairs, only when asked for


def npd_allowed(workspace: Workspace) -> bool:
    """Whether this workspace's environment may hold (and so link) the NPD extract."""
    from steward.policy.guard import gate_for_workspace

    try:
        gate_for_workspace(workspace.root).check_can_hold(npd_categories())
    except PolicyViolation:
        return False
    return True


@requires(Permission.STORE_QUERY)
def run_linkage(
    workspace: Workspace,
    *,
    actor: User,
    rules: SdcRules | None = None,
    probabilistic: bool = False,
) -> LinkageRun:
    """Link the store's sources as ``actor``, write ``outputs/linkage/child_linkage.parquet`` and
    the report under ``reports/linkage/``; audited under the username.

    ``PermissionDenied`` before the store is read unless ``actor`` may query the store and, in a
    workspace where the NPD is linked, read secure-research-service data.
    """
    from steward.governance.audit.workspace import workspace_audit_log
    from steward.linkage.probabilistic import link_probabilistic, require_engine
    from steward.policy.guard import PIPELINE_STEPS, gate_for_workspace
    from steward.store import ResearchStore, open_store
    from steward.study.definition import load_study

    gate = gate_for_workspace(workspace.root)
    with_npd = npd_allowed(workspace)
    if with_npd:
        authorise(actor, Permission.SRS_DATA_READ)
    # The full step (reading the NPD extract) where allowed; ids only everywhere else.
    gate.require(PIPELINE_STEPS["linkage"], None if with_npd else ["identifier_pseudonymised"])
    if probabilistic:
        require_engine()
    if probabilistic and workspace.settings.engine != "duckdb":
        raise EngineError(
            what="probabilistic linkage runs on the DuckDB engine only",
            fix='Run the deterministic linkage on Spark, or set engine = "duckdb" for '
            "--probabilistic.",
        )
    sources = load_study(workspace.settings.study).sources
    candidates = None
    with open_store(workspace) as store:
        result = link_store(store.sql, with_npd=with_npd, sources=sources)
        if probabilistic and isinstance(store, ResearchStore):
            candidates = link_probabilistic(store)
    report = build_report(result, rules)
    if candidates is not None:
        add_probabilistic(report, candidates, rules)
    folder = workspace.outputs / "linkage"
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "child_linkage.parquet"
    tmp = table.with_name(f".{table.name}.part")
    pq.write_table(pa.Table.from_pandas(result.children, preserve_index=False), tmp)
    tmp.replace(table)
    pairs = None
    if candidates is not None:
        pairs = folder / "probabilistic_candidates.parquet"
        tmp = pairs.with_name(f".{pairs.name}.part")
        pq.write_table(pa.Table.from_pandas(candidates.pairs, preserve_index=False), tmp)
        tmp.replace(pairs)
    write_report(report, workspace.reports / "linkage")
    workspace_audit_log(workspace).record(
        actor.username, "store_query", "linkage", "child_linkage",
        details={"children": len(result.children), "npd_linked": with_npd,
                 "tables": [t.name for t in report.tables], "probabilistic": probabilistic},
    )  # fmt: skip
    return LinkageRun(result, report, table, candidates, pairs)
