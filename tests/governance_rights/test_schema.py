"""Migration 0002 builds exactly the rights, consent and register models' schema."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from steward.governance.db import load_models

OURS = {
    "rights_requests", "rights_request_pauses", "rights_actions", "erasure_tombstones",
    "complaints", "disclosures", "breaches",
    "participants", "consent_texts", "consents", "qualitative_items", "transcription_handoffs",
}  # fmt: skip


def _table_of(diff: Any) -> str:
    """The table an Alembic autogenerate difference is about."""
    if isinstance(diff, list):  # modify_* differences come grouped per column
        diff = diff[0]
    kind, subject = diff[0], diff[1]
    if kind in ("add_table", "remove_table"):
        return str(subject.name)
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
        return str(subject.table.name)
    if kind in ("add_fk", "remove_fk"):
        return str(subject.parent.name)
    return str(diff[2])  # (kind, schema, table, column...)


def test_migrations_match_the_models(engine: Engine) -> None:
    metadata = load_models()
    assert set(metadata.tables) >= OURS
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    # Other slices check their own tables; none of ours may differ.
    assert [d for d in diffs if _table_of(d) in OURS] == []
