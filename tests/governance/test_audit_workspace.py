"""A workspace's audit log: migrated on first use, in governance.db unless configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.governance.audit import AuditAction, verify
from steward.governance.audit.workspace import workspace_audit_log
from steward.governance.db import session_scope
from steward.workspace import init_workspace


def test_workspace_audit_log_defaults_to_sqlite_in_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    ws = init_workspace(tmp_path / "ws")
    log = workspace_audit_log(ws)
    assert workspace_audit_log(ws) is log  # one engine per database
    log.record("analyst1", AuditAction.INGEST, "return", "dr1-2024")
    assert (ws.root / "governance.db").is_file()
    with session_scope(log.engine) as session:
        report = verify(session)
    assert report.ok and report.entries == 1
