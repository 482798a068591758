"""Linkage across sources by pseudonym, and the disclosure-checked linkage report.

``run_linkage(workspace, actor=user)`` links the evaluation's returns with the statutory returns within each
LA (``child_pid``) and, in the SRS research environment, with the NPD extract (``upn_pid`` → PMR);
it writes the linkage table and the report. ``link_store`` and ``build_report`` are its parts.
"""

from steward.linkage.deterministic import (
    LINKAGE_COLUMNS,
    NPD_REASONS,
    LinkageResult,
    link_store,
    linkage_sql,
)
from steward.linkage.report import LinkageReport, build_report, write_report
from steward.linkage.service import LinkageRun, npd_allowed, run_linkage

__all__ = [
    "LINKAGE_COLUMNS",
    "NPD_REASONS",
    "LinkageReport",
    "LinkageResult",
    "LinkageRun",
    "build_report",
    "link_store",
    "linkage_sql",
    "npd_allowed",
    "run_linkage",
    "write_report",
]
