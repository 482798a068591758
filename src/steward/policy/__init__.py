"""Privacy as code: the policy registry, its lint, run-time purpose checks and generated documents.

Public API::

    load_registry(path) / default_registry() / registry_path(workspace)
    lint(registry, columns, steps, *, source=None, today=None) -> list[Finding]
    require(step, categories, *, registry, environment, today=None)   # raises PolicyViolation
    check_recipient(recipient_id, today, *, registry=None, categories=())
    check_can_hold(categories, *, registry, environment)             # before a store write
    PolicyGate(registry, environment).require / .use / .step;  gate_for_workspace(root)
    retention_due(category, *, final_report_date, licence_end=None, completed_at=None, ...)
    render_notice(registry, *, final_report_date, fmt="md"|"html"); publish_notice(...)
    law_flags(notice_text, registry); write_ropa(...); write_dpia(...)
"""

from steward.policy.findings import Finding, RegistryError
from steward.policy.guard import (
    PIPELINE_STEPS,
    PolicyGate,
    ProcessingStep,
    check_can_hold,
    check_recipient,
    gate_for_workspace,
    require,
)
from steward.policy.law import LawFlag, law_flags
from steward.policy.lint import lint
from steward.policy.loader import default_registry, load_registry, parse_registry, registry_path
from steward.policy.model import Registry
from steward.policy.notice import publish_notice, render_notice
from steward.policy.retention import may_archive, retention_due

__all__ = [
    "PIPELINE_STEPS",
    "Finding",
    "LawFlag",
    "PolicyGate",
    "ProcessingStep",
    "Registry",
    "RegistryError",
    "check_can_hold",
    "check_recipient",
    "default_registry",
    "gate_for_workspace",
    "law_flags",
    "lint",
    "load_registry",
    "may_archive",
    "parse_registry",
    "publish_notice",
    "registry_path",
    "render_notice",
    "require",
    "retention_due",
]
